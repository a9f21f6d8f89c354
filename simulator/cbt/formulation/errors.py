"""What a formulation request can run into; each message is fit to show the trainee."""

from __future__ import annotations


class AlreadySubmitted(ValueError):
    """A second submit for a session; the message says so and nothing was changed."""


class NotSubmitted(LookupError):
    """The feedback of a session that has no submitted formulation (the reference stays hidden)."""


ALREADY = ("This formulation was already submitted; a submission is final, so nothing was changed. "
           "Open its feedback to see the scores.")
