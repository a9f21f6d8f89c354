"""The DEAR MAN concepts: scenarios, skill ratings, the counterpart's emotional state, emotions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.core.messages import MAX_MESSAGE_CHARS

Skill = Literal["describe", "express", "assert", "reinforce", "negotiate", "mindful", "confident"]
Level = Literal["strong", "weak", "none"]
YesNo = Literal["yes", "no"]
OffGoal = Literal["gave_up", "sidetracked"]  # how a message that is not Mindful left the goal
Category = Literal["work", "family", "friends", "services"]
Outcome = Literal["agreed", "gave_up", "turn_limit"]

STRATEGIES: tuple[str, ...] = ("describe", "express", "assert", "reinforce", "negotiate")
STATES: tuple[str, ...] = ("mindful", "confident")
SKILLS: tuple[str, ...] = STRATEGIES + STATES
# The order of the acronym, for display and for the coach.
DEARMAN_ORDER: tuple[str, ...] = ("describe", "express", "assert", "reinforce", "mindful", "confident",
                                  "negotiate")
SKILL_TITLES = {"describe": "Describe", "express": "Express", "assert": "Assert", "reinforce": "Reinforce",
                "mindful": "Mindful", "confident": "Appear confident", "negotiate": "Negotiate"}
EMOTIONS: tuple[str, ...] = ("anger", "fear", "sadness", "disgust")
MAX_SITUATION_CHARS = MAX_MESSAGE_CHARS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- ratings --

class StrategyRating(_Strict):
    rating: Level
    reason: str = Field(min_length=1)
    suggestion: str = ""  # empty when the rating is strong


class StateRating(_Strict):
    rating: YesNo
    reason: str = Field(min_length=1)
    suggestion: str = ""  # empty when the rating is yes


class MindfulRating(StateRating):
    """Mindful, and when it is "no", how the message left the goal. The other person reacts to
    exactly this (simulator/dearman/counterpart.py), so the feedback and the reply agree."""

    off_goal: OffGoal | None = Field(default=None, description=(
        'Only when the rating is "no": "gave_up" if the message drops or backs away from the goal, '
        '"sidetracked" if it is pulled into an attack, a side issue or an old grievance.'))

    @model_validator(mode="after")
    def _only_when_off_the_goal(self) -> MindfulRating:
        if self.rating == "yes":
            self.off_goal = None
        return self


class SkillRatings(_Strict):
    """One message rated on every skill, plus a rewrite of the whole message.

    `assert` is a Python keyword, so the field is `assert_` with the alias "assert"; dump with
    `by_alias=True` for the documented JSON shape.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    describe: StrategyRating
    express: StrategyRating
    assert_: StrategyRating = Field(alias="assert")
    reinforce: StrategyRating
    negotiate: StrategyRating
    mindful: MindfulRating
    confident: StateRating
    rewrite: str = Field(min_length=1)
    # Whether the message judges, labels or blames the other person, on the goal or not. The other
    # person takes offence at this, not at a side issue: "Hey, got a minute?" is no insult.
    judging: bool | None = Field(default=None, description=(
        "true if the message judges, labels, blames or mocks the other person (an accusation, a dig, "
        "name-calling, \"you never...\"), whether or not it stays on the goal"))

    def get(self, skill: str) -> StrategyRating | StateRating:
        return getattr(self, "assert_" if skill == "assert" else skill)

    def levels(self) -> dict[str, str]:
        return {skill: self.get(skill).rating for skill in SKILLS}

    def as_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


class Rating(_Strict):
    """Ratings and who produced them: "offline", or the model name; a fallback says why."""

    ratings: SkillRatings
    engine: str
    fallback_reason: str | None = None


# -- input --

class InputRejected(ValueError):
    """Text the trainee typed that cannot be rated or sent; the message says why."""


def _field_name(name: str) -> str:
    return {"partner_last": "the other person's last message"}.get(name, f"the {name}")


def check_text(name: str, text: str | None, *, required: bool = True,
               limit: int = MAX_MESSAGE_CHARS) -> str:
    """Strip and check one input; raise InputRejected with a sentence fit for the page."""
    cleaned = (text or "").strip()
    if not cleaned and required:
        raise InputRejected(f"{_field_name(name).capitalize()} is empty: write one or two sentences.")
    if len(cleaned) > limit:
        raise InputRejected(
            f"{_field_name(name).capitalize()} is {len(cleaned):,} characters; the limit is {limit:,}. "
            "Shorten it and try again (your text is kept).")
    return cleaned


class MessageContext(_Strict):
    """What the rater needs: the situation, the goal, what the other person said last, the draft."""

    situation: str
    goal: str
    partner_last: str = ""
    message: str

    @classmethod
    def checked(cls, situation: str | None, goal: str | None, message: str | None,
                partner_last: str | None = None) -> MessageContext:
        return cls(situation=check_text("situation", situation), goal=check_text("goal", goal),
                   partner_last=check_text("partner_last", partner_last, required=False),
                   message=check_text("message", message))


# -- scenarios --

class CounterpartSpec(_Strict):
    """Who the trainee is talking to, and the lines the offline counterpart draws on."""

    name: str = Field(min_length=1, max_length=60)
    relationship: str = Field(min_length=1, max_length=120)
    persona: str = Field(min_length=1, max_length=600)
    opening: str = Field(min_length=1, max_length=400)
    objections: list[str] = Field(min_length=3)
    softening: list[str] = Field(min_length=2)
    agreement: str = Field(min_length=1, max_length=400)

    @field_validator("objections", "softening")
    @classmethod
    def _non_empty_lines(cls, v: list[str]) -> list[str]:
        if any(not line.strip() for line in v):
            raise ValueError("every line must contain text")
        return v


class Scenario(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    title: str = Field(min_length=1, max_length=80)
    category: Category
    difficulty: int = Field(ge=1, le=9)
    situation: str = Field(min_length=1, max_length=MAX_SITUATION_CHARS)
    goal: str = Field(min_length=1, max_length=MAX_SITUATION_CHARS)
    counterpart: CounterpartSpec
    turn_limit: int = Field(default=10, ge=3, le=30)


# -- the counterpart's state --

class CounterpartState(_Strict):
    """How the other person feels about the request right now (0 to 1), and why it changed."""

    turn: int = 0
    irritation: float = Field(default=0.3, ge=0.0, le=1.0)
    willingness: float = Field(default=0.05, ge=0.0, le=1.0)
    threshold: float = Field(default=0.7, ge=0.0, le=1.0)
    asked: bool = False  # a request has been made at some point (nobody agrees to a hint)
    agreed: bool = False
    # The trainee's latest proposal with terms of its own (amounts, dates): what an agreement agrees to.
    offer: str = ""
    changes: list[str] = []  # this turn's reasons, shown when the trainee asks to see the state
    used_objections: list[int] = []


# -- emotions --

class EmotionRatings(_Strict):
    """Self-rated before and after, 1 (not at all) to 7 (extremely)."""

    anger: int = Field(ge=1, le=7)
    fear: int = Field(ge=1, le=7)
    sadness: int = Field(ge=1, le=7)
    disgust: int = Field(ge=1, le=7)


# -- stored records --

class DearmanSessionInfo(_Strict):
    id: str
    scenario: Scenario
    engine: str
    seed: int
    status: Literal["active", "ended"] = "active"
    outcome: Outcome | None = None
    state: CounterpartState
    before: EmotionRatings | None = None
    after: EmotionRatings | None = None
    owner: str | None = None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None


class DearmanTurn(_Strict):
    index: int
    role: Literal["trainee", "counterpart"]
    text: str
    complete: bool = True
    ratings: SkillRatings | None = None  # the sent version's ratings (trainee turns)
    rater: str | None = None
    checks: int = 0  # drafts checked before sending
    state: CounterpartState | None = None  # the state this reply left behind (counterpart turns)
    engine: str | None = None
    created_at: datetime

