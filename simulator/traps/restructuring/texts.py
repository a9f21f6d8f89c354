"""Every cue, patient phrase and feedback sentence of the exercise, from data/traps/restructuring.json.

Validated once per process; a problem in the file is reported as (file, field, sentence).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from simulator.core.datafiles import DataFileError, parse_json, validate_file_data
from simulator.core.settings import DATA_DIR

PATH = DATA_DIR / "traps" / "restructuring.json"

# Stages as stored; their names for the trainee come from the data file.
IDENTIFICATION = ("automatic_thought", "intermediate_belief", "core_belief")
RESTRUCTURING = ("evidence_for", "evidence_against", "alternative")
STAGES = IDENTIFICATION + RESTRUCTURING


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ByStatus(_Strict):
    done: str
    skipped: str
    pending: str


class IdentificationFeedback(_Strict):
    automatic_thought: ByStatus
    intermediate_belief: ByStatus
    core_belief: ByStatus


class EvidenceForFeedback(_Strict):
    facts_only: str
    interpretations: str
    missing: str


class EvidenceAgainstFeedback(_Strict):
    enough: str
    one: str
    some: str
    missing: str


class AlternativeFeedback(_Strict):
    missing: str
    trainee_good: str
    patient_good: str
    trainee_missed: str
    trainee_missed_no_notes: str
    too_early: str


class BeliefFeedback(_Strict):
    title: str
    down: str
    unchanged: str
    up: str
    no_pattern: str


class Note(_Strict):
    title: str
    text: str


class Feedback(_Strict):
    identification: IdentificationFeedback
    core_asked_early: str
    evidence_for: EvidenceForFeedback
    evidence_against: EvidenceAgainstFeedback
    alternative: AlternativeFeedback
    belief: BeliefFeedback
    thought_label: str
    manner: Note
    support: Note


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    about: str = Field(alias="_about")
    stage_names: dict[str, str]
    acts: dict[str, list[str]]
    patient: dict[str, list[str] | str]
    feedback: Feedback

    def phrases(self, key: str) -> list[str]:
        value = self.patient[key]
        return [value] if isinstance(value, str) else value

    def phrase(self, key: str) -> str:
        value = self.patient[key]
        return value if isinstance(value, str) else value[0]


@lru_cache(maxsize=1)
def texts() -> Texts:
    raw = parse_json(PATH.read_text(encoding="utf-8"), PATH.name)
    loaded = validate_file_data(Texts, raw, PATH.name, noun="restructuring text file")
    if set(loaded.stage_names) != set(STAGES):
        raise DataFileError(PATH.name, "stage_names", f"must name exactly the stages {', '.join(STAGES)}")
    return loaded


@lru_cache(maxsize=1)
def act_patterns() -> dict[str, list[re.Pattern[str]]]:
    """The cue patterns of each act, compiled once (matched against the lower-cased message)."""
    return {act: [re.compile(rx, re.IGNORECASE) for rx in rxs] for act, rxs in texts().acts.items()}


def stage_name(stage: str) -> str:
    return texts().stage_names.get(stage, stage)
