"""How a message that is not Mindful left the goal: it dropped the goal ("gave_up") or was pulled
into an attack or a side issue ("sidetracked").

One decision for both sides of the conversation: the offline rater's Mindful feedback makes it and
records it on the rating (`MindfulRating.off_goal`), and the other person reacts to what the rating
says (simulator/dearman/counterpart.py), so the feedback and the reply never contradict each other.
"""

from __future__ import annotations

from simulator.dearman import cues
from simulator.dearman.schema import OffGoal

GIVES_UP_AT = 0.5  # the classifier's "drops the goal" probability from which a sentence gives up


def how_off_goal(sentences: list[str], gives_up: float | None = None) -> OffGoal:
    """The verdict on a message judged not Mindful: "gave_up" when a sentence drops the goal (by
    the classifier's `gives_up` score, when there is one, or by its words), else "sidetracked"."""
    if gives_up is not None and gives_up >= GIVES_UP_AT:
        return "gave_up"
    return "gave_up" if any(cues.GIVE_UP.search(s) for s in sentences) else "sidetracked"
