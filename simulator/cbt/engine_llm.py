"""The LLM engine: the patient played by any OpenAI-compatible chat model, told the turn plan.

Message order keeps the prompt prefix byte-identical from turn to turn, so providers can cache it:
[static system prompt, the conversation so far..., the per-turn note].
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from simulator.cbt.disclosure import plan_turn
from simulator.cbt.engine import PatientReply, TurnPlan, TurnRequest
from simulator.cbt.interview import DisclosureState
from simulator.cbt.patient_prompt import patient_system_prompt, turn_note
from simulator.core.settings import LLMSettings
from simulator.llm.client import build_chat_model, count_tokens, stream_text
from simulator.llm.templates import render


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
    note = turn_note(request.case, plan, state, max_reply_tokens)
    if note_placement == "user":
        # Only the newest message changes, so everything before it is still a cacheable prefix.
        folded = render("patient_turn_in_user", note=note, message=request.transcript[-1].text)
        messages[-1] = HumanMessage(folded.strip())
    else:
        messages.append(SystemMessage(note))
    return messages


class LLMEngine:
    """One per settings; the chat client inside is thread-safe and shared by every session."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.label = settings.model
        self._model = build_chat_model(settings)
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
                                request.state, request.transcript[-1].text, request.seed)
        messages = self.build_messages(request, plan, state)
        return PatientReply(state=state, plan=plan,
                            chunks=stream_text(self._model, messages, self.settings, request.caller))
