"""Gradual disclosure: from the trainee's moves and the state, decide what the patient does next.

Both engines follow the resulting TurnPlan, so every rule about what may be said when lives here.
The numbers below are tuning, chosen so that a warm, patient interview reaches core beliefs in
about a dozen turns and a cold or hurried one stays on the surface.

Each reply draws only on what its move asks for: a body question gets the body, a risk question
the asked aspects of risk, and a message that fits nothing (`other`, small talk, an attempt to
extract the instructions) gets a fact-free reply. Untargeted invitations (an open question, a
reflection) let the patient go on with the next surface element.
"""

from __future__ import annotations

import json
import random
import re
from functools import lru_cache

from simulator.cbt.case import PatientCase
from simulator.cbt.engine import Behaviour, RiskManner, TurnPlan
from simulator.cbt.interview import DisclosureState, Element, Move, RiskAspect
from simulator.cbt.moves import Recognition, recognise
from simulator.cbt.styles import StyleParams, style_params
from simulator.core.settings import DATA_DIR

# How each move changes trust.
RAPPORT_DELTA: dict[str, float] = {
    "greeting": 0.03, "agenda": 0.02, "open_question": 0.03, "reflect": 0.08, "validate": 0.08,
    "summarise": 0.1, "psychoeducation": 0.02, "judgmental": -0.25, "abrupt": -0.12,
    "off_topic": -0.06, "probe_prompt": -0.03,
}
# Least trust needed before each element is shared. What an assessment asks (goals, body,
# intensity, risk) is answered from the start; risk is answered in a manner that depends on how
# it is asked (see `risk_manner`).
MIN_RAPPORT: dict[str, float] = {
    "situation": 0.0, "emotions": 0.0, "behavior": 0.0, "automatic_thoughts": 0.2,
    "coping_strategies": 0.3, "history": 0.45, "intermediate_beliefs": 0.4,
    "intermediate_beliefs_depression": 0.5, "core_beliefs": 0.55,
    "goals": 0.0, "body": 0.0, "intensity": 0.0, "risk": 0.0,
}
SURFACE: tuple[Element, ...] = ("situation", "emotions", "behavior")
ASKS: dict[str, Element] = {
    "ask_situation": "situation", "ask_feelings": "emotions", "ask_behavior": "behavior",
    "ask_thoughts": "automatic_thoughts", "ask_coping": "coping_strategies",
    "ask_history": "history", "ask_body": "body", "ask_goals": "goals",
    "ask_intensity": "intensity", "ask_risk": "risk",
}
# Where a meaning probe (the downward arrow) can lead.
DEPTH: tuple[Element, ...] = ("automatic_thoughts", "intermediate_beliefs",
                              "intermediate_beliefs_depression", "core_beliefs")
# Moves that invite the patient to keep talking without asking for anything in particular.
INVITING = {"open_question", "closed_question", "agenda", "reflect", "validate", "summarise"}
WARM = {"reflect", "validate", "summarise"}
# Moves answered without any case field: a short in-character reply in the style.
FACT_FREE = {"other", "off_topic", "probe_prompt", "closing"}
# Below this trust a risk question, even a kind one, is played down.
RISK_HONEST_MIN = 0.2
# A patient whose profile has cues lets one slip on about this share of eligible turns, and
# always by this turn if none has slipped yet.
CUE_CHANCE = 0.3
CUE_BY_TURN = 5


def _rng(seed: int, turn: int, case_id: str) -> random.Random:
    return random.Random(f"plan:{seed}:{turn}:{case_id}")


@lru_cache(maxsize=1)
def _answer_cues() -> dict[str, list[re.Pattern[str]]]:
    raw = json.loads((DATA_DIR / "offline" / "answer_cues.json").read_text(encoding="utf-8"))
    raw.pop("_about", None)
    return {k: [re.compile(p, re.IGNORECASE) for p in v] for k, v in raw.items()}


def _says(kind: str, message: str) -> bool:
    text = message.replace("\u2019", "'")
    return any(p.search(text) for p in _answer_cues()[kind])


def allowed_elements(moves: list[str]) -> set[str] | None:
    """What a reply to `moves` may draw on: the asked elements (with the situation as context for
    a thought or meaning question); None for an untargeted invitation (any element but risk);
    the empty set for messages answered without case material."""
    mset = set(moves)
    wanted = {ASKS[m] for m in mset if m in ASKS}
    if "ask_meaning" in mset:
        wanted |= set(DEPTH)
    if wanted & {"automatic_thoughts", *DEPTH}:
        wanted.add("situation")
    if wanted:
        return wanted
    if mset & INVITING and not mset & FACT_FREE:
        return None
    return set()


def _next_depth(case: PatientCase, situation_index: int, state: DisclosureState) -> Element:
    """Where a meaning probe leads next: thoughts, then rules, then the depression rule, then beliefs."""
    surfaced = state.surfaced
    if "automatic_thoughts" not in surfaced:
        return "automatic_thoughts"
    if "intermediate_beliefs" not in surfaced:
        return "intermediate_beliefs"
    depression = case.model_for(situation_index).intermediate_beliefs_depression
    if depression and "intermediate_beliefs_depression" not in surfaced:
        return "intermediate_beliefs_depression"
    return "core_beliefs"


def _allowed(element: Element, case: PatientCase, situation_index: int, state: DisclosureState,
             probing: bool) -> bool:
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
        depression = case.model_for(situation_index).intermediate_beliefs_depression
        return (probing and state.meaning_probes >= 2 and "intermediate_beliefs" in surfaced
                and (not depression or "intermediate_beliefs_depression" in surfaced))
    return True


def _requested(moves: list[Move], case: PatientCase, situation_index: int,
               state: DisclosureState, rng: random.Random) -> list[Element]:
    mset = set(moves)
    if mset & FACT_FREE:
        return []
    wanted: list[Element] = [ASKS[m] for m in moves if m in ASKS]
    if "ask_meaning" in moves:
        wanted.append(_next_depth(case, situation_index, state))
    if wanted or not mset & INVITING:
        return list(dict.fromkeys(wanted))
    fresh = [e for e in SURFACE if e not in state.surfaced]
    if fresh:
        # A warm remark only opens up more once there is something to be warm about.
        if mset <= WARM and "situation" not in state.surfaced:
            return []
        return [fresh[0]]
    if mset <= WARM:
        return []  # nothing new to add: the patient takes in the remark
    earlier = [e for e in sorted(state.surfaced, key=state.surfaced.get) if e != "risk"]
    return [rng.choice(earlier)] if earlier else []


def risk_manner(case: PatientCase, moves: set[str], rapport: float) -> RiskManner:
    """How a risk question is answered. Real patients answer a direct, warm question honestly and
    play it down when it comes abruptly or with judgement, or before there is any trust."""
    if case.risk.level == "unknown":
        return "noncommittal"
    if case.risk.level == "none":
        return "plain_no"
    if moves & {"judgmental", "abrupt"} or rapport < RISK_HONEST_MIN:
        return "minimise"
    return "honest"


def _intensity_kind(message: str, state: DisclosureState) -> str:
    belief, feeling = _says("belief", message), _says("emotion", message)
    if belief != feeling:
        return "belief" if belief else "emotion"
    # Neither or both: whatever the patient talked about last.
    thoughts, emotions = state.surfaced.get("automatic_thoughts", -1), state.surfaced.get("emotions", -1)
    return "belief" if thoughts > emotions else "emotion"


def _cue(case: PatientCase, state: DisclosureState, moves: set[str], turn: int, seed: int) -> int | None:
    """A cue the patient lets slip unprompted in this reply, if any.

    Cues come before anyone asks about risk, never in reply to small talk, a judgement or a
    message that fits nothing, and each at most once.
    """
    cues = case.risk.cues
    unsaid = [i for i in range(len(cues)) if i not in state.cues_dropped]
    if (not unsaid or state.risk_asked or "ask_risk" in moves or turn < 2
            or moves & (FACT_FREE | {"judgmental", "greeting"})):
        return None
    rng = random.Random(f"cue:{seed}:{turn}:{case.id}")
    if rng.random() < CUE_CHANCE or (turn >= CUE_BY_TURN and not state.cues_dropped):
        return unsaid[0]
    return None


def _target_sentences(params: StyleParams, shows: bool, strength: float, rng: random.Random) -> int:
    if not shows:
        return 3
    base = rng.choice([1, 2]) if params.sentences <= 2 else params.sentences
    return max(1, round(3 + (base - 3) * strength))


def plan_turn(case: PatientCase, situation_index: int, style: str, state: DisclosureState,
              message: str, seed: int = 0,
              recognition: Recognition | None = None) -> tuple[TurnPlan, DisclosureState]:
    """Decide what the patient does in reply to `message`; return the plan and the new state.

    `recognition` gives the trainee's moves when they are already known; without it they are
    recognised from the message and the patient's previous reply.
    """
    if not 0 <= situation_index < len(case.situations):
        raise ValueError(f"case {case.id} has no situation {situation_index}")
    turn = state.turn + 1
    rng = _rng(seed, turn, case.id)
    params = style_params(style)
    if recognition is None:
        recognition = recognise(message, state.last_reply)
    moves = list(recognition.moves) or ["other"]
    mset = set(moves)
    model = case.model_for(situation_index)

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

    requested = _requested(moves, case, situation_index, gate_state, rng)
    asks_risk = "risk" in requested
    requested = [e for e in requested if e != "risk"]  # answered on its own terms below
    for element in requested:
        # Every further core belief passes the gate again; other elements may be repeated.
        more_beliefs = len(state.core_beliefs_surfaced) < len(model.core_beliefs)
        repeat = element in state.surfaced and not (element == "core_beliefs" and more_beliefs)
        if repeat or _allowed(element, case, situation_index, gate_state, probing):
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
    if shows and not mset & {"probe_prompt", "closing"}:
        new = [e for e in reveal if e not in state.surfaced]
        dodge = params.evasiveness * strength * (0.5 if all(e in SURFACE for e in new) else 1.0)
        if new and draws["deflect"] < dodge:
            behaviours.append("deflect")
            withheld += new
            reveal = [e for e in reveal if e in state.surfaced]
        # A drift to other parts of their life answers an open invitation, never a question
        # about something in particular (least of all their safety) nor small talk.
        if draws["tangent"] < params.tangent * strength and allowed_elements(moves) is None:
            behaviours.append("tangent")
        if params.sentences >= 6 and not mset & FACT_FREE:
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

    # Risk: every asked aspect is answered, in the manner the question earns; nothing else.
    aspects: list[RiskAspect] = list(dict.fromkeys(recognition.risk_aspects)) if asks_risk else []
    manner: RiskManner | None = None
    disclosed = list(state.risk_disclosed)
    if asks_risk:
        aspects = aspects or ["ideation"]
        manner = risk_manner(case, mset, rapport)
        reveal.insert(0, "risk")
        if manner == "honest":
            disclosed += [a for a in aspects if a not in disclosed]
    cue = None if asks_risk else _cue(case, state, mset, turn, seed)

    intensity = None
    scale = 100
    if "intensity" in reveal:
        intensity = _intensity_kind(message, state)
        scale = 10 if _says("ten_point", message) else 100

    surfaced = dict(state.surfaced)
    core_surfaced = list(state.core_beliefs_surfaced)
    core_now: list[str] = []
    if "core_beliefs" in reveal:
        unsaid = [b for b in model.core_beliefs if b not in core_surfaced]
        core_now = [unsaid[0]] if unsaid else [rng.choice(core_surfaced)]
        core_surfaced += [b for b in core_now if b not in core_surfaced]
    for element in reveal:
        surfaced.setdefault(element, turn)

    plan = TurnPlan(
        moves=moves, reveal=reveal, withheld=list(dict.fromkeys(withheld)),
        core_beliefs=core_now, behaviours=list(dict.fromkeys(behaviours)),
        target_sentences=target, risk_aspects=aspects, risk_manner=manner, cue=cue,
        intensity=intensity, scale=scale,
    )
    new_state = DisclosureState(
        turn=turn, rapport=round(rapport, 4), meaning_probes=probes, surfaced=surfaced,
        core_beliefs_surfaced=core_surfaced, last_moves=moves, last_reply=state.last_reply,
        risk_disclosed=disclosed, risk_asked=state.risk_asked or asks_risk,
        cues_dropped=state.cues_dropped + ([cue] if cue is not None else []),
    )
    return plan, new_state
