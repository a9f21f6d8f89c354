"""The rules of the exercise: which thoughts a case offers, how a dialogue begins, how the patient
answers each message, and how it ends. Pure functions of the state: nothing here is stored.

The stage is tracked from what the trainee does. The offline patient answers from the case only,
and its belief in the thought moves only for restructuring steps that were done well.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from simulator.cbt.case import PatientCase
from simulator.cbt.voice import case_text
from simulator.core.text import lower_first
from simulator.traps.detector import detect_offline
from simulator.traps.reframe import check_reframe_offline
from simulator.traps.restructuring import acts as act_rules
from simulator.traps.restructuring.belief import belief_end, belief_now, start_belief
from simulator.traps.restructuring.feedback import stage_feedback
from simulator.traps.restructuring.patient import PatientVoice
from simulator.traps.restructuring.state import (
    RESTRUCTURING,
    STAGES,
    RestructuringState,
    RTurn,
    StageMark,
    ThoughtWork,
)

ENDED = "This exercise has ended; start a new one to keep practising."


class CaseThought(BaseModel):
    situation_index: int
    text: str
    patterns: list[str]


def case_thoughts(case: PatientCase) -> list[CaseThought]:
    """Every automatic thought of the case, one sentence each, with the patterns it shows."""
    out = []
    for i, sit in enumerate(case_text(case).situations):
        for sentence in sit.thoughts:
            found = detect_offline(sentence).found()
            out.append(CaseThought(situation_index=i, text=sentence, patterns=[p.pattern for p in found]))
    return out


def distorted_thoughts(case: PatientCase) -> list[CaseThought]:
    return [t for t in case_thoughts(case) if t.patterns]


def _new_work(state: RestructuringState, situation_index: int, text: str, patterns: list[str]) -> ThoughtWork:
    return ThoughtWork(situation_index=situation_index, text=text, patterns=patterns,
                       belief_start=start_belief(state.seed, len(state.thoughts)),
                       stages={s: StageMark() for s in RESTRUCTURING})


def begin(case: PatientCase, thought: CaseThought, seed: int = 0) -> RestructuringState:
    """A new exercise on one automatic thought; the patient opens with the situation and a rating."""
    state = RestructuringState(case_id=case.id, situation_index=thought.situation_index, seed=seed)
    state.thoughts.append(_new_work(state, thought.situation_index, thought.text, thought.patterns))
    rest = [t for t in distorted_thoughts(case) if t.text != thought.text]
    rest.sort(key=lambda t: t.situation_index != thought.situation_index)  # same situation first
    state.queue = [(t.situation_index, t.text) for t in rest]
    p = PatientVoice(case, state)
    opening = p.say("open", situation=" ".join(p.text.situation), thought=thought.text)
    opening += " " + p.say("rating", rating=str(state.current.belief_start))
    state.turns.append(RTurn(role="patient", text=opening))
    return state


def _advance(state: RestructuringState, stage: str, turn: int) -> None:
    """Mark `stage` done; stages before it that were never done count as skipped."""
    for s in STAGES[: STAGES.index(stage)]:
        if state.mark(s).status == "pending":
            state.mark(s).status = "skipped"
    mark = state.mark(stage)
    if mark.status != "done":
        mark.status, mark.turn = "done", turn


def respond(state: RestructuringState, case: PatientCase, message: str) -> RestructuringState:
    """The trainee says `message`; the patient answers. Returns the updated state (a copy)."""
    if state.finished:
        raise ValueError(ENDED)
    state = state.model_copy(deep=True)
    acts = act_rules.classify(message)
    turn = len(state.turns)
    state.turns.append(RTurn(role="therapist", text=message, acts=acts))
    p = PatientVoice(case, state)
    work = state.current
    parts: list[str] = []
    if "judgmental" in acts:
        state.judgmental += 1
        work.setbacks += 1
        parts.append(p.say("judged"))
    if set(act_rules.SUPPORTIVE) & set(acts):
        state.supportive += 1
    values = p.values()
    fact = values["fact"]
    primary = act_rules.primary(acts)
    if primary in act_rules.ACT_STAGE:
        state.stage = act_rules.ACT_STAGE[primary]
    if primary == "ask_more":
        primary = {"evidence_against": "ask_evidence_against"}.get(state.stage, "ask_more")

    if primary == "ask_rating":
        rating = belief_now(work)
        if work.stages["alternative"].status == "done":
            work.belief_end = rating
        parts.append(p.say("rating", rating=str(rating)))
    elif primary == "next_thought":
        parts.append(_next_thought(state, p))
    elif primary in ("ask_alternative", "propose_alternative"):
        parts.append(_alternative(state, p, message, primary, values, turn))
    elif primary == "ask_evidence_against":
        counter = p.counter(friend_first="friend" in message.lower())
        state.mark("evidence_against").attempts += 1
        if counter is None:
            parts.append(p.say("against_none"))
        else:
            key = "against_first" if not work.evidence_against else "against_more"
            parts.append(p.say(key, against=counter, against_lower=lower_first(counter)))
            work.evidence_against.append(counter)
            _advance(state, "evidence_against", turn)
    elif primary == "facts_check":
        if work.stages["evidence_for"].status == "done" or work.evidence_for:
            work.facts_only = True
            work.evidence_for = [fact]
            parts.append(p.say("facts_check", **values))
        else:
            _advance(state, "evidence_for", turn)
            work.facts_only = True
            work.evidence_for = [fact]
            parts.append(p.say("evidence_for_facts", **values))
    elif primary == "ask_evidence_for":
        _advance(state, "evidence_for", turn)
        if re.search(r"\bfacts?\b", message, re.IGNORECASE):
            work.facts_only = True
            work.evidence_for = [fact]
            parts.append(p.say("evidence_for_facts", **values))
        else:
            work.evidence_for = [fact, p.interpretation()]
            parts.append(p.say("evidence_for", **values))
    elif primary == "ask_core":
        state.identification["core_belief"].attempts += 1
        if state.identification["intermediate_belief"].status == "done":
            _advance(state, "core_belief", turn)
            parts.append(p.say("core", **values))
        else:
            parts.append(p.say("core_early"))
    elif primary == "ask_intermediate":
        _advance(state, "intermediate_belief", turn)
        parts.append(p.say("intermediate", **values))
    elif primary == "ask_thought":
        _advance(state, "automatic_thought", turn)
        parts.append(p.say("thought", **values))
    elif primary == "dispute":
        work.setbacks += 1
        parts.append(p.say("dispute"))
    elif not parts:
        parts.append(p.say("heard" if state.supportive and acts else "other"))
    state.turns.append(RTurn(role="patient", text=" ".join(parts), stage=state.stage))
    return state


def _alternative(state: RestructuringState, p: PatientVoice, message: str, act: str, values: dict,
                 turn: int) -> str:
    work = state.current
    _advance(state, "alternative", turn)
    proposal = act_rules.proposal(message) if act == "propose_alternative" else None
    if proposal:
        fb = check_reframe_offline(work.text, proposal, " ".join(p.text.situation))
        ok = fb.met >= 3 and fb.realistic.ok and fb.addresses_thought.ok
        work.alternative, work.alternative_by, work.alternative_ok = proposal, "trainee", ok
        work.alternative_notes = [c.detail for c in (fb.addresses_thought, fb.realistic, fb.keeps_context,
                                                     fb.honours_feeling) if not c.ok]
        return p.say("accept" if ok else "reject")
    if work.evidence_against:
        against = work.evidence_against[0]
        text = p.say("alternative_good", against_lower_nodot=lower_first(against).rstrip("."), **values)
        work.alternative, work.alternative_by, work.alternative_ok = text, "patient", True
        return text
    text = p.say("alternative_weak")
    work.alternative, work.alternative_by, work.alternative_ok = None, "patient", False
    return text


def _next_thought(state: RestructuringState, p: PatientVoice) -> str:
    if not state.queue:
        return p.say("no_next")
    state.current.belief_end = belief_now(state.current)
    situation_index, text = state.queue.pop(0)
    found = detect_offline(text).found()
    state.thoughts.append(_new_work(state, situation_index, text, [f.pattern for f in found]))
    state.stage = "evidence_for" if state.identification["core_belief"].status == "done" else "automatic_thought"
    rating = p.say("rating", rating=str(state.current.belief_start))
    return p.say("next", next=text) + " " + rating


def conclude(state: RestructuringState) -> RestructuringState:
    """End the exercise: the patient's final rating for the thought in hand, and per-stage feedback."""
    state = state.model_copy(deep=True)
    state.current.belief_end = belief_end(state.current)
    state.finished = True
    state.feedback = stage_feedback(state)
    return state
