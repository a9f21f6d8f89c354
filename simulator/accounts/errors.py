"""The error every account request can raise; its message is fit to show the user."""

from __future__ import annotations


class AccountError(ValueError):
    """A problem with an account request; the message is fit to show the user."""
