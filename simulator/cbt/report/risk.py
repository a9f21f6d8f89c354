"""Risk in one interview: the cues the patient gave, whether and when risk was asked, which aspects
were asked, what the patient disclosed, and a plain next step.

Screening is expected in every first session with a case, whatever the case. A session with cues
and no risk question is flagged. Asked comes from the one coverage computation; cues and
disclosures from the disclosure state of a simulated session (exact), or for a transcript
without one from the patient's words: cues by the reader trained on supervisors' marks
(simulator/cbt/report/cue_reader.py), disclosures by the statement reader (risk_text.py).
"""

from __future__ import annotations

from pydantic import BaseModel

from simulator.cbt.interview import turn_number
from simulator.cbt.report import cue_reader, risk_text
from simulator.cbt.report.coverage import ASPECTS, Coverage
from simulator.cbt.report.record import InterviewRecord
from simulator.cbt.report.wording import aspect_label, aspect_question, level_words, say

FOLLOW_UP = ("plan", "intent", "means", "past_attempts", "protective_factors")
# A cue counts as followed at once when risk is asked within this many of the trainee's turns.
PROMPT_TURNS = 2
# An answer this short that starts with a yes ("Yeah. Sometimes.") says yes to what was asked.
BARE_WORDS = 8


class Cue(BaseModel):
    turn: int  # turn number of the patient's turn
    quote: str
    followed_at: int | None = None  # the first risk question after it


class RiskReading(BaseModel):
    cues: list[Cue] = []
    asked: bool = False
    first_asked_turn: int | None = None
    asked_turns: list[int] = []
    ideation_asked: bool = False
    plan_asked: bool = False
    intent_asked: bool = False
    means_asked: bool = False
    history_asked: bool = False  # past attempts
    protective_asked: bool = False
    aspects: dict[str, int] = {}  # aspect -> turn first asked
    disclosed_level: str = "not_asked"  # not_asked, none, unclear, passive, active_no_plan, active_plan
    disclosed_aspects: list[str] = []
    disclosed_turn: int | None = None  # where the highest level was disclosed
    flag: bool = False  # cues and never asked: shown prominently
    first_session: bool = True
    source: str = "text"  # "disclosure" (a simulated session's state) or "text" (the patient's words)
    next_steps: list[str] = []
    summary: str = ""


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _from_states(record: InterviewRecord) -> tuple[list[Cue], list[str], dict[str, int]]:
    """Cues (by the turn their cue index was added) and disclosed aspects (with their turns)."""
    cues: list[Cue] = []
    disclosed: dict[str, int] = {}
    seen_cues: set[int] = set()
    case_cues = record.case.risk.cues if record.case is not None else []
    for idx in sorted(record.states):
        if idx < len(record.turns) and record.superseded(idx):
            continue
        state = record.states[idx]
        text = record.turns[idx].text if idx < len(record.turns) else ""
        for c in state.cues_dropped:
            if c not in seen_cues:
                seen_cues.add(c)
                said = case_cues[c] if c < len(case_cues) and case_cues[c] in text else text
                cues.append(Cue(turn=turn_number(idx), quote=_short(said)))
        for aspect in state.risk_disclosed:
            disclosed.setdefault(aspect, turn_number(idx))
    return cues, list(disclosed), disclosed


def _state_level(record: InterviewRecord, disclosed: list[str], asked: bool) -> str:
    if not asked:
        return "not_asked"
    level = record.case.risk.level if record.case is not None else "unknown"
    if level == "unknown":
        return "unclear"
    if "ideation" not in disclosed or level == "none":
        return "none"
    if level == "active_plan" and "plan" not in disclosed:
        return "active_no_plan"
    return level


def _from_text(record: InterviewRecord, risk_turns: set[int]) -> tuple[list[Cue], str, list[str], int | None]:
    """Cues, disclosed level, disclosed aspects and the turn of the level, read from the words."""
    patient = [t for t in record.patient if not record.superseded(t.index)]
    readings, probabilities = risk_text.read_with_probabilities([t.text for t in patient])
    askers = [record.turns[t.index - 1] if t.index > 0 else None for t in patient]
    reader = cue_reader.installed()
    turn_cues = (reader.is_cue([t.text for t in patient], [a.text if a is not None else "" for a in askers],
                               probabilities) if reader is not None else None)
    cues: list[Cue] = []
    level, level_turn = "none", None
    aspects: list[str] = []
    first_asked = min(risk_turns) if risk_turns else None
    for k, (t, asker, sentences) in enumerate(zip(patient, askers, readings)):
        answers = asker is not None and asker.role == "therapist" and turn_number(asker.index) in risk_turns
        risky = [r for r in sentences if risk_text.is_cue(r)]
        # The reader adds the turns supervisors hear as cues; words of death or suicide always are.
        cue = bool(risky) or (turn_cues is not None and turn_cues[k])
        if cue and not answers:
            cues.append(Cue(turn=turn_number(t.index), quote=_short(risky[0].sentence if risky else t.text)))
        if first_asked is None or turn_number(t.index) < first_asked:
            continue
        found = [r.label for r in sentences]
        if answers and not any(x in risk_text.LEVEL_OF or x == "denial" for x in found):
            # A bare "yeah, sometimes" answers what was asked.
            if risk_text.answer_polarity(t.text) == "yes" and len(t.text.split()) <= BARE_WORDS:
                asked = asker.risk_aspects or ["ideation"]
                if "plan" in asked:
                    found.append("plan")
                elif "ideation" in asked:
                    found.append("passive")
        for label in found:
            if label in risk_text.LEVEL_OF:
                new = risk_text.LEVEL_OF[label]
                if risk_text.LEVELS.index(new) > risk_text.LEVELS.index(level):
                    level, level_turn = new, turn_number(t.index)
            aspect = risk_text.ASPECT_OF.get(label)
            if aspect and aspect not in aspects:
                aspects.append(aspect)
    return cues, level, aspects, level_turn


def read_risk(record: InterviewRecord, cov: Coverage) -> RiskReading:
    risk_turns = set(cov.risk_turns)
    asked = bool(risk_turns)
    first = min(risk_turns) if asked else None
    if record.states:
        cues, disclosed, disclosed_turns = _from_states(record)
        level = _state_level(record, disclosed, asked)
        level_turn = disclosed_turns.get("ideation")
        source = "disclosure"
    else:
        cues, level, disclosed, level_turn = _from_text(record, risk_turns)
        level = level if asked else "not_asked"
        source = "text"
    for cue in cues:
        cue.followed_at = next((t for t in sorted(risk_turns) if t > cue.turn), None)
    reading = RiskReading(
        cues=cues, asked=asked, first_asked_turn=first, asked_turns=sorted(risk_turns),
        aspects=dict(cov.risk_aspects), ideation_asked="ideation" in cov.risk_aspects,
        plan_asked="plan" in cov.risk_aspects, intent_asked="intent" in cov.risk_aspects,
        means_asked="means" in cov.risk_aspects, history_asked="past_attempts" in cov.risk_aspects,
        protective_asked="protective_factors" in cov.risk_aspects, disclosed_level=level,
        disclosed_aspects=[a for a in ASPECTS if a in disclosed], disclosed_turn=level_turn,
        flag=bool(cues) and not asked, first_session=record.first_session, source=source,
    )
    reading.next_steps = next_steps(reading)
    reading.summary = " ".join(reading.next_steps[:1]) if reading.next_steps else ""
    return reading


def next_steps(r: RiskReading) -> list[str]:
    """Plain next steps, most important first."""
    steps: list[str] = []
    if r.flag:
        cue = r.cues[0]
        steps.append(say("risk", "cue_never_asked", quote=cue.quote, turn=cue.turn,
                         ask=aspect_question("ideation")))
        return steps
    if not r.asked:
        key = "not_asked_first" if r.first_session else "not_asked_later"
        return [say("risk", key, ask=aspect_question("ideation"))]
    late = [c for c in r.cues if c.followed_at is not None and c.followed_at - c.turn > 2 * PROMPT_TURNS]
    if r.disclosed_level == "unclear":
        steps.append(say("risk", "unclear", asked=r.first_asked_turn))
    elif r.disclosed_level == "none":
        steps.append(say("risk", "screened_no", asked=r.first_asked_turn, level=level_words("none")))
    else:
        steps.append(say("risk", "disclosed", level=level_words(r.disclosed_level), asked=r.first_asked_turn))
        missing = [a for a in FOLLOW_UP if a not in r.aspects]
        if missing:
            steps.append(say("risk", "missing_aspects", aspects=", ".join(aspect_label(a) for a in missing),
                             ask=aspect_question(missing[0])))
        else:
            steps.append(say("risk", "all_aspects"))
    for c in late[:1]:
        steps.append(say("risk", "cue_late", turn=c.turn, asked=c.followed_at))
    return steps
