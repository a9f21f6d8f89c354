"""The one coverage computation: which assessment areas the trainee asked about, and at which turn,
and (for a simulated session) at which turn each element of the case surfaced.

The interview report shows it; the formulation feedback reads it to advise only on what was
never asked. Turns are turn numbers as shown to people (`turn_number`: 1 for the first message).
Asked comes from the moves recognised in the trainee's messages (in a transcript, a question on
protective factors or means only once risk has come up: `_screens`; where risk screening starts in an
outside transcript is learned: report/screening.py); surfaced from the
disclosure state stored with each patient turn (`DisclosureState.surfaced`, `core_beliefs_surfaced`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal, get_args

from pydantic import BaseModel

from simulator.cbt.interview import Turn, turn_index, turn_number
from simulator.cbt.moves import SCREENING_ASPECTS, names_risk
from simulator.cbt.report import risk_text, screening
from simulator.cbt.report.record import InterviewRecord

Area = Literal["situation", "thoughts", "feelings", "body", "intensity", "behaviour", "meaning",
               "history", "coping", "goals"]
AREAS: tuple[str, ...] = get_args(Area)
# The move that asks about each area (simulator/cbt/interview.py names the moves).
AREA_MOVES: dict[str, str] = {
    "situation": "ask_situation", "thoughts": "ask_thoughts", "feelings": "ask_feelings",
    "body": "ask_body", "intensity": "ask_intensity", "behaviour": "ask_behavior",
    "meaning": "ask_meaning", "history": "ask_history", "coping": "ask_coping", "goals": "ask_goals",
}
# Which areas an interview must ask about for each field of the formulation to come up.
FIELD_AREAS: dict[str, tuple[str, ...]] = {
    "situation": ("situation",), "automatic_thoughts": ("thoughts",), "emotions": ("feelings",),
    "behavior": ("behaviour",), "core_beliefs": ("meaning",), "intermediate_beliefs": ("meaning",),
    "coping_strategies": ("coping",), "history": ("history",),
}
ASPECTS = ("ideation", "plan", "intent", "means", "past_attempts", "protective_factors")


class AreaCoverage(BaseModel):
    area: Area
    first_turn: int | None = None  # turn number of the first question about it; None: never asked
    turns: list[int] = []  # every turn that asked about it


class Coverage(BaseModel):
    areas: dict[str, AreaCoverage]
    risk_turns: list[int] = []  # turns that asked about risk
    risk_aspects: dict[str, int] = {}  # aspect -> turn number first asked
    # From the disclosure state (simulated sessions only; empty otherwise).
    has_states: bool = False
    surfaced: dict[str, int] = {}  # element -> turn number of the patient turn where it first surfaced
    core_beliefs: dict[str, int] = {}  # core belief -> turn number where it was first voiced

    def first(self, area: str) -> int | None:
        return self.areas[area].first_turn

    def asked(self, area: str) -> bool:
        return self.areas[area].first_turn is not None

    def never_asked(self) -> list[str]:
        return [a for a in AREAS if not self.asked(a)]

    def field_asked(self, field: str) -> int | None:
        """The first turn that asked about any area behind a formulation field (None: never)."""
        turns = [self.first(a) for a in FIELD_AREAS[field] if self.asked(a)]
        return min(turns) if turns else None


def coverage(record: InterviewRecord, learned: bool = True) -> Coverage:
    """With `learned`, an outside transcript's risk screening is the learned decision where one is
    installed (report/screening.py, which learns with it off); the rule otherwise."""
    areas = {a: AreaCoverage(area=a) for a in AREAS}
    risk_turns: list[int] = []
    first_risk_words = cache(lambda: _first_risk_words(record))  # read only when a follow-up needs it
    for t in record.therapist:
        n = turn_number(t.index)
        moves = set(t.moves)
        for area, move in AREA_MOVES.items():
            if move in moves:
                areas[area].turns.append(n)
        asked = t.risk_aspects or ["ideation"]
        if "ask_risk" in moves and _screens(record, t, asked, bool(risk_turns), first_risk_words):
            risk_turns.append(n)
    if learned and not record.states:
        risk_turns = screening.decide(record, risk_turns, first_risk_words)
    aspects: dict[str, int] = {}
    for n in risk_turns:
        for aspect in record.turns[turn_index(n)].risk_aspects or ["ideation"]:
            aspects.setdefault(aspect, n)
    for a in areas.values():
        a.first_turn = a.turns[0] if a.turns else None

    surfaced: dict[str, int] = {}
    beliefs: dict[str, int] = {}
    for idx in sorted(record.states):
        if record.superseded(idx) if idx < len(record.turns) else False:
            continue  # a cut reply answered again: the complete answer is the one that counts
        state = record.states[idx]
        for element in state.surfaced:
            surfaced.setdefault(element, turn_number(idx))
        for belief in state.core_beliefs_surfaced:
            beliefs.setdefault(belief, turn_number(idx))
    return Coverage(areas=areas, risk_turns=risk_turns, risk_aspects=aspects,
                    has_states=bool(record.states), surfaced=surfaced, core_beliefs=beliefs)


def _screens(record: InterviewRecord, t: Turn, asked: list[str], screened: bool,
             first_risk_words: Callable[[], int | None]) -> bool:
    """Whether the trainee's risk question `t` counts as risk screening. In a transcript, one read
    surely (moves.sure_risk_question) that asks about SCREENING_ASPECTS or names death, suicide or
    self-harm does. One on protective factors or means alone, one that speaks only of being safe, or
    one read unsurely ("Does that sound like a plan?") counts only after a screening question or once
    the patient has spoken of death or suicide in words (or when the patient's answer is about
    suicide: record.from_plain); before that it is an ordinary question (most "risk asked" readings
    supervisors did not share on the graded transcripts were these). A simulated session's patient
    answered it as a risk question, so there it counts."""
    if record.states or screened:
        return True
    if t.index not in record.unsure_risk and (SCREENING_ASPECTS.intersection(asked)
                                              or names_risk(t.text, safety=False)):
        return True
    first = first_risk_words()
    return first is not None and first < t.index


def _first_risk_words(record: InterviewRecord) -> int | None:
    """The transcript index of the first patient turn that speaks of death, suicide or self-harm in
    words (the sentence reader; a cut reply answered again does not count), or None."""
    said = [t for t in record.patient if not record.superseded(t.index)]
    readings = risk_text.read([t.text for t in said]) if said else []
    return next((t.index for t, sentences in zip(said, readings) if any(risk_text.is_cue(r) for r in sentences)),
                None)
