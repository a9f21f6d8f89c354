"""The one interface every simulated patient runs behind, and the choice of engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from .schema import DisclosureState, Element, Move, PatientCase, Turn
from .settings import Settings
from .vocab import Style

Behaviour = Literal["deflect", "tangent", "resist", "agree", "elaborate"]


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


@dataclass
class TurnRequest:
    case: PatientCase
    situation_index: int
    style: Style
    transcript: list[Turn]  # the whole conversation, ending with the trainee's new message
    state: DisclosureState  # the state before that message
    seed: int = 0


@dataclass
class PatientReply:
    """Iterate `chunks` for the reply as it is produced; `state` is the state after this turn."""

    state: DisclosureState
    plan: TurnPlan
    chunks: Iterator[str] = field(repr=False)


class PatientEngine(Protocol):
    label: str  # shown on the badge: "offline" or the model's name

    def reply(self, request: TurnRequest) -> PatientReply: ...


def get_engine(settings: Settings, name: str | None = None) -> PatientEngine:
    name = name or settings.engine
    if name == "llm":
        from .engine_llm import LLMEngine

        return LLMEngine(settings.llm)
    from .engine_offline import OfflineEngine

    return OfflineEngine()


class EngineError(Exception):
    """A reply could not be produced. `user_message` is shown in the chat; `partial` is what arrived."""

    def __init__(self, user_message: str, partial: str = "") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.partial = partial
