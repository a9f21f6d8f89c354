"""The training bank of whole messages (data/dearman/bank/), tagged sentence by sentence.

Each message is written as its sentences, each with the skills it carries (coding manual:
data/dearman/bank/README.md). The message's labels are derived from the sentence tags by the
rules of the manual, so the sentence-level and message-level labels cannot disagree:

- a strategy's level is the highest level any sentence has;
- Describe is at most weak when any sentence judges the other person (J or M);
- Mindful is "no" when any sentence is off the goal (M) or drops it (G);
- Appear confident is "no" when any sentence hedges or apologises for asking (H).

A message may override a derived label ("labels"), for the rare case the rules do not fit.
This bank is what the offline rater is trained and cross-validated on. Evaluation sets must not
share text with it (see simulator.dearman.evaluate).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.core.datafiles import DataFileError, parse_json, validate_file_data
from simulator.core.settings import DATA_DIR
from simulator.dearman.schema import SKILLS, STRATEGIES

BANK_DIR = DATA_DIR / "dearman" / "bank"
LEVEL_NAMES = ("none", "weak", "strong")
LETTER = {"D": "describe", "E": "express", "A": "assert", "R": "reinforce", "N": "negotiate"}
FLAGS = {
    "J": "judgement",  # loaded words about the other person or their behaviour
    "M": "off_goal",  # attack on the person, side issue, old grievance
    "G": "gives_up",  # drops the goal
    "H": "hedge",  # hedges, minimises or apologises for asking
}


class BankFileError(DataFileError):
    """A problem in one bank file: file, field (or line), problem."""


def parse_tags(tags: str) -> tuple[dict[str, int], frozenset[str]]:
    """"D2 E1 J" -> ({"describe": 2, "express": 1}, {"judgement"}). Raises ValueError."""
    levels: dict[str, int] = {}
    flags: set[str] = set()
    for token in tags.split():
        if token in FLAGS:
            flags.add(FLAGS[token])
        elif len(token) == 2 and token[0] in LETTER and token[1] in "12":
            skill = LETTER[token[0]]
            if skill in levels:
                raise ValueError(f"{token!r}: {skill} is tagged twice")
            levels[skill] = int(token[1])
        else:
            raise ValueError(f"{token!r} is not a tag (D1/D2, E1/E2, A1/A2, R1/R2, N1/N2, J, M, G, H)")
    return levels, frozenset(flags)


class Situation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    situation: str = Field(min_length=1)
    goal: str = Field(min_length=1)


class SituationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    situations: list[Situation]


class BankLine(BaseModel):
    """One line of a messages file as written."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sit: str
    partner: str = ""
    parts: list[tuple[str, str]] = Field(min_length=1)
    labels: dict[str, str] = {}  # overrides of derived labels, rarely needed

    @field_validator("parts")
    @classmethod
    def _tags_parse(cls, parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for text, tags in parts:
            if not text.strip():
                raise ValueError("a part has no text")
            parse_tags(tags)
        return parts

    @field_validator("labels")
    @classmethod
    def _labels_known(cls, labels: dict[str, str]) -> dict[str, str]:
        for skill, level in labels.items():
            allowed = LEVEL_NAMES if skill in STRATEGIES else ("yes", "no") if skill in SKILLS else ()
            if level not in allowed:
                raise ValueError(f"{skill}={level!r} is not a skill and level")
        return labels


@dataclass(frozen=True)
class Part:
    text: str
    levels: dict[str, int]  # strategy -> 1 or 2; absent means none
    flags: frozenset[str]

    def level(self, skill: str) -> int:
        return self.levels.get(skill, 0)


@dataclass(frozen=True)
class BankMessage:
    source: str  # file:line
    situation: str
    goal: str
    partner_last: str
    parts: tuple[Part, ...]
    labels: dict[str, str]
    group: str  # the situation id, for grouped cross-validation

    @property
    def message(self) -> str:
        return " ".join(p.text for p in self.parts)


def derive_labels(parts: tuple[Part, ...], overrides: dict[str, str] | None = None) -> dict[str, str]:
    flags = set().union(*(p.flags for p in parts))
    labels = {s: LEVEL_NAMES[max(p.level(s) for p in parts)] for s in STRATEGIES}
    if labels["describe"] == "strong" and flags & {"judgement", "off_goal"}:
        labels["describe"] = "weak"
    labels["mindful"] = "no" if flags & {"off_goal", "gives_up"} else "yes"
    labels["confident"] = "no" if "hedge" in flags else "yes"
    labels.update(overrides or {})
    return labels


def _situations(directory: Path) -> dict[str, Situation]:
    path = directory / "situations.json"
    data = parse_json(path.read_text(encoding="utf-8"), path.name, BankFileError)
    parsed = validate_file_data(SituationFile, data, path.name, BankFileError, "situations file")
    out: dict[str, Situation] = {}
    for sit in parsed.situations:
        if sit.id in out:
            raise BankFileError(path.name, sit.id, "this id is used twice")
        out[sit.id] = sit
    return out


def message_files(directory: Path = BANK_DIR) -> list[Path]:
    return sorted((directory / "messages").glob("*.jsonl"))


def load_messages(directory: str | Path = BANK_DIR) -> list[BankMessage]:
    directory = Path(directory)
    situations = _situations(directory)
    out: list[BankMessage] = []
    for path in message_files(directory):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            data = parse_json(line, where, BankFileError)
            row = validate_file_data(BankLine, data, where, BankFileError, "bank message")
            if row.sit not in situations:
                raise BankFileError(where, "sit", f"{row.sit!r} is not in situations.json")
            parts = tuple(Part(text.strip(), *parse_tags(tags)) for text, tags in row.parts)
            sit = situations[row.sit]
            out.append(BankMessage(where, sit.situation, sit.goal, row.partner, parts,
                                   derive_labels(parts, row.labels), row.sit))
    return out


@lru_cache(maxsize=1)
def default_messages() -> tuple[BankMessage, ...]:
    return tuple(load_messages())


def fingerprint(paths: list[Path]) -> str:
    """A hash of the training files, so a trained model can tell it is out of date."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def as_eval_rows(messages: list[BankMessage] | tuple[BankMessage, ...]) -> list[dict]:
    """Bank messages in the evaluation-set row shape (for cross-validation reports)."""
    return [{"line": m.source, "situation": m.situation, "goal": m.goal, "partner_last": m.partner_last,
             "message": m.message, "labels": m.labels} for m in messages]
