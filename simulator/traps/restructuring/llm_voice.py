"""With an LLM configured, the model words the patient's answer in the patient's own voice.

The rules decide the stage, the belief rating and what the patient conveys on both engines; the
model only re-words that content. It is called after the exchange is stored, outside any lock or
transaction, and whenever it fails the rule-based wording stands (the reason is logged).
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from simulator.cbt.case import PatientCase
from simulator.cbt.patient_prompt import patient_system_prompt
from simulator.core.settings import LLMSettings
from simulator.llm.client import chat_model, stream_text
from simulator.llm.fallback import with_fallback
from simulator.llm.templates import render
from simulator.llm.usage import Caller
from simulator.traps.restructuring.state import RestructuringState
from simulator.traps.restructuring.texts import stage_name


def prompt(state: RestructuringState, case: PatientCase, llm_settings: LLMSettings) -> list[BaseMessage]:
    """The conversation so far, then a private note with what the last patient turn must convey."""
    messages: list[BaseMessage] = [SystemMessage(patient_system_prompt(case, state.situation_index, "plain",
                                                                       llm_settings.max_reply_tokens))]
    for turn in state.turns[:-1]:
        messages.append(HumanMessage(turn.text) if turn.role == "therapist" else AIMessage(turn.text))
    messages.append(SystemMessage(render(
        "restructuring_voice", thought=state.current.text, stage=stage_name(state.stage),
        content=state.turns[-1].text, name=case.name)))
    return messages


def voice_with_llm(state: RestructuringState, case: PatientCase, llm_settings: LLMSettings,
                   caller: Caller | None = None) -> str | None:
    """The last patient answer re-worded by the model, or None if the model fails in any way.

    With a `caller`, the model is used only when restructuring may use it for that account now.
    """
    messages = prompt(state, case, llm_settings)
    text = with_fallback("restructuring wording",
                         lambda: "".join(stream_text(chat_model(llm_settings), messages, llm_settings, caller)).strip(),
                         lambda why: "")  # the rule-based wording stands
    return text or None
