"""A patient case: the cognitive conceptualization of one simulated patient (DESIGN.md section 2).

Schema version 2 adds what an assessment asks (goals; what brings the patient, in their words; per
situation the body, how intense each emotion was, how strongly the thought was believed then and now;
a risk profile), ways of voicing each deeper element indirectly, and per-situation beliefs, rules
and coping that override the patient's where a situation differs (as PATIENT-Ψ records do).
Version-1 files keep loading: every new field is optional, and a case without a risk profile has
level "unknown". An imported case records where it came from (`imported_from`); that, and the list
of cases Practicum ships (data/library.json), tell a case's source: library, imported or authored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulator.cbt.vocab import (
    CORE_BELIEFS,
    Emotion,
    HelplessBelief,
    Style,
    UnlovableBelief,
    WorthlessBelief,
)

SCHEMA_VERSION = 2

CoreBeliefLabel = Literal[HelplessBelief, UnlovableBelief, WorthlessBelief]
# Where a case came from: shipped with Practicum, imported from a file, or written here.
CaseSource = Literal["library", "imported", "authored"]
CASE_SOURCES: tuple[str, ...] = ("library", "imported", "authored")
# What a card may say about risk: whether it comes up in the interview, and whether the case
# says anything about it at all. Content notes already announce risk before a session.
CardRisk = Literal["present", "none", "unknown"]
CARD_RISKS: dict[str, str] = {"present": "risk comes up", "none": "no risk",
                              "unknown": "not recorded"}
RiskLevel = Literal["unknown", "none", "passive", "active_no_plan", "active_plan"]
RISK_LEVELS: dict[str, str] = {
    "unknown": "unknown (no risk profile)",
    "none": "none",
    "passive": "passive thoughts of death",
    "active_no_plan": "active ideation without a plan",
    "active_plan": "active ideation with a plan",
}
# What a risk assessment asks about, in the order an assessor usually goes.
RISK_ASPECTS: tuple[str, ...] = ("ideation", "plan", "intent", "means", "past_attempts",
                                 "protective_factors")
Percent = Field(ge=0, le=100)
# The parts of the model a situation may hold itself (see Situation and PatientCase.model_for).
SITUATION_MODEL: tuple[str, ...] = ("core_beliefs", "intermediate_beliefs",
                                    "intermediate_beliefs_depression", "coping_strategies")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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


class Situation(_Strict):
    """One situation of the cognitive model, written in the patient's own voice.

    The belief, rule and coping fields are for a situation that differs from the patient's usual
    model; left out (null), the patient's own apply (see `PatientCase.model_for`). The depression
    rule may also be the empty text: this situation has none, though the patient's usual model
    has one (a PATIENT-Ψ record with an empty `intermediate_belief_depression`).
    """

    situation: str = Field(min_length=1)
    automatic_thoughts: str = Field(min_length=1)
    emotions: list[Emotion] = Field(min_length=1)
    behavior: str = Field(min_length=1)
    # Version 2: what an assessment asks about this moment.
    body: str | None = None  # physical sensations, in the patient's words
    emotion_intensity: dict[Emotion, int] = {}  # emotion label -> 0-100
    belief_then: int | None = Field(default=None, ge=0, le=100)  # belief in the thought at the time
    belief_now: int | None = Field(default=None, ge=0, le=100)  # and now, in the session
    # Version 2: this situation's own model where it differs from the patient's.
    core_beliefs: CoreBeliefs | None = None
    intermediate_beliefs: str | None = None
    intermediate_beliefs_depression: str | None = None
    coping_strategies: str | None = None

    @field_validator("emotion_intensity")
    @classmethod
    def _intensity_range(cls, v: dict[str, int]) -> dict[str, int]:
        for label, value in v.items():
            if not 0 <= value <= 100:
                raise ValueError(f"the intensity of {label!r} is {value}; use 0 to 100")
        return v

    @field_validator("body", "intermediate_beliefs", "coping_strategies")
    @classmethod
    def _empty_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _intensities_name_this_situation_emotions(self) -> Situation:
        stray = [label for label in self.emotion_intensity if label not in self.emotions]
        if stray:
            raise ValueError(f"emotion_intensity rates {stray[0]!r}, which is not one of this "
                             "situation's emotions")
        return self


class RiskProfile(_Strict):
    """What a risk assessment would find (DESIGN.md section 8), in the patient's words.

    Each answer is what the patient says when asked about that aspect directly and warmly; `cues`
    are what they let slip before anyone asks. Means are named only as an assessor needs them
    (what, and whether at hand), never how. "unknown" is a case with no risk profile (imported
    cases); "none" is a patient with no risk, who answers plainly.
    """

    level: RiskLevel = "unknown"
    ideation: str | None = None
    plan: str | None = None
    intent: str | None = None
    means: str | None = None
    past_attempts: str | None = None
    protective_factors: str | None = None
    cues: list[str] = []

    @field_validator("ideation", "plan", "intent", "means", "past_attempts", "protective_factors")
    @classmethod
    def _consistent(cls, v: str | None, info: ValidationInfo) -> str | None:
        v = v or None
        level = info.data.get("level")
        if v is None or level is None:
            return v
        if level in ("unknown", "none"):
            raise ValueError(f"the risk level is {level!r}, so this must be empty (a patient with "
                             "risk content needs a level that says so)")
        if info.field_name == "plan":
            if not info.data.get("ideation"):
                raise ValueError("a plan without ideation: describe the ideation first")
            if level != "active_plan":
                raise ValueError(f"a plan needs the level 'active_plan', not {level!r}")
        elif info.field_name in ("intent", "means") and not info.data.get("ideation"):
            raise ValueError(f"{info.field_name} without ideation: describe the ideation first")
        return v

    @field_validator("cues")
    @classmethod
    def _cues_need_risk(cls, v: list[str], info: ValidationInfo) -> list[str]:
        v = [c for c in v if c]
        if v and info.data.get("level") in ("unknown", "none"):
            raise ValueError(f"the risk level is {info.data['level']!r}, so there are no cues "
                             "to let slip")
        return v

    @model_validator(mode="after")
    def _level_has_content(self) -> RiskProfile:
        if self.level in ("passive", "active_no_plan", "active_plan") and not self.ideation:
            raise ValueError(f"the risk level {self.level!r} needs the ideation described "
                             "(field risk.ideation)")
        if self.level == "active_plan" and not self.plan:
            raise ValueError("the risk level 'active_plan' needs the plan described "
                             "(field risk.plan)")
        return self

    @property
    def known(self) -> bool:
        return self.level != "unknown"

    @property
    def present(self) -> bool:
        return self.level not in ("unknown", "none")

    def answer(self, aspect: str) -> str | None:
        return getattr(self, aspect)


class Voicings(_Strict):
    """Indirect ways this patient would voice each deeper element, in their own words.

    A hint at "I am a failure" without saying it; rules told as lived examples; coping told as
    what they did last week. The engines speak these instead of the reference text.
    """

    core_beliefs: dict[CoreBeliefLabel, list[str]] = {}
    intermediate_beliefs: list[str] = []
    intermediate_beliefs_depression: list[str] = []
    coping_strategies: list[str] = []
    history: list[str] = []

    @model_validator(mode="after")
    def _never_the_label(self) -> Voicings:
        texts = [*self.intermediate_beliefs, *self.intermediate_beliefs_depression,
                 *self.coping_strategies, *self.history,
                 *(v for group in self.core_beliefs.values() for v in group)]
        for text in texts:
            low = text.lower()
            label = next((b for b in CORE_BELIEFS if b.rstrip(".").lower() in low), None)
            if label:
                raise ValueError(f"a voicing says the core belief {label!r} outright: {text!r}; "
                                 "voicings hint at it in the patient's own words")
        return self


class ImportOrigin(_Strict):
    """Where an imported case came from: the file's name and format, and for PATIENT-Ψ the record
    each situation was read from, in order (situation 2 is `records[1]`)."""

    format: Literal["patient-psi", "native"]
    file: str = Field(min_length=1, max_length=200)
    records: list[str] = []


@dataclass(frozen=True)
class SituationModel:
    """The deeper layers that hold in one situation: the situation's own values where it has
    them, the patient's otherwise. What the engines, the reference formulation and
    restructuring use."""

    core_beliefs: tuple[str, ...]
    intermediate_beliefs: str
    intermediate_beliefs_depression: str | None
    coping_strategies: str
    history: str
    # Which of these the situation sets itself (their patient-level voicings do not fit them).
    overridden: frozenset[str]


class PatientCase(_Strict):
    """A simulated patient: the cognitive conceptualization plus who they are."""

    schema_version: Literal[1, 2] = SCHEMA_VERSION
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
    # Version 2.
    goals: str | None = None  # what the patient wants from therapy, in their words
    # What the patient says when asked what brings them, in their words. The presenting problem is
    # written for the trainee's card ("Hopelessness ... passive thoughts of death"); said aloud as
    # the first answer it sounded like a referral letter and gave away what the interview is for.
    in_own_words: str | None = Field(default=None, max_length=400)
    risk: RiskProfile = RiskProfile()
    voicings: Voicings = Voicings()
    imported_from: ImportOrigin | None = None  # set by the importer; None for a written case

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

    @field_validator("goals", "in_own_words", "intermediate_beliefs_depression", "content_note")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _voiced_beliefs_are_the_case_own(self) -> PatientCase:
        held = set(self.all_core_beliefs())
        stray = [b for b in self.voicings.core_beliefs if b not in held]
        if stray:
            raise ValueError(f"voicings are given for {stray[0]!r}, which is not one of this "
                             "case's core beliefs")
        return self

    def all_core_beliefs(self) -> list[str]:
        """Every core belief of the patient or of any situation, once each."""
        out = list(self.core_beliefs.all())
        for s in self.situations:
            if s.core_beliefs:
                out += s.core_beliefs.all()
        return list(dict.fromkeys(out))

    def model_for(self, situation_index: int) -> SituationModel:
        """The effective deeper layers of situation `situation_index`."""
        if not 0 <= situation_index < len(self.situations):
            raise ValueError(f"case {self.id} has no situation {situation_index}")
        s = self.situations[situation_index]
        overridden = {name for name in SITUATION_MODEL if getattr(s, name) is not None}
        own_depression = s.intermediate_beliefs_depression  # "" says: none in this situation
        return SituationModel(
            core_beliefs=tuple((s.core_beliefs or self.core_beliefs).all()),
            intermediate_beliefs=s.intermediate_beliefs or self.intermediate_beliefs,
            intermediate_beliefs_depression=(self.intermediate_beliefs_depression
                                             if own_depression is None else own_depression or None),
            coping_strategies=s.coping_strategies or self.coping_strategies,
            history=self.history,
            overridden=frozenset(overridden),
        )


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
    has_risk_profile: bool = True  # False: the case says nothing about risk (imported cases)
    risk: CardRisk = "none"
    source: CaseSource  # given by the library that holds the case (see library.case_source)

    @classmethod
    def of(cls, case: PatientCase, source: CaseSource) -> CaseCard:
        risk = "unknown" if not case.risk.known else "present" if case.risk.present else "none"
        return cls(
            id=case.id, name=case.name, age=case.age, pronouns=case.pronouns,
            occupation=case.occupation, presenting_problem=case.presenting_problem,
            content_note=case.content_note, difficulty=case.difficulty, styles=case.styles,
            situation_count=len(case.situations), has_risk_profile=case.risk.known, risk=risk,
            source=source,
        )
