"""The competence rubric scored from the report's signals (offline): every item 0-6 with the turns
behind the score and a reason.

The rules read the rubric's anchors (data/rubrics/cbt_competence.json) in terms of what the report
counts; their cut points were set on transcripts written for calibration
(data/interviews/calibration/, `python -m bench report_calibrate`), never on the graded set.
"""

from __future__ import annotations

from pydantic import BaseModel

from simulator.cbt.report.counts import Counts
from simulator.cbt.report.coverage import AREAS, Coverage
from simulator.cbt.report.risk import FOLLOW_UP, RiskReading
from simulator.cbt.report.wording import say, wording

# Turns close enough for a thought and a feeling question to be about the same moment.
LINK_WINDOW = 8


class ItemScore(BaseModel):
    score: int
    evidence_turns: list[int] = []
    reason: str


def _clip(x: float) -> int:
    return int(max(0, min(6, round(x))))


def _asked(cov: Coverage, area: str) -> str:
    first = cov.first(area)
    return say("rubric", "asked_at", turn=first) if first else wording()["rubric"]["not_asked"]


def _harshness(c: Counts) -> float:
    """A penalty that grows with the share of judgemental (weighted double) and abrupt turns."""
    return 6 * (2 * c.moves["judgmental"].count + c.moves["abrupt"].count) / max(1, 2 * c.therapist_turns)


def _questions(c: Counts, cov: Coverage) -> tuple[int, int]:
    """(open, closed) questions, leaving out risk and rating questions, which are closed by nature."""
    skip = set(cov.risk_turns) | set(cov.areas["intensity"].turns)
    return (len([t for t in c.open_questions.turns if t not in skip]),
            len([t for t in c.closed_questions.turns if t not in skip]))


def _band(value: float, cuts: tuple[float, ...]) -> int:
    """How many of the ascending `cuts` `value` reaches."""
    return sum(1 for c in cuts if value >= c)


def agenda(c: Counts, cov: Coverage) -> ItemScore:
    w = wording()["rubric"]["agenda"]
    goals = set(cov.areas["goals"].turns)
    turns = c.moves["agenda"].turns
    if not turns:
        return ItemScore(score=0, reason=w["none"])
    first = turns[0]
    early = first <= max(7, round(c.therapist_turns * 2 * 0.2))  # in the first fifth of the session
    checked = any(t in c.permission_or_choice.turns or t in c.checks_understanding.turns for t in turns[:2])
    # Coming back to the focus later (a question about goals for therapy is not that).
    later = [t for t in turns if t > first + 6 and t not in goals]
    if not early:
        return ItemScore(score=2, evidence_turns=turns, reason=w["late"].format(turn=first))
    score = 3 + checked + (1 if later else 0) + (1 if later and checked else 0)
    reason = (w["early"].format(turn=first) + (w["checked"] if checked else "")
              + (w["revisited"].format(turn2=later[0]) if later else "") + w["end"])
    return ItemScore(score=_clip(score), evidence_turns=turns, reason=reason)


def empathy(c: Counts) -> ItemScore:
    warm_turns = sorted(set(c.reflections.turns) | set(c.validations.turns) | set(c.summaries.turns))
    rate = len(warm_turns) / max(1, c.therapist_turns)
    score = _band(rate, (0.05, 0.12, 0.2, 0.3, 0.42, 0.55))
    if c.complex_reflections.count >= 3 and (c.complex_share or 0) >= 0.4:
        score += 1
    harsh = c.judgemental_or_abrupt.count
    score -= _harshness(c)
    return ItemScore(score=_clip(score), evidence_turns=warm_turns + c.judgemental_or_abrupt.turns,
                     reason=say("rubric", "empathy", warm=len(warm_turns), turns=c.therapist_turns,
                                complex=c.complex_reflections.count, harsh=harsh))


def guided_discovery(c: Counts, cov: Coverage) -> ItemScore:
    n_open, n_closed = _questions(c, cov)
    questions = n_open + n_closed
    open_share = n_open / questions if questions else 0.0
    meaning = len(cov.areas["meaning"].turns)
    score = _band(open_share, (0.2, 0.4, 0.55, 0.7)) if questions >= 3 else min(1, questions)
    score += min(2, meaning) * 0.75 + (0.5 if c.complex_reflections.count >= 2 else 0)
    score -= 0.75 * c.directs.count + 0.5 * max(0, c.psychoeducation.count - 1)
    score -= _harshness(c) / 2
    return ItemScore(score=_clip(score), evidence_turns=cov.areas["meaning"].turns + c.directs.turns,
                     reason=say("rubric", "guided_discovery", open=c.open_questions.count,
                                closed=c.closed_questions.count, meaning=meaning, directs=c.directs.count,
                                psycho=c.psychoeducation.count))


def thoughts_emotions(c: Counts, cov: Coverage) -> ItemScore:
    th, fe, it = cov.areas["thoughts"].turns, cov.areas["feelings"].turns, cov.areas["intensity"].turns
    linked = any(abs(a - b) <= LINK_WINDOW for a in th for b in fe)
    if not th and not fe:
        score = 0
    elif not th or not fe:
        score = 2
    else:
        score = 3 + linked + (1 if cov.asked("situation") else 0)
    if it and (th or fe):
        score += 1 + (1 if len(it) >= 2 else 0)
    return ItemScore(score=_clip(score), evidence_turns=sorted(set(th + fe + it)),
                     reason=say("rubric", "thoughts_emotions", thoughts=_asked(cov, "thoughts"),
                                feelings=_asked(cov, "feelings"), intensity=_asked(cov, "intensity"),
                                linked=wording()["rubric"]["linked"] if linked else ""))


def downward_arrow(c: Counts, cov: Coverage) -> ItemScore:
    turns = cov.areas["meaning"].turns
    m = len(turns)
    score = {0: 0, 1: 2, 2: 4}.get(m, 6 if not cov.has_states else 5)
    belief = min(cov.core_beliefs.values()) if cov.core_beliefs else None
    if cov.has_states and belief is not None:
        score = 6 if m >= 2 else max(score, 4)
    extra = say("rubric", "belief_surfaced", turn=belief) if belief else ""
    return ItemScore(score=score, evidence_turns=turns + ([belief] if belief else []),
                     reason=say("rubric", "downward_arrow", meaning=m, belief=extra))


def summarising(c: Counts) -> ItemScore:
    summaries = c.summaries.turns
    checked = [t for t in summaries if t in c.checks_understanding.turns]
    s = len(summaries)
    score = {0: 0, 1: 2, 2: 4}.get(s, 5)
    if s == 0 and c.checks_understanding.count:
        score = 1
    score += 1 if checked else 0
    if s >= 2 and checked and c.asks_feedback.count:
        score += 1
    return ItemScore(score=_clip(score), evidence_turns=summaries + c.asks_feedback.turns,
                     reason=say("rubric", "summarising", summaries=s, checked=len(checked),
                                feedback=c.asks_feedback.count))


def feedback(c: Counts) -> ItemScore:
    f, k = c.asks_feedback.count, c.checks_understanding.count
    score = {0: 0, 1: 2, 2: 3, 3: 4}.get(f + k, 5)
    if f and k:
        score += 1
    if f == 0:
        score = min(score, 3)
    return ItemScore(score=_clip(score), evidence_turns=sorted(set(c.asks_feedback.turns + c.checks_understanding.turns)),
                     reason=say("rubric", "feedback", feedback=f, checks=k))


def collaboration(c: Counts) -> ItemScore:
    invites = c.permission_or_choice.count + c.checks_understanding.count + min(2, c.moves["agenda"].count)
    rate = invites / max(1, c.therapist_turns)
    score = 1 + _band(rate, (0.05, 0.12, 0.2, 0.3, 0.4))
    score -= 0.75 * c.directs.count + _harshness(c) + 0.5 * max(0, c.psychoeducation.count - 2)
    return ItemScore(score=_clip(score), evidence_turns=sorted(set(c.permission_or_choice.turns + c.checks_understanding.turns + c.directs.turns)),
                     reason=say("rubric", "collaboration", choices=c.permission_or_choice.count,
                                checks=c.checks_understanding.count, directs=c.directs.count,
                                harsh=c.judgemental_or_abrupt.count))


def pacing(c: Counts, cov: Coverage) -> ItemScore:
    n_open, n_closed = _questions(c, cov)
    questions = n_open + n_closed
    closed_share = n_closed / questions if questions else 0.0
    areas = sum(1 for a in AREAS if cov.asked(a))
    warm = len(set(c.reflections.turns) | set(c.validations.turns) | set(c.summaries.turns))
    score = 2 + _band(areas, (3, 5, 7)) + (1 if c.therapist_turns >= 12 else 0)
    score -= 1 if closed_share > 0.6 else 0
    # Question after question with nothing given back is an interrogation, however orderly.
    score -= _band(-warm / max(1, c.therapist_turns), (-0.2, -0.1))
    score -= min(2, c.several_questions.count * 0.5) + min(2, c.moves["abrupt"].count * 0.75)
    score -= min(2, c.off_topic.count * 0.75)
    return ItemScore(score=_clip(score), evidence_turns=sorted(set(c.several_questions.turns + c.moves["abrupt"].turns + c.off_topic.turns)),
                     reason=say("rubric", "pacing", areas=areas, stacked=c.several_questions.count,
                                closed_share=f"{closed_share:.0%}", abrupt=c.moves["abrupt"].count,
                                off=c.off_topic.count))


def focus_key_cognitions(c: Counts, cov: Coverage) -> ItemScore:
    th, me, it = cov.areas["thoughts"].turns, cov.areas["meaning"].turns, cov.areas["intensity"].turns
    if not th and not me:
        score = 0
    else:
        score = 2 + (1 if len(th) >= 2 else 0) + min(2, len(me)) + (1 if it else 0)
        followed = any(t in c.reflections.turns or t in c.summaries.turns for t in
                       [x + 2 for x in th] + [x + 4 for x in th])
        score += 0.5 if followed else 0
    return ItemScore(score=_clip(score), evidence_turns=sorted(set(th + me)),
                     reason=say("rubric", "focus_key_cognitions", thoughts=_asked(cov, "thoughts"),
                                meaning=len(me), intensity=_asked(cov, "intensity")))


def risk_screening(c: Counts, r: RiskReading) -> ItemScore:
    turns = sorted(set(r.asked_turns + [cue.turn for cue in r.cues]))
    if not r.asked:
        score = 0 if (r.cues or r.first_session) else 4
    elif r.disclosed_level in ("none", "unclear"):
        score = 5 + (1 if r.protective_asked or len(r.aspects) >= 2 else 0)
    else:
        followed = sum(1 for a in FOLLOW_UP if a in r.aspects)
        score = 2 + _band(followed, (1, 2, 4, 5))
    late = [cue for cue in r.cues if cue.followed_at is not None and cue.followed_at - cue.turn > 4]
    if r.asked and late:
        score -= 1
    blunt = set(r.asked_turns) & set(c.judgemental_or_abrupt.turns)
    if blunt:
        score -= 1
    return ItemScore(score=_clip(score), evidence_turns=turns, reason=r.summary or say("risk", "all_aspects"))


def score_items(c: Counts, cov: Coverage, r: RiskReading) -> dict[str, ItemScore]:
    return {
        "agenda": agenda(c, cov), "empathy": empathy(c), "guided_discovery": guided_discovery(c, cov),
        "thoughts_emotions": thoughts_emotions(c, cov), "downward_arrow": downward_arrow(c, cov),
        "summarising": summarising(c), "feedback": feedback(c), "collaboration": collaboration(c),
        "pacing": pacing(c, cov), "focus_key_cognitions": focus_key_cognitions(c, cov),
        "risk_screening": risk_screening(c, r),
    }
