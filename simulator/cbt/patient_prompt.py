"""The LLM patient's messages: a static system prompt per session and a note per turn.

The model is told only what the patient is ready to say. The system prompt carries the persona,
the presenting problem, the goals, the style and the surface of the situations (what happened,
what went through their mind, what they felt and did, the body and the ratings); it is the same
bytes on every turn. Deeper layers (history, rules, coping, core beliefs, risk detail) enter
through the per-turn note once the disclosure state unlocks them, and stay in every later note.
The rules, coping and beliefs reach the model as the case's indirect voicings, never as the
reference sentences; `guard_for` lists what the streamed reply must not repeat.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from typing import get_args

from simulator.cbt.case import RISK_ASPECTS, PatientCase
from simulator.cbt.engine import Behaviour, TurnPlan
from simulator.cbt.interview import DisclosureState, Element
from simulator.cbt.styles import style_params
from simulator.cbt.vocab import CORE_BELIEFS
from simulator.cbt.voice import case_text, first_person
from simulator.core.settings import DATA_DIR
from simulator.llm.stream_guard import ReplyGuard
from simulator.llm.templates import PromptError, max_words, render

log = logging.getLogger(__name__)
NONE = "none"
# Every [tag] the prompts use: a reply that says one has leaked the prompt.
TAGS: tuple[str, ...] = (*get_args(Element), *get_args(Behaviour), "cue")
# Deeper layers the patient never states, only shows (each has prompts/patient_layer_<name>.md).
HIDDEN = ("intermediate_beliefs", "intermediate_beliefs_depression", "coping_strategies")


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


def _assessment(case: PatientCase, i: int) -> str:
    """The focus situation's body and ratings, each line only where the case has it."""
    s = case.situations[i]
    lines = []
    if s.body:
        lines.append(render("patient_assessment_body", body=s.body))
    if s.emotion_intensity:
        lines.append(render("patient_assessment_emotions", ratings="; ".join(
            f"{label}: {value}" for label, value in s.emotion_intensity.items())))
    if s.belief_then is not None and s.belief_now is not None:
        lines.append(render("patient_assessment_belief", then=s.belief_then, now=s.belief_now))
    elif s.belief_then is not None:
        lines.append(render("patient_assessment_belief_then", then=s.belief_then))
    return "".join(lines).strip()


def _situations(case: PatientCase, focus: int) -> str:
    parts = []
    for i, s in enumerate(case.situations):
        values = dict(number=i + 1, situation=s.situation, automatic_thoughts=s.automatic_thoughts,
                      emotions=_join_emotions(s.emotions), behavior=s.behavior)
        if i == focus:
            parts.append(render("patient_situation_focus", assessment=_assessment(case, i),
                                **values).strip())
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
    return render(
        "patient_system",
        name=case.name, age=case.age, pronouns=case.pronouns, occupation=case.occupation,
        presenting_problem=case.presenting_problem,
        # Only a case that has them: the presenting problem is a note for the trainee, not a line to say.
        in_own_words=(f"\n- How you put it when asked what brings you: {case.in_own_words}"
                      if case.in_own_words else ""),
        goals=case.goals or render("patient_goals_unknown").strip(),
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


@lru_cache(maxsize=1)
def _hints() -> dict[str, list[str]]:
    return json.loads((DATA_DIR / "offline" / "core_belief_hints.json").read_text(encoding="utf-8"))


def _lines(texts: list[str]) -> str:
    return "\n".join(f"- {t}" for t in texts)


def _fragments(sentences: tuple[str, ...]) -> list[str]:
    from simulator.cbt.engine_offline import fragment

    return [f + "..." for f in (fragment(s) for s in sentences) if f]


def hidden_examples(case: PatientCase, situation_index: int, element: str) -> list[str]:
    """How a rule or a way of coping may be voiced: the case's voicings, else fragments."""
    sit = case_text(case).situations[situation_index]
    if element not in sit.overridden:
        voiced = list(getattr(case.voicings, element))
        if voiced:
            return voiced
    reference = {"intermediate_beliefs": sit.rules,
                 "intermediate_beliefs_depression": sit.rules_depression,
                 "coping_strategies": sit.coping}[element]
    log.debug("case %s has no voicings for %s in situation %d: fragments of the reference",
              case.id, element, situation_index)
    return _fragments(reference)


def belief_examples(case: PatientCase, belief: str) -> list[str]:
    own = case.voicings.core_beliefs.get(belief)
    if not own:
        log.debug("case %s has no voicings for %r: the generic hints", case.id, belief)
    return list(own or _hints()[belief])


def history_text(case: PatientCase) -> list[str]:
    return list(case.voicings.history) or [first_person(case.history, case)]


def unlocked(plan: TurnPlan, state: DisclosureState) -> set[str]:
    """Deeper elements the patient may draw on in this reply: surfaced before or now."""
    return set(state.surfaced) | set(plan.reveal)


def _layers(case: PatientCase, situation_index: int, plan: TurnPlan, state: DisclosureState) -> list[str]:
    open_now = unlocked(plan, state)
    out: list[str] = []
    if "history" in open_now:
        out.append(render("patient_layer_history", text=_lines(history_text(case))))
    for element in HIDDEN:
        if element in open_now:
            examples = hidden_examples(case, situation_index, element)
            if examples:
                out.append(render(f"patient_layer_{element}", examples=_lines(examples)))
    for belief in dict.fromkeys([*state.core_beliefs_surfaced, *plan.core_beliefs]):
        now = " (it may show in this reply)" if belief in plan.core_beliefs else ""
        out.append(render("patient_layer_belief", now=now,
                          examples=_lines(belief_examples(case, belief))))
    risk = case.risk
    if plan.risk_manner == "honest":
        from simulator.cbt.engine_offline import phrases

        # An aspect the profile leaves empty is answered as the offline patient would.
        answers = [risk.answer(a) or phrases()["risk_absent"][a][0] for a in plan.risk_aspects]
        out.append(render("patient_risk_honest",
                          aspects=", ".join(a.replace("_", " ") for a in plan.risk_aspects),
                          answers=_lines(answers)))
    elif plan.risk_manner:
        out.append(render({"minimise": "patient_risk_minimise", "plain_no": "patient_risk_none",
                           "noncommittal": "patient_risk_unknown"}[plan.risk_manner]))
    earlier = [a for a in state.risk_disclosed if a not in plan.risk_aspects and risk.answer(a)]
    if earlier:
        out.append(render("patient_risk_disclosed", answers=_lines([risk.answer(a) for a in earlier])))
    if plan.cue is not None:
        out.append(render("patient_cue", cue=risk.cues[plan.cue]))
    return [o.strip() for o in out]


def turn_note(case: PatientCase, plan: TurnPlan, state: DisclosureState,
              max_reply_tokens: int, situation_index: int = 0) -> str:
    """The per-turn note: placed after the history so the prompt prefix never changes.

    `state` is the state after the trainee's new message."""
    earlier = [e for e in state.surfaced if e not in plan.reveal]
    layers = _layers(case, situation_index, plan, state)
    return render(
        "patient_turn",
        rapport=f"{state.rapport:.2f}", turn=state.turn, surfaced=_tags(earlier),
        voiced=_quoted(state.core_beliefs_surfaced), reveal=_tags(list(plan.reveal)),
        withheld=_tags(list(plan.withheld)), core_beliefs=_quoted(plan.core_beliefs),
        behaviours=_tags(list(plan.behaviours)), sentences=plan.target_sentences,
        max_words=max_words(max_reply_tokens), name=case.name,
        layers="\n".join(layers) + ("\n" if layers else ""),
    )


def guard_for(case: PatientCase, situation_index: int, plan: TurnPlan, state: DisclosureState,
              note: str) -> ReplyGuard:
    """What the reply to this turn must not repeat word for word: a still-locked deeper field, a
    closed-list belief label, a whole reference rule or way of coping (never said, even when
    unlocked: they come out indirectly), the private note, and the [tags]. What the patient may
    say close to the case's words (the surface, the voicings it was given, risk answers it is
    giving) is exempt where it overlaps."""
    model = case.model_for(situation_index)
    open_now = unlocked(plan, state)
    blocked: list[str] = [note]
    for text in (model.intermediate_beliefs, model.intermediate_beliefs_depression,
                 model.coping_strategies):
        if text:
            blocked += [text, first_person(text, case)]
    if "history" not in open_now:
        blocked += [case.history, first_person(case.history, case), *case.voicings.history]
    for element in HIDDEN:
        if element not in open_now:
            blocked += list(getattr(case.voicings, element))
    told = set(state.risk_disclosed) | (set(plan.risk_aspects) if plan.risk_manner == "honest" else set())
    blocked += [case.risk.answer(a) or "" for a in RISK_ASPECTS if a not in told]
    speakable: list[str] = [case.presenting_problem, case.in_own_words or "", case.goals or ""]
    for s in case.situations:
        speakable += [s.situation, s.automatic_thoughts, s.behavior, s.body or ""]
    if "history" in open_now:
        speakable += history_text(case)
    for element in HIDDEN:
        if element in open_now:
            speakable += hidden_examples(case, situation_index, element)
    for belief in [*state.core_beliefs_surfaced, *plan.core_beliefs]:
        speakable += belief_examples(case, belief)
    speakable += [case.risk.answer(a) or "" for a in told]
    if plan.cue is not None:
        speakable.append(case.risk.cues[plan.cue])
    speakable += list(case.risk.cues[i] for i in state.cues_dropped if i < len(case.risk.cues))
    labels = [b.rstrip(".") for b in CORE_BELIEFS]
    labels += [re.sub(r"^I am\b", "I'm", b) for b in labels]
    return ReplyGuard(blocked=[b for b in blocked if b], speakable=[s for s in speakable if s],
                      tags=TAGS, phrases=labels)
