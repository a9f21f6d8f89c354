"""The exemplar bank: short labelled examples of each skill at each level (data/exemplars/dearman/).

Embeddings of the bank are computed once per process, on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.core.datafiles import parse_json, validate_file_data
from simulator.core.settings import DATA_DIR
from simulator.dearman.scenarios import ScenarioFileError
from simulator.dearman.schema import SKILLS, STRATEGIES, Level, Skill, YesNo

EXEMPLARS_DIR = DATA_DIR / "exemplars" / "dearman"
MIN_PER_LEVEL = 15


class ExemplarFileError(ScenarioFileError):
    """A problem in one exemplar bank file: file, field, problem, like a scenario file."""


class Exemplar(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str = Field(min_length=1, max_length=400)
    level: Level | YesNo


class ExemplarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skill: Skill
    examples: list[Exemplar]

    @model_validator(mode="after")
    def _levels_fit(self) -> ExemplarFile:
        allowed = {"strong", "weak", "none"} if self.skill in STRATEGIES else {"yes", "no"}
        for ex in self.examples:
            if ex.level not in allowed:
                raise ValueError(f"{ex.level!r} is not a level of {self.skill} ({', '.join(sorted(allowed))})")
        for level in allowed:
            n = sum(ex.level == level for ex in self.examples)
            if n < MIN_PER_LEVEL:
                raise ValueError(f"{self.skill} has {n} {level} examples; at least {MIN_PER_LEVEL} are needed")
        return self


@dataclass
class Bank:
    examples: dict[str, list[Exemplar]]
    _vectors: dict[str, np.ndarray] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def vectors(self, skill: str) -> np.ndarray:
        """Unit-length embeddings of one skill's examples, computed for all skills at once."""
        with self._lock:
            if self._vectors is None:
                from simulator.core import embeddings

                texts = [ex.text for skill_ in SKILLS for ex in self.examples[skill_]]
                matrix = embeddings.encode(texts)
                out, start = {}, 0
                for skill_ in SKILLS:
                    n = len(self.examples[skill_])
                    out[skill_] = matrix[start:start + n]
                    start += n
                self._vectors = out
        return self._vectors[skill]

    def levels(self, skill: str) -> list[str]:
        return [ex.level for ex in self.examples[skill]]


def load_bank(directory: str | Path = EXEMPLARS_DIR) -> Bank:
    directory = Path(directory)
    examples: dict[str, list[Exemplar]] = {}
    for skill in SKILLS:
        path = directory / f"{skill}.json"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ExemplarFileError(path.name, "", f"cannot be read ({exc.strerror})") from None
        data = parse_json(text, path.name, ExemplarFileError)
        parsed = validate_file_data(ExemplarFile, data, path.name, ExemplarFileError, "exemplar file")
        if parsed.skill != skill:
            raise ExemplarFileError(path.name, "skill", f"says {parsed.skill!r}; expected {skill!r}")
        examples[skill] = parsed.examples
    return Bank(examples)


@lru_cache(maxsize=1)
def default_bank() -> Bank:
    return load_bank()
