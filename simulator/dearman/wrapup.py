"""The wrap-up of a finished DEAR MAN conversation: how each skill went across every message sent,
from the ratings stored with the messages, and what to try next time (the per-message suggestions)."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.core.text import agreeing, listing
from simulator.dearman.rater_offline import feedback_text
from simulator.dearman.schema import DEARMAN_ORDER, SKILL_TITLES, STATES, DearmanTurn


@dataclass(frozen=True)
class SkillSummary:
    skill: str
    title: str
    rated: int  # messages with ratings
    strong: int  # rated strong (a state: yes)
    weak: int  # rated weak (a state has no weak)
    first_strong: int | None  # the trainee's message number (1 = their first) where it was first strong


@dataclass(frozen=True)
class WrapUp:
    sent: int  # messages the trainee sent
    skills: list[SkillSummary]
    best: list[SkillSummary]  # the strategies strong in the most messages (the states are counted apart)
    unused: list[tuple[str, str]]  # (title, what to try) for strategies no message used
    never_strong: list[tuple[str, str]]  # (title, what to try) for strategies used, but weakly every time
    unmet: list[tuple[str, str]]  # (title, what to try) for states no message met

    @property
    def rated(self) -> int:
        return self.skills[0].rated if self.skills else 0

    def sentences(self) -> list[str]:
        if not self.sent:
            return ["You sent no messages in this conversation."]
        if not self.rated:
            return ["None of your messages were rated, so there is no summary of your skills."]
        of = agreeing("of {n} message(s)", n=self.rated)
        out = []
        if self.best:
            out.append(f"Strongest: {listing([s.title for s in self.best])} (strong in {self.best[0].strong} {of}).")
        out += [f"Used, but never strongly: {title}. Next time: {tip}" for title, tip in self.never_strong]
        out += [f"Not used: {title}. Next time: {tip}" for title, tip in self.unused]
        out += [f"{title}: met in none {of}. Next time: {tip}" for title, tip in self.unmet]
        return out


def wrap_up(turns: list[DearmanTurn]) -> WrapUp:
    """Each skill over the trainee's rated messages, in the order of the acronym."""
    mine = [t for t in turns if t.role == "trainee"]
    rated = [(n, t.ratings) for n, t in enumerate(mine, start=1) if t.ratings is not None]
    skills = []
    for skill in DEARMAN_ORDER:
        levels = [(n, r.get(skill).rating) for n, r in rated]
        strong = [n for n, level in levels if level in ("strong", "yes")]
        skills.append(SkillSummary(skill, SKILL_TITLES[skill], len(levels), len(strong),
                                   sum(level == "weak" for _, level in levels), strong[0] if strong else None))
    strategies = [s for s in skills if s.skill not in STATES]
    top = max((s.strong for s in strategies), default=0)
    tips = feedback_text()["suggestions"]
    missing = [s for s in skills if rated and not s.strong]
    return WrapUp(
        sent=len(mine), skills=skills,
        best=[s for s in strategies if top and s.strong == top],
        unused=[(s.title, tips[s.skill]["none"]) for s in missing if s.skill not in STATES and not s.weak],
        never_strong=[(s.title, tips[s.skill]["weak"]) for s in missing if s.weak],
        unmet=[(s.title, tips[s.skill]["no"]) for s in missing if s.skill in STATES])
