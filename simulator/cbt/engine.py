"""The one interface every simulated patient runs behind: a turn plan in, a streamed reply out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from simulator.cbt.case import PatientCase
from simulator.cbt.interview import DisclosureState, Element, Move, RiskAspect, Turn
from simulator.cbt.moves import Recognition
from simulator.cbt.vocab import Style
from simulator.llm.usage import Caller

Behaviour = Literal["deflect", "tangent", "resist", "agree", "elaborate"]
# How a risk question is answered: openly from the profile, played down (asked abruptly or
# judgementally), a plain no (no risk), or non-committal (the case has no risk profile).
RiskManner = Literal["honest", "minimise", "plain_no", "noncommittal"]


class TurnPlan(BaseModel):
    """What the patient will do in the next reply, decided from the trainee's move and the state.

    Both engines follow it: the offline engine renders it from the case, the LLM engine is told it.
    """

    model_config = ConfigDict(extra="forbid")

    moves: list[Move]
    reveal: list[Element] = []  # elements to talk about in this reply
    withheld: list[Element] = []  # asked about, not yet willing to say
    core_beliefs: list[str] = []  # core beliefs voiced in this reply
    behaviours: list[Behaviour] = []
    target_sentences: int = 3
    # Version-2 answers.
    risk_aspects: list[RiskAspect] = []  # the aspects of risk this message asks about
    risk_manner: RiskManner | None = None  # set when "risk" is revealed
    cue: int | None = None  # index of a risk cue let slip unprompted in this reply
    intensity: Literal["emotion", "belief"] | None = None  # what an intensity answer rates
    scale: int = 100  # the scale the trainee asked for (100, or 10 for "1 to 10")


@dataclass
class TurnRequest:
    case: PatientCase
    situation_index: int
    style: Style
    transcript: list[Turn]  # the whole conversation, ending with the trainee's new message
    state: DisclosureState  # the state before that message
    seed: int = 0
    caller: Caller | None = None  # who the reply is for, when a model call is admitted and recorded
    # What the trainee's message does, when already known (tests, a recogniser run elsewhere);
    # None: the engine recognises it from the message and the patient's previous reply.
    recognition: Recognition | None = None


@dataclass
class PatientReply:
    """Iterate `chunks` for the reply as it is produced; `state` is the state after this turn."""

    state: DisclosureState
    plan: TurnPlan
    chunks: Iterator[str] = field(repr=False)


class PatientEngine(Protocol):
    label: str  # shown on the badge: "offline" or the model's name

    def reply(self, request: TurnRequest) -> PatientReply: ...
