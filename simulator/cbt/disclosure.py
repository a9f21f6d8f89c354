"""Gradual disclosure: from the trainee's message and the state, decide what the patient does next.

Both engines follow the resulting TurnPlan, so every rule about what may be said when lives here.
The numbers below are tuning, chosen so that a warm, patient interview reaches core beliefs in
about a dozen turns and a cold or hurried one stays on the surface.
"""

from __future__ import annotations

import random

from simulator.cbt.case import PatientCase
from simulator.cbt.engine import Behaviour, TurnPlan
from simulator.cbt.interview import DisclosureState, Element, Move
from simulator.cbt.moves import recognise
from simulator.cbt.styles import StyleParams, style_params

# How each move changes trust.
RAPPORT_DELTA: dict[str, float] = {
    "greeting": 0.03, "agenda": 0.02, "open_question": 0.03, "reflect": 0.08, "validate": 0.08,
    "summarise": 0.1, "psychoeducation": 0.02, "judgmental": -0.25, "abrupt": -0.12,
    "off_topic": -0.06, "probe_prompt": -0.03,
}
# Least trust needed before each element is shared.
MIN_RAPPORT: dict[str, float] = {
    "situation": 0.0, "emotions": 0.0, "behavior": 0.0, "automatic_thoughts": 0.2,
    "coping_strategies": 0.3, "history": 0.45, "intermediate_beliefs": 0.4,
    "intermediate_beliefs_depression": 0.5, "core_beliefs": 0.55,
}
SURFACE: tuple[Element, ...] = ("situation", "emotions", "behavior")
ASKS: dict[str, Element] = {
    "ask_situation": "situation", "ask_feelings": "emotions", "ask_behavior": "behavior",
    "ask_thoughts": "automatic_thoughts", "ask_coping": "coping_strategies",
    "ask_history": "history",
}
# Assessment questions the case cannot answer yet (goals, body, intensity, risk): the patient
# reveals nothing new for them rather than an unrelated element. Never the automatic thoughts for
# a risk question, whatever else the message was recognised as.
UNANSWERED = {"ask_intensity", "ask_body", "ask_goals", "ask_risk"}
# Moves that invite the patient to keep talking without asking for anything in particular; a
# closed question with no topic counts as one.
INVITING = {"open_question", "closed_question", "agenda", "reflect", "validate", "summarise", "other"}
WARM = {"reflect", "validate", "summarise"}


def _rng(seed: int, turn: int, case_id: str) -> random.Random:
    return random.Random(f"plan:{seed}:{turn}:{case_id}")


def _next_depth(case: PatientCase, state: DisclosureState) -> Element:
    """Where a meaning probe leads next: thoughts, then rules, then the depression rule, then beliefs."""
    surfaced = state.surfaced
    if "automatic_thoughts" not in surfaced:
        return "automatic_thoughts"
    if "intermediate_beliefs" not in surfaced:
        return "intermediate_beliefs"
    if case.intermediate_beliefs_depression and "intermediate_beliefs_depression" not in surfaced:
        return "intermediate_beliefs_depression"
    return "core_beliefs"


def _allowed(element: Element, case: PatientCase, state: DisclosureState, probing: bool) -> bool:
    """Whether the patient is ready to talk about `element` now.

    `state.surfaced` is as it was before this turn; rapport and meaning_probes already include it.
    """
    surfaced = state.surfaced
    if state.rapport < MIN_RAPPORT[element]:
        return False
    if element == "automatic_thoughts":
        return "situation" in surfaced
    if element == "intermediate_beliefs":
        return probing and "automatic_thoughts" in surfaced
    if element == "intermediate_beliefs_depression":
        return probing and "intermediate_beliefs" in surfaced and state.meaning_probes >= 2
    if element == "core_beliefs":
        return (probing and state.meaning_probes >= 2 and "intermediate_beliefs" in surfaced
                and (not case.intermediate_beliefs_depression
                     or "intermediate_beliefs_depression" in surfaced))
    return True


def _requested(moves: list[Move], case: PatientCase, state: DisclosureState,
               rng: random.Random) -> list[Element]:
    wanted: list[Element] = [ASKS[m] for m in moves if m in ASKS]
    if "ask_risk" in moves:
        wanted = [e for e in wanted if e != "automatic_thoughts"]
    if "ask_meaning" in moves:
        wanted.append(_next_depth(case, state))
    if len(wanted) > 1 and "situation" in state.surfaced:
        # "How did you feel when that happened?" asks about the feeling, not for the story again.
        wanted = [e for e in wanted if e != "situation"]
    if wanted or not set(moves) & INVITING or set(moves) & UNANSWERED:
        return list(dict.fromkeys(wanted))
    fresh = [e for e in SURFACE if e not in state.surfaced]
    if fresh:
        # A warm remark only opens up more once there is something to be warm about.
        if set(moves) <= WARM and "situation" not in state.surfaced:
            return []
        return [fresh[0]]
    if set(moves) <= WARM:
        return []  # nothing new to add: the patient takes in the remark
    return [rng.choice(sorted(state.surfaced, key=state.surfaced.get))] if state.surfaced else []


def _target_sentences(params: StyleParams, shows: bool, strength: float, rng: random.Random) -> int:
    if not shows:
        return 3
    base = rng.choice([1, 2]) if params.sentences <= 2 else params.sentences
    return max(1, round(3 + (base - 3) * strength))


def plan_turn(case: PatientCase, situation_index: int, style: str, state: DisclosureState,
              message: str, seed: int = 0) -> tuple[TurnPlan, DisclosureState]:
    """Decide what the patient does in reply to `message`; return the plan and the new state."""
    if not 0 <= situation_index < len(case.situations):
        raise ValueError(f"case {case.id} has no situation {situation_index}")
    turn = state.turn + 1
    rng = _rng(seed, turn, case.id)
    params = style_params(style)
    recognition = recognise(message, state.last_reply)
    moves = recognition.moves
    mset = set(moves)

    rapport = state.rapport + sum(RAPPORT_DELTA.get(m, 0.0) for m in moves)
    rapport = min(1.0, max(0.0, rapport))
    probing = "ask_meaning" in mset and "probe_prompt" not in mset
    probes = state.meaning_probes + (1 if probing else 0)
    # Gates see this turn's trust and probe count, and what surfaced on earlier turns.
    gate_state = state.model_copy(update={"rapport": rapport, "meaning_probes": probes})

    reveal: list[Element] = []
    withheld: list[Element] = []
    behaviours: list[Behaviour] = []
    shows = rng.random() < params.shows_in
    strength = params.strength(rapport)

    if not mset & {"probe_prompt", "closing"}:
        for element in _requested(moves, case, gate_state, rng):
            # Every further core belief passes the gate again; other elements may be repeated.
            more_beliefs = len(state.core_beliefs_surfaced) < len(case.core_beliefs.all())
            repeat = element in state.surfaced and not (element == "core_beliefs" and more_beliefs)
            if repeat or _allowed(element, case, gate_state, probing):
                reveal.append(element)
            else:
                withheld.append(element)
                if element == "automatic_thoughts" and "situation" not in state.surfaced:
                    reveal.append("situation")  # context comes before what went through my mind
    reveal = list(dict.fromkeys(reveal))

    # Style behaviours, drawn in a fixed order so one seed always gives the same turn.
    draws = {name: rng.random() for name in ("deflect", "resist", "agree", "tangent")}
    if "judgmental" in mset:
        if draws["agree"] < params.agreement * strength:
            behaviours.append("agree")
        elif draws["resist"] < 0.3 + params.resistance:
            behaviours.append("resist")
        # Hurt or defensive, the patient says nothing new after being judged.
        withheld += [e for e in reveal if e not in state.surfaced]
        reveal = [e for e in reveal if e in state.surfaced]
    elif shows:
        pushed = "abrupt" in mset and params.resistance > 0.3  # a curt trainee provokes a touchy one
        if pushed or draws["resist"] < params.resistance * strength:
            behaviours.append("resist")
        agreeable = mset & (WARM | {"psychoeducation"} | set(ASKS))
        if agreeable and draws["agree"] < params.agreement * strength:
            behaviours.append("agree")
    if shows and "probe_prompt" not in mset and "closing" not in mset:
        new = [e for e in reveal if e not in state.surfaced]
        dodge = params.evasiveness * strength * (0.5 if all(e in SURFACE for e in new) else 1.0)
        if new and draws["deflect"] < dodge:
            behaviours.append("deflect")
            withheld += new
            reveal = [e for e in reveal if e in state.surfaced]
        if draws["tangent"] < params.tangent * strength:
            behaviours.append("tangent")
        if params.sentences >= 6:
            behaviours.append("elaborate")
    if withheld and "deflect" not in behaviours:
        behaviours.append("deflect")
    if "probe_prompt" in mset:
        behaviours = ["deflect"]

    target = _target_sentences(params, shows, strength, rng)
    if mset & {"abrupt", "judgmental"} and params.sentences < 6:
        target = min(target, 2)
    if len(reveal) > target:
        reveal = reveal[:target]  # a brief speaker leaves the rest for later turns

    surfaced = dict(state.surfaced)
    core_surfaced = list(state.core_beliefs_surfaced)
    core_now: list[str] = []
    if "core_beliefs" in reveal:
        unsaid = [b for b in case.core_beliefs.all() if b not in core_surfaced]
        core_now = [unsaid[0]] if unsaid else [rng.choice(core_surfaced)]
        core_surfaced += [b for b in core_now if b not in core_surfaced]
    for element in reveal:
        surfaced.setdefault(element, turn)

    plan = TurnPlan(
        moves=moves, risk_aspects=recognition.risk_aspects, reveal=reveal, withheld=list(dict.fromkeys(withheld)),
        core_beliefs=core_now, behaviours=list(dict.fromkeys(behaviours)),
        target_sentences=target,
    )
    new_state = DisclosureState(
        turn=turn, rapport=round(rapport, 4), meaning_probes=probes, surfaced=surfaced,
        core_beliefs_surfaced=core_surfaced, last_moves=moves, last_reply=state.last_reply,
    )
    return plan, new_state
