"""The wrap-up of a finished DEAR MAN conversation: how each skill went across every message sent,
from the ratings stored with the messages, and what to try next time."""

from __future__ import annotations

from dataclasses import dataclass

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
    skills: list[SkillSummary]
    best: list[str]  # titles of the skills strong (or met) in the most messages
    unused: list[tuple[str, str]]  # (title, what to try) for strategies no message used
    never_strong: list[str]  # titles of strategies used, but weakly every time
    unmet: list[tuple[str, str]]  # (title, what to try) for states no message met

    def sentences(self) -> list[str]:
        messages = self.skills[0].rated if self.skills else 0
        if not messages:
            return ["None of your messages were rated, so there is no summary of your skills."]
        of = f"of {messages} message{'s' if messages != 1 else ''}"
        out = []
        if self.best:
            n = next(s.strong for s in self.skills if s.title == self.best[0])
            out.append(f"Strongest: {_listed(self.best)} (strong or met in {n} {of}).")
        if self.never_strong:
            out.append(f"Used, but never strongly: {_listed(self.never_strong)}.")
        out += [f"Not used: {title}. Next time: {tip}" for title, tip in self.unused]
        out += [f"{title} in none {of}. Next time: {tip}" for title, tip in self.unmet]
        return out


def _listed(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"


def wrap_up(turns: list[DearmanTurn]) -> WrapUp:
    """Each skill over the trainee's rated messages, in the order of the acronym."""
    rated = [(n, t.ratings) for n, t in enumerate((t for t in turns if t.role == "trainee"), start=1)
             if t.ratings is not None]
    skills = []
    for skill in DEARMAN_ORDER:
        levels = [(n, r.get(skill).rating) for n, r in rated]
        strong = [n for n, level in levels if level in ("strong", "yes")]
        skills.append(SkillSummary(skill, SKILL_TITLES[skill], len(levels), len(strong),
                                   sum(level == "weak" for _, level in levels), strong[0] if strong else None))
    top = max((s.strong for s in skills), default=0)
    best = [s.title for s in skills if top and s.strong == top]
    text = feedback_text()
    missing = [s for s in skills if rated and not s.strong]
    return WrapUp(skills, best,
                  unused=[(s.title, text["coach"][s.skill]) for s in missing if s.skill not in STATES and not s.weak],
                  never_strong=[s.title for s in missing if s.weak],
                  unmet=[(s.title, text["wrap_up"][s.skill]) for s in missing if s.skill in STATES])
