"""The other person: an explicit emotional state that every message moves, and a reply.

The state (irritation, willingness, 0 to 1) is updated from the rated skills of the trainee's
sent message by plain rules, the same on both engines; the engines differ only in wording the
reply. The counterpart agrees only once a request has been made and willingness passes the
threshold while irritation is low enough.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from simulator.core.errors import EngineError
from simulator.core.settings import DATA_DIR, LLMSettings
from simulator.dearman import cues
from simulator.dearman.schema import (
    CounterpartState,
    DearmanTurn,
    Scenario,
    SkillRatings,
)
from simulator.llm import fallback
from simulator.llm.usage import Caller

LINES_FILE = DATA_DIR / "dearman" / "counterpart.json"
THRESHOLD = 0.7
AGREE_MAX_IRRITATION = 0.6
SHUT_DOWN_AT = 0.75  # above this irritation, the counterpart stops considering the request
VALIDATION = re.compile(
    r"\b(?:i (?:understand|hear|know|get|see|appreciate)|that'?s (?:fair|true|a fair point)|fair point|"
    r"you(?:'re| are| may be| might be) right|that may be true|thanks for|thank you|i can see)\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _lines() -> dict:
    return json.loads(LINES_FILE.read_text(encoding="utf-8"))


def generic_lines() -> dict:
    return _lines()["generic"]


def initial_state(scenario: Scenario) -> CounterpartState:
    d = scenario.difficulty
    return CounterpartState(irritation=round(0.1 + 0.05 * d, 3), willingness=round(max(0.0, 0.25 - 0.025 * d), 3),
                            threshold=THRESHOLD)


def _clamp(x: float) -> float:
    return round(min(1.0, max(0.0, x)), 3)


def update_state(state: CounterpartState, ratings: SkillRatings, message: str, scenario: Scenario,
                 seed: int) -> CounterpartState:
    """The state after one sent message. Deterministic for a given seed and turn."""
    levels = ratings.levels()
    gain = 1.2 - 0.08 * scenario.difficulty  # harder scenarios move less per good message
    damp = 1 - 0.6 * state.irritation  # an irritated person hears good arguments less
    irr, will, changes = state.irritation, 0.0, []
    mind = cues.mindful(message)

    if VALIDATION.search(message):
        irr -= 0.12
        changes.append("You acknowledged their side: irritation eases.")
    if levels["describe"] == "strong":
        irr -= 0.08
        changes.append("Plain facts without judgement: less to argue with.")
    if levels["express"] == "strong":
        irr -= 0.04
        will += 0.04
        changes.append("You said how you feel: they understand why it matters.")
    if mind.level == 0 and mind.note == "sidetracked":
        irr += 0.25
        will -= 0.05
        changes.append("Attack or side issue: irritation rises.")
    elif cues.JUDGEMENT.search(message) and levels["describe"] != "strong":
        irr += 0.08
        changes.append("Judgemental words: they feel criticised.")
    if mind.note == "gave up":
        irr -= 0.05
        will -= 0.1
        changes.append("You let it drop: they relax, and the request fades.")
    asked = state.asked or levels["assert"] != "none"
    if levels["assert"] == "strong":
        will += 0.08
        changes.append("A clear request: they know what you want.")
    elif levels["assert"] == "weak":
        will += 0.02
        changes.append("The request is vague: easy to sidestep.")
    for skill, text in (("reinforce", "what is in it for them"), ("negotiate", "a concrete alternative")):
        if levels[skill] == "strong":
            will += 0.13
            changes.append(f"You offered {text}: willingness rises.")
        elif levels[skill] == "weak":
            will += 0.04
    if levels["confident"] == "no":
        will -= 0.04
        changes.append("Hedging and apologising make a no easier.")
    if levels["mindful"] == "yes" and state.asked and levels["assert"] == "strong":
        will += 0.03  # the broken record: repeating the request calmly wears resistance down
    will = will * gain * damp if will > 0 else will
    if irr > SHUT_DOWN_AT:
        will -= 0.05
        changes.append("They are too irritated to consider it.")
    will += random.Random(f"{seed}:{state.turn}").uniform(-0.02, 0.02)
    new_irr, new_will = _clamp(irr), _clamp(state.willingness + will)
    agreed = asked and new_will >= state.threshold and new_irr < AGREE_MAX_IRRITATION
    if agreed:
        changes.append("Willingness passed their threshold: they agree.")
    return state.model_copy(update={
        "turn": state.turn + 1, "irritation": new_irr, "willingness": new_will, "asked": asked,
        "agreed": agreed, "changes": changes,
    })


# -- the offline reply --

def _reaction(ratings: SkillRatings, message: str, before: CounterpartState) -> str | None:
    levels = ratings.levels()
    mind = cues.mindful(message)
    if mind.level == 0:
        return "attacked" if mind.note == "sidetracked" else "gave_up"
    if levels["negotiate"] == "strong":
        return "offer"
    if levels["reinforce"] == "strong":
        return "reward"
    if levels["express"] == "strong":
        return "feeling"
    if VALIDATION.search(message):
        return "validated"
    if levels["confident"] == "no":
        return "hedged"
    if not before.asked and levels["assert"] == "none":
        return "unclear"
    return None


def offline_reply(scenario: Scenario, before: CounterpartState, after: CounterpartState,
                  ratings: SkillRatings, message: str, seed: int) -> tuple[str, list[int]]:
    """A reply about as long as the message, in role. Returns the text and the objections used."""
    rng = random.Random(f"{seed}:{after.turn}:reply")
    spec = scenario.counterpart
    target = max(6, len(message.split()))
    used = list(after.used_objections)
    lines: list[str] = []
    reaction = _reaction(ratings, message, before)
    if reaction:
        lines.append(rng.choice(_lines()["reactions"][reaction]))

    def objection() -> str:
        fresh = [i for i in range(len(spec.objections)) if i not in used] or list(range(len(spec.objections)))
        i = rng.choice(fresh)
        used.append(i)
        return spec.objections[i]

    if after.agreed:
        lines.append(spec.agreement)
        return " ".join(lines), used
    if reaction == "gave_up":
        return " ".join(lines), used
    softening = [s for s in spec.softening if s not in lines]
    near = after.willingness >= 0.6 * after.threshold and after.irritation < AGREE_MAX_IRRITATION
    lines.append(rng.choice(softening) if near else objection())
    while sum(len(x.split()) for x in lines) < 0.8 * target and len(lines) < 6:
        if near and softening and rng.random() < 0.4:
            extra = rng.choice(softening)
            if extra in lines:
                break
            lines.append(extra)
        else:
            lines.append(objection())
    return " ".join(dict.fromkeys(lines)), used


# -- a reply on either engine --

@dataclass
class CounterpartReply:
    """The reply streams through `chunks`; `complete`, `engine` and `fallback_reason` are final
    once the chunks are consumed. The state is known before the first word."""

    state: CounterpartState
    chunks: Iterator[str] = field(default_factory=lambda: iter(()))
    engine: str = "offline"
    complete: bool = True
    fallback_reason: str | None = None
    text: str = ""


def respond(scenario: Scenario, history: list[DearmanTurn], before: CounterpartState,
            ratings: SkillRatings, message: str, seed: int,
            settings: LLMSettings | None = None, caller: Caller | None = None) -> CounterpartReply:
    after = update_state(before, ratings, message, scenario, seed)
    text, used = offline_reply(scenario, before, after, ratings, message, seed)
    after = after.model_copy(update={"used_objections": used})
    reply = CounterpartReply(state=after)
    if settings is None:
        reply.text = text
        reply.chunks = iter([text])
        return reply
    reply.chunks = _llm_chunks(reply, scenario, history, after, message, text, settings, caller)
    return reply


def _llm_chunks(reply: CounterpartReply, scenario: Scenario, history: list[DearmanTurn],
                state: CounterpartState, message: str, offline_text: str,
                settings: LLMSettings, caller: Caller | None = None) -> Iterator[str]:
    from simulator.dearman.prompts import counterpart_messages
    from simulator.llm import client as llm

    shown: list[str] = []
    reply.engine = settings.model
    try:
        messages = counterpart_messages(scenario, history, state, message, settings.max_reply_tokens)
        for chunk in llm.stream_text(llm.chat_model(settings), messages, settings, caller):
            shown.append(chunk)
            yield chunk
    except Exception as exc:  # noqa: BLE001 - any failure: the conversation goes on, and the log says why
        why = fallback.record("DEAR MAN counterpart", exc)
        if isinstance(exc, EngineError) and exc.partial:
            shown = [exc.partial] if not shown else shown
        if shown:
            reply.complete = False
            reply.fallback_reason = why
        else:
            reply.engine = "offline"
            reply.fallback_reason = why
            shown = [offline_text]
            yield offline_text
    reply.text = "".join(shown).strip()
