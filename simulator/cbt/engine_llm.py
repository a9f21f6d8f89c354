"""The LLM engine: the patient played by any OpenAI-compatible chat model, told the turn plan.

Message order keeps the prompt prefix byte-identical from turn to turn, so providers can cache it:
[static system prompt, the conversation so far..., the per-turn note]. Every reply streams through
the guard of simulator/llm/stream_guard.py: a reply that starts repeating something the patient
must not say, or stops playing the patient, is cut before it shows, retried once with a reminder,
and otherwise ended with a neutral line of the patient's.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from simulator.cbt.disclosure import plan_turn
from simulator.cbt.engine import PatientReply, TurnPlan, TurnRequest
from simulator.cbt.interview import DisclosureState
from simulator.cbt.patient_prompt import guard_for, patient_system_prompt, turn_note
from simulator.core.settings import LLMSettings
from simulator.llm.client import build_chat_model, count_tokens, stream_text
from simulator.llm.stream_guard import CatchKind, GuardStats, guarded_stream
from simulator.llm.templates import render

log = logging.getLogger(__name__)


def build_messages(request: TurnRequest, plan: TurnPlan, state: DisclosureState,
                   max_reply_tokens: int = LLMSettings().max_reply_tokens,
                   note_placement: str = "system") -> list[BaseMessage]:
    """The request for one reply. `state` is the state after the trainee's new message."""
    if not request.transcript or request.transcript[-1].role != "therapist":
        raise ValueError("the transcript must end with the therapist's new message")
    messages: list[BaseMessage] = [SystemMessage(
        patient_system_prompt(request.case, request.situation_index, request.style, max_reply_tokens))]
    for turn in request.transcript:
        # The trainee is the user; the patient is the assistant the model plays.
        messages.append(HumanMessage(turn.text) if turn.role == "therapist" else AIMessage(turn.text))
    note = turn_note(request.case, plan, state, max_reply_tokens, request.situation_index)
    if note_placement == "user":
        # Only the newest message changes, so everything before it is still a cacheable prefix.
        folded = render("patient_turn_in_user", note=note, message=request.transcript[-1].text)
        messages[-1] = HumanMessage(folded.strip())
    else:
        messages.append(SystemMessage(note))
    return messages


def retry_messages(messages: list[BaseMessage], kind: CatchKind, shown: str, name: str) -> list[BaseMessage]:
    """The same request with a reminder; when part of the reply is already on screen, the model is
    asked to carry on from it."""
    go_on = render("guard_continue", shown=shown.strip()).rstrip("\n") if shown.strip() else ""
    reminder = render(f"guard_reminder_{kind}", name=name, continue_from=go_on).strip()
    return [*messages, SystemMessage(reminder)]


def neutral_line(seed: int, turn: int) -> str:
    from simulator.cbt.engine_offline import phrases

    options = phrases()["neutral"]
    return random.Random(f"neutral:{seed}:{turn}").choice(options)


class LLMEngine:
    """One per settings; the chat client inside is thread-safe and shared by every session."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.label = settings.model
        self._model = build_chat_model(settings)
        self.guard_stats = GuardStats()  # leaks and character breaks caught, for the bench
        count_tokens("")  # loads the token encoding now, not on the first reply

    def build_messages(self, request: TurnRequest, plan: TurnPlan,
                       state: DisclosureState) -> list[BaseMessage]:
        return build_messages(request, plan, state, self.settings.max_reply_tokens,
                              self.settings.note_placement)

    def reply(self, request: TurnRequest) -> PatientReply:
        """Plan the turn and start the reply; the request goes out when `chunks` is first read."""
        if not request.transcript or request.transcript[-1].role != "therapist":
            raise ValueError("the transcript must end with the therapist's new message")
        plan, state = plan_turn(request.case, request.situation_index, request.style,
                                request.state, request.transcript[-1].text, request.seed,
                                request.recognition)
        messages = self.build_messages(request, plan, state)
        note = turn_note(request.case, plan, state, self.settings.max_reply_tokens,
                         request.situation_index)
        guard = guard_for(request.case, request.situation_index, plan, state, note)

        def start(kind: CatchKind | None, shown: str) -> Iterator[str]:
            sent = messages if kind is None else retry_messages(messages, kind, shown, request.case.name)
            return stream_text(self._model, sent, self.settings, request.caller)

        chunks = guarded_stream(start, guard, lambda: neutral_line(request.seed, state.turn),
                                self.guard_stats)
        return PatientReply(state=state, plan=plan, chunks=chunks)
