"""The formulation rubric as data (data/rubrics/formulation.json), validated on load.

A supervisor reads the same file in the app that the scorer uses, so what is shown is what counts.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.core.settings import DATA_DIR

RUBRIC_PATH = DATA_DIR / "rubrics" / "formulation.json"
FieldName = Literal["situation", "automatic_thoughts", "emotions", "behavior", "core_beliefs",
                    "intermediate_beliefs", "coping_strategies", "history"]
FIELD_ORDER: tuple[str, ...] = FieldName.__args__


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Descriptors(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    zero: str = Field(alias="0", min_length=1)
    one: str = Field(alias="1", min_length=1)
    two: str = Field(alias="2", min_length=1)

    def of(self, level: int) -> str:
        return (self.zero, self.one, self.two)[level]


class RubricField(_Strict):
    label: str
    kind: Literal["free_text", "closed_list"]
    weight: float = Field(gt=0)
    descriptors: Descriptors
    ask_next: str = Field(min_length=1)  # the question suggested when this never came up


class Calibration(_Strict):
    """How the free-text thresholds were chosen, so the figures can be reproduced."""

    command: str
    examples: int
    field_instances: int
    level_agreement: float  # share of free-text fields where computed level == supervisor level
    leave_one_case_out_agreement: float | None = None
    spearman_total: float


class FreeTextThresholds(_Strict):
    partial: float = Field(ge=-1, le=1)  # similarity at or above: level 1
    full: float = Field(ge=-1, le=1)  # at or above: level 2

    @model_validator(mode="after")
    def _ordered(self) -> FreeTextThresholds:
        if self.partial > self.full:
            raise ValueError("the 'partial' threshold must not exceed the 'full' one")
        return self


class Thresholds(_Strict):
    free_text: FreeTextThresholds
    evidence: float = Field(ge=0, le=1)  # a patient sentence this close to a reference sentence disclosed it
    support: float = Field(ge=0, le=1)  # a patient sentence this close to a trainee claim supports it
    calibration: Calibration | None = None


class Rubric(_Strict):
    about: str = Field(alias="_about", default="")
    version: int
    scale: Descriptors
    fields: dict[FieldName, RubricField]
    thresholds: Thresholds

    @model_validator(mode="after")
    def _complete(self) -> Rubric:
        missing = [f for f in FIELD_ORDER if f not in self.fields]
        if missing:
            raise ValueError(f"the rubric has no entry for {', '.join(missing)}")
        return self

    @property
    def total_weight(self) -> float:
        return sum(f.weight for f in self.fields.values())


def load_rubric(path: Path | str = RUBRIC_PATH) -> Rubric:
    return _load(str(path))


@lru_cache(maxsize=4)
def _load(path: str) -> Rubric:
    return Rubric.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))


def clear_cache() -> None:
    _load.cache_clear()
