"""The state of one restructuring dialogue: the stages, what was done at each, the thoughts worked
on; and a stored dialogue as lists and pages see it.

Pure data. The store keeps the turns in their own table and the rest of the state as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from simulator.cbt.case import PatientCase
from simulator.traps.restructuring.texts import (
    IDENTIFICATION,
    RESTRUCTURING,
    STAGES,
    texts,
)

__all__ = ["IDENTIFICATION", "RESTRUCTURING", "STAGES", "STAGE_NAMES", "Dialogue", "DialogueStatus",
           "DialogueSummary", "RTurn", "RestructuringState", "StageFeedback", "StageMark", "ThoughtWork"]

# The stages as the trainee sees them (data/traps/restructuring.json).
STAGE_NAMES: dict[str, str] = {s: texts().stage_names[s] for s in STAGES}

Status = Literal["pending", "done", "skipped"]
# A stored dialogue: open, finished by the trainee, or closed after going untouched too long.
DialogueStatus = Literal["active", "ended", "abandoned"]


class StageMark(BaseModel):
    status: Status = "pending"
    turn: int | None = None
    attempts: int = 0


class ThoughtWork(BaseModel):
    situation_index: int
    text: str
    patterns: list[str] = []
    belief_start: int
    belief_end: int | None = None
    stages: dict[str, StageMark] = {}
    evidence_for: list[str] = []
    facts_only: bool = False
    evidence_against: list[str] = []
    alternative: str | None = None
    alternative_by: Literal["patient", "trainee"] | None = None
    alternative_ok: bool = False
    alternative_notes: list[str] = []
    setbacks: int = 0


class RTurn(BaseModel):
    role: Literal["therapist", "patient"]
    text: str
    acts: list[str] = []
    stage: str | None = None


class StageFeedback(BaseModel):
    stage: str
    title: str
    status: str
    text: str


class RestructuringState(BaseModel):
    case_id: str
    situation_index: int
    seed: int = 0
    identification: dict[str, StageMark] = {s: StageMark() for s in IDENTIFICATION}
    thoughts: list[ThoughtWork] = []
    queue: list[tuple[int, str]] = []  # distorted thoughts still to work on
    turns: list[RTurn] = []  # stored in their own table; here for the rules, which count them
    stage: str = "automatic_thought"  # the stage the trainee is working on now
    supportive: int = 0
    judgmental: int = 0
    finished: bool = False
    feedback: list[StageFeedback] = []

    @property
    def current(self) -> ThoughtWork:
        return self.thoughts[-1]

    def mark(self, stage: str) -> StageMark:
        return self.identification[stage] if stage in IDENTIFICATION else self.current.stages[stage]

    def next_stage(self) -> str | None:
        for s in STAGES:
            if self.mark(s).status == "pending":
                return s
        return None

    def stages_done(self) -> int:
        """Stages done, over identification and every thought worked on."""
        return (sum(self.mark(s).status == "done" for s in IDENTIFICATION)
                + sum(m.status == "done" for w in self.thoughts for m in w.stages.values()))

    def without_turns_json(self) -> str:
        """The state as stored beside its turns."""
        return self.model_dump_json(exclude={"turns"})


# -- a stored dialogue, as the store reads it --

@dataclass
class Dialogue:
    """One stored dialogue as of one consistent read: its case snapshot, its state and every turn."""

    id: str
    owner: str | None
    engine: str
    status: DialogueStatus
    case: PatientCase
    state: RestructuringState  # with every turn, in order
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == "active"


@dataclass
class DialogueSummary:
    """A dialogue as lists show it (My sessions, Review, progress)."""

    id: str
    owner: str | None
    case_id: str
    case_name: str
    engine: str
    status: DialogueStatus
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    messages: int
    thought: str
    belief_start: int
    belief_end: int
    stages_done: int
    thoughts: int
