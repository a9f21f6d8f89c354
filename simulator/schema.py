"""One pydantic schema per concept, used by the library, the engines, the store and the CLI."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .vocab import Emotion, HelplessBelief, Style, UnlovableBelief, WorthlessBelief

SCHEMA_VERSION = 1
MAX_MESSAGE_CHARS = 2000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Situation(_Strict):
    """One situation of the cognitive model, written in the patient's own voice."""

    situation: str = Field(min_length=1)
    automatic_thoughts: str = Field(min_length=1)
    emotions: list[Emotion] = Field(min_length=1)
    behavior: str = Field(min_length=1)


class CoreBeliefs(_Strict):
    helpless: list[HelplessBelief] = []
    unlovable: list[UnlovableBelief] = []
    worthless: list[WorthlessBelief] = []

    @model_validator(mode="after")
    def _at_least_one(self) -> CoreBeliefs:
        if not self.all():
            raise ValueError("a case needs at least one core belief")
        return self

    def all(self) -> list[str]:
        return [*self.helpless, *self.unlovable, *self.worthless]


class PatientCase(_Strict):
    """A simulated patient: the cognitive conceptualization plus who they are."""

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1, max_length=80)
    age: int = Field(ge=16, le=100)
    pronouns: str = Field(min_length=1, max_length=30)
    occupation: str = Field(min_length=1, max_length=120)
    presenting_problem: str = Field(min_length=1, max_length=200)
    # Shown on the card before a session, so a trainee is not surprised by distressing material.
    content_note: str | None = Field(default=None, max_length=200)
    history: str = Field(min_length=1)
    core_beliefs: CoreBeliefs
    intermediate_beliefs: str = Field(min_length=1)
    intermediate_beliefs_depression: str | None = None
    coping_strategies: str = Field(min_length=1)
    situations: list[Situation] = Field(min_length=1)
    styles: list[Style] = Field(min_length=1)
    difficulty: Literal["beginner", "intermediate", "advanced"] = "intermediate"

    @field_validator("presenting_problem")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if "\n" in v:
            raise ValueError("the presenting problem is one line")
        return v

    @field_validator("styles")
    @classmethod
    def _unique_styles(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


class CaseCard(_Strict):
    """What a trainee may see before a session: never the cognitive model."""

    id: str
    name: str
    age: int
    pronouns: str
    occupation: str
    presenting_problem: str
    content_note: str | None = None
    difficulty: str
    styles: list[Style]
    situation_count: int

    @classmethod
    def of(cls, case: PatientCase) -> CaseCard:
        return cls(
            id=case.id, name=case.name, age=case.age, pronouns=case.pronouns,
            occupation=case.occupation, presenting_problem=case.presenting_problem,
            content_note=case.content_note, difficulty=case.difficulty, styles=case.styles, situation_count=len(case.situations),
        )


Move = Literal[
    "greeting", "agenda", "open_question", "ask_situation", "ask_thoughts", "ask_feelings",
    "ask_behavior", "ask_history", "ask_meaning", "ask_coping", "reflect", "validate",
    "summarise", "psychoeducation", "off_topic", "closing", "judgmental", "abrupt", "probe_prompt",
    "other",
]

# Elements of the case that can surface in a conversation, in the order a patient opens up.
Element = Literal[
    "situation", "emotions", "behavior", "automatic_thoughts", "coping_strategies", "history",
    "intermediate_beliefs", "intermediate_beliefs_depression", "core_beliefs",
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


Role = Literal["therapist", "patient"]


class Turn(_Strict):
    """One message in a transcript. A patient reply cut mid-stream is kept with complete=False."""

    index: int
    role: Role
    text: str
    complete: bool = True
    moves: list[Move] = []
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


UserRole = Literal["trainee", "supervisor", "researcher", "admin"]


class Actor(_Strict):
    """Who is asking. Every read and write of someone's work in simulator/ is checked against it."""

    id: str
    username: str
    role: UserRole
