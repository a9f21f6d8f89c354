"""A patient case: the cognitive conceptualization of one simulated patient (DESIGN.md section 2)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.cbt.vocab import (
    Emotion,
    HelplessBelief,
    Style,
    UnlovableBelief,
    WorthlessBelief,
)

SCHEMA_VERSION = 1


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
