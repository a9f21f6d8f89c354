"""What happens in an interview: the trainee's moves, the case elements that surface, the
disclosure state, turns and sessions.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import Field

from simulator.cbt.case import _Strict
from simulator.cbt.vocab import Style

Move = Literal[
    "greeting", "agenda", "open_question", "closed_question", "ask_situation", "ask_thoughts",
    "ask_feelings", "ask_behavior", "ask_history", "ask_meaning", "ask_coping", "ask_intensity",
    "ask_body", "ask_goals", "ask_risk", "reflect", "validate", "summarise", "psychoeducation",
    "off_topic", "closing", "judgmental", "abrupt", "probe_prompt", "other",
]
# What a risk question asks about (DESIGN.md section 8), reported per turn.
RiskAspect = Literal["ideation", "plan", "intent", "means", "past_attempts", "protective_factors"]

# Elements of the case that can surface in a conversation, in the order a patient opens up,
# then what an assessment asks about (schema version 2).
Element = Literal[
    "situation", "emotions", "behavior", "automatic_thoughts", "coping_strategies", "history",
    "intermediate_beliefs", "intermediate_beliefs_depression", "core_beliefs",
    "goals", "body", "intensity", "risk",
]


class DisclosureState(_Strict):
    """What has surfaced so far in one session, and how much the patient trusts the trainee."""

    turn: int = 0
    rapport: float = Field(default=0.3, ge=0.0, le=1.0)
    meaning_probes: int = 0
    surfaced: dict[str, int] = {}  # element -> turn it first surfaced
    core_beliefs_surfaced: list[str] = []
    last_moves: list[Move] = []
    last_reply: str = ""
    # Risk: the aspects answered openly so far, whether risk has been asked about at all, and
    # which of the case's cues (by index) the patient has let slip.
    risk_disclosed: list[RiskAspect] = []
    risk_asked: bool = False
    cues_dropped: list[int] = []


Role = Literal["therapist", "patient"]


class Turn(_Strict):
    """One message in a transcript. A patient reply cut mid-stream is kept with complete=False."""

    index: int
    role: Role
    text: str
    complete: bool = True
    moves: list[Move] = []
    risk_aspects: list[RiskAspect] = []  # what a risk question asks about (therapist turns)
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


class SessionInfo(_Strict):
    id: str
    case_id: str
    situation_index: int
    style: Style
    engine: str
    seed: int
    status: Literal["active", "ended"] = "active"
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None
    owner: str | None = None
    case_version: int | None = 1
    case_name: str = ""  # from the session's case snapshot, for lists that show many sessions
    assignment_id: str | None = None  # the assignment this session was started for, if any


def turn_number(index: int) -> int:
    """The number a person sees beside a turn (1 for the first message): used in every page, link,
    report, comment and export, so a turn is called the same everywhere."""
    return index + 1


def turn_index(number: int) -> int:
    """The transcript index of the turn a person sees as `number` (turn_number's inverse)."""
    return number - 1
