"""The suggested next skill, shown before each message: Describe first, then what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.dearman.rater_offline import feedback_text
from simulator.dearman.schema import SKILL_TITLES, STRATEGIES, SkillRatings


@dataclass(frozen=True)
class Suggestion:
    skill: str | None  # None once every skill has been used well
    title: str
    text: str


def suggest_next(sent: list[SkillRatings]) -> Suggestion:
    """From the ratings of the messages sent so far, oldest first."""
    tips = feedback_text()["coach"]
    if sent:
        last = sent[-1]
        if last.mindful.rating == "no":
            tip = tips["mindful_gave_up"] if last.mindful.off_goal == "gave_up" else tips["mindful"]
            return Suggestion("mindful", SKILL_TITLES["mindful"], tip)
        if last.confident.rating == "no":
            return Suggestion("confident", SKILL_TITLES["confident"], tips["confident"])
    for skill in STRATEGIES:  # Describe first, then the others in DEAR MAN order
        if not any(r.get(skill).rating == "strong" for r in sent):
            return Suggestion(skill, SKILL_TITLES[skill], tips[skill])
    return Suggestion(None, "Broken record", tips["again"])
