"""The LLM patient's messages: a static system prompt per session and a note per turn."""

from __future__ import annotations

from simulator.cbt.case import PatientCase
from simulator.cbt.engine import TurnPlan
from simulator.cbt.interview import DisclosureState
from simulator.cbt.styles import style_params
from simulator.llm.templates import PromptError, max_words, render

NONE = "none"


def _frequency(p: float) -> str:
    pct = round(p * 100)
    if pct == 0:
        return "never (0% of your replies)"
    elif pct <= 20:
        word = "rarely"
    elif pct <= 45:
        word = "sometimes"
    elif pct <= 70:
        word = "often"
    else:
        word = "most of the time"
    return f"{word} (about {pct}% of your replies)"


def _join_emotions(emotions: list[str]) -> str:
    # Each emotion label holds commas itself, so the separator is a semicolon.
    return "; ".join(emotions)


def _situations(case: PatientCase, focus: int) -> str:
    parts = []
    for i, s in enumerate(case.situations):
        values = dict(number=i + 1, situation=s.situation, automatic_thoughts=s.automatic_thoughts,
                      emotions=_join_emotions(s.emotions), behavior=s.behavior)
        if i == focus:
            parts.append(render("patient_situation_focus", **values).strip())
        else:
            parts.append(render("patient_situation_background", focus_number=focus + 1,
                                **values).strip())
    # The session's situation comes first, so the model meets it before any background.
    parts.insert(0, parts.pop(focus))
    return "\n\n".join(parts)


def patient_system_prompt(case: PatientCase, situation_index: int, style: str,
                          max_reply_tokens: int) -> str:
    """The static system prompt of one session: byte-identical for every turn of it."""
    if not 0 <= situation_index < len(case.situations):
        raise PromptError(f"case {case.id!r} has no situation {situation_index}")
    params = style_params(style)
    depression = ""
    if case.intermediate_beliefs_depression:
        depression = render("patient_depression",
                            intermediate_beliefs_depression=case.intermediate_beliefs_depression)
    return render(
        "patient_system",
        name=case.name, age=case.age, pronouns=case.pronouns, occupation=case.occupation,
        presenting_problem=case.presenting_problem, history=case.history,
        core_beliefs="\n".join(f"- {b}" for b in case.core_beliefs.all()),
        intermediate_beliefs=case.intermediate_beliefs, depression_section=depression,
        coping_strategies=case.coping_strategies,
        situations=_situations(case, situation_index),
        style_name=params.name, style_description=params.description,
        style_sentences=params.sentences, evasiveness=_frequency(params.evasiveness),
        tangent=_frequency(params.tangent), resistance=_frequency(params.resistance),
        agreement=_frequency(params.agreement), shows_in=_frequency(params.shows_in),
        max_words=max_words(max_reply_tokens),
    )


def _tags(items: list[str]) -> str:
    return ", ".join(f"[{x}]" for x in dict.fromkeys(items)) or NONE


def _quoted(items: list[str]) -> str:
    return ", ".join(f'"{x}"' for x in dict.fromkeys(items)) or NONE


def turn_note(case: PatientCase, plan: TurnPlan, state: DisclosureState,
              max_reply_tokens: int) -> str:
    """The per-turn note: placed after the history so the prompt prefix never changes."""
    earlier = [e for e in state.surfaced if e not in plan.reveal]
    return render(
        "patient_turn",
        rapport=f"{state.rapport:.2f}", turn=state.turn, surfaced=_tags(earlier),
        voiced=_quoted(state.core_beliefs_surfaced), reveal=_tags(list(plan.reveal)),
        withheld=_tags(list(plan.withheld)), core_beliefs=_quoted(plan.core_beliefs),
        behaviours=_tags(list(plan.behaviours)), sentences=plan.target_sentences,
        max_words=max_words(max_reply_tokens), name=case.name,
    )


