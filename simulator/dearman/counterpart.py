"""The other person: an explicit emotional state that every message moves, and a reply.

The state (irritation, willingness, 0 to 1) is updated from the rated skills of the trainee's
sent message by plain rules, the same on both engines; the engines differ only in wording the
reply. The counterpart agrees as soon as a request (or a concrete offer) has been made and its
willingness has passed the threshold; irritation works through willingness (an irritated person
hears good arguments less, and a very irritated one loses willingness), so a positive reaction
always means real progress toward a yes.

The offline reply never repeats a line the counterpart said in its last five replies
(RECENT_TURNS): lines are drawn from the scenario's own, then the generic ones.
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
from simulator.dearman.features import sentences
from simulator.dearman.off_goal import how_off_goal
from simulator.dearman.schema import (
    CounterpartState,
    DearmanTurn,
    OffGoal,
    Scenario,
    SkillRatings,
)
from simulator.llm import fallback
from simulator.llm.usage import Caller

LINES_FILE = DATA_DIR / "dearman" / "counterpart.json"
THRESHOLD = 0.7
SOFT_IRRITATION = 0.6  # below this (and near the threshold), the counterpart softens
SHUT_DOWN_AT = 0.75  # above this irritation, the counterpart stops considering the request
RECENT_TURNS = 5  # no line is repeated within this many of the counterpart's replies
MAX_LINES = 4
VALIDATION = re.compile(
    r"\b(?:i (?:understand|hear|know|get|see|appreciate)|that'?s (?:fair|true|a fair point)|fair point|"
    r"you(?:'re| are| may be| might be) right|that may be true|thanks for|thank you|i can see)\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _lines() -> dict:
    return json.loads(LINES_FILE.read_text(encoding="utf-8"))


def state_changes() -> dict[str, str]:
    """The sentences that say why the counterpart's state moved (shown with "Show their state")."""
    return _lines()["state_changes"]


def generic_lines() -> dict:
    return _lines()["generic"]


def initial_state(scenario: Scenario) -> CounterpartState:
    d = scenario.difficulty
    return CounterpartState(irritation=round(0.1 + 0.05 * d, 3), willingness=round(max(0.0, 0.25 - 0.025 * d), 3),
                            threshold=THRESHOLD)


def _clamp(x: float) -> float:
    return round(min(1.0, max(0.0, x)), 3)


def off_goal(ratings: SkillRatings, message: str) -> OffGoal | None:
    """How the message left the goal, as the Mindful rating shown to the trainee says: "gave_up",
    "sidetracked" (an attack or a side issue), or None when it stayed on the goal.

    The rating carries the rater's decision; a rating without one (stored before it was recorded,
    or a model's that left it out) is decided by the same function from the message's words."""
    mindful = ratings.mindful
    if mindful.rating == "yes":
        return None
    return mindful.off_goal or how_off_goal(sentences(message))


def judging(ratings: SkillRatings, message: str) -> bool:
    """Whether the message judges the other person, as the rating says; a rating without the verdict
    (stored before it was recorded, or a model's that left it out) is read from its judging words."""
    return ratings.judging if ratings.judging is not None else bool(cues.JUDGEMENT.search(message))


def _terms(text: str) -> set[str]:
    """The amounts, numbers and days a text names: the terms of an offer."""
    return {m.group(0).lower() for rx in (cues.NUMBER, cues.DATES) for m in rx.finditer(text)}


def update_state(state: CounterpartState, ratings: SkillRatings, message: str, scenario: Scenario,
                 seed: int) -> CounterpartState:
    """The state after one sent message. Deterministic for a given seed and turn."""
    levels = ratings.levels()
    gain = 1.2 - 0.08 * scenario.difficulty  # harder scenarios move less per good message
    damp = 1 - 0.6 * state.irritation  # an irritated person hears good arguments less
    irr, will, changes = state.irritation, 0.0, []
    why = state_changes()
    left = off_goal(ratings, message)
    judges = judging(ratings, message)

    if VALIDATION.search(message):
        irr -= 0.12
        changes.append(why["validated"])
    if levels["describe"] == "strong":
        irr -= 0.08
        changes.append(why["plain_facts"])
    if levels["express"] == "strong":
        irr -= 0.04
        will += 0.04
        changes.append(why["feeling"])
    if left == "sidetracked" and judges:
        irr += 0.25
        will -= 0.05
        changes.append(why["attacked"])
    elif left == "sidetracked":
        irr += 0.06  # a side issue tries their patience; it does not offend
        will -= 0.03
        changes.append(why["side_issue"])
    elif judges:
        irr += 0.08
        changes.append(why["judgemental"])
    if left == "gave_up":
        irr -= 0.05
        will -= 0.1
        changes.append(why["gave_up"])
    # A concrete offer is a request too: "how about $100 on the 1st?" asks them to agree to it.
    asked = state.asked or levels["assert"] != "none" or levels["negotiate"] == "strong"
    if levels["assert"] == "strong":
        will += 0.08
        changes.append(why["clear_request"])
    elif levels["assert"] == "weak":
        will += 0.02
        changes.append(why["vague_request"])
    for skill in ("reinforce", "negotiate"):
        if levels[skill] == "strong":
            will += 0.13
            changes.append(why[skill])
        elif levels[skill] == "weak":
            will += 0.04
    if levels["confident"] == "no":
        will -= 0.04
        changes.append(why["hedged"])
    if levels["mindful"] == "yes" and state.asked and levels["assert"] == "strong":
        will += 0.03  # the broken record: repeating the request calmly wears resistance down
    will = will * gain * damp if will > 0 else will
    if irr > SHUT_DOWN_AT:
        will -= 0.05
        changes.append(why["too_irritated"])
    will += random.Random(f"{seed}:{state.turn}").uniform(-0.02, 0.02)
    new_irr, new_will = _clamp(irr), _clamp(state.willingness + will)
    agreed = asked and new_will >= state.threshold
    # A proposal whose terms differ from the scenario's own agreement is what they will agree to.
    proposes = levels["negotiate"] == "strong" and bool(_terms(message) - _terms(scenario.counterpart.agreement))
    offer = message if proposes else state.offer
    if agreed:
        changes.append(why["agreed"])
    return state.model_copy(update={
        "turn": state.turn + 1, "irritation": new_irr, "willingness": new_will, "asked": asked,
        "agreed": agreed, "changes": changes, "offer": offer,
    })


# -- the offline reply --

def _reaction(ratings: SkillRatings, message: str, before: CounterpartState) -> str | None:
    levels = ratings.levels()
    left = off_goal(ratings, message)
    if left == "gave_up":
        return "gave_up"
    if left:
        if judging(ratings, message):
            return "attacked"
        return "side_issue_asked" if before.asked else "side_issue"
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


def said_recently(recent: list[str]) -> set[str]:
    """Every line the counterpart used in these replies (its last RECENT_TURNS replies)."""
    pool = {line for lines in _all_lines() for line in lines}
    return {line for line in pool if any(line in text for text in recent)}


def _all_lines() -> list[list[str]]:
    d = _lines()
    return [d["generic"][k] for k in ("objections", "softening", "holding")] + list(d["reactions"].values())


def offline_reply(scenario: Scenario, before: CounterpartState, after: CounterpartState,
                  ratings: SkillRatings, message: str, seed: int,
                  recent: list[str] | None = None) -> tuple[str, list[int]]:
    """A reply about as long as the message, in role. Returns the text and the objections used.

    `recent` holds the counterpart's last replies (newest last); no line in them is used again.
    """
    rng = random.Random(f"{seed}:{after.turn}:reply")
    spec = scenario.counterpart
    generic = _lines()["generic"]
    recent = list(recent or [])[-RECENT_TURNS:]
    taken = said_recently(recent) | {line for line in (*spec.objections, *spec.softening) if any(line in t for t in recent)}
    target = max(6, len(message.split()))
    used = list(after.used_objections)
    lines: list[str] = []

    def pick(*pools: list[str]) -> str | None:
        """A line not said recently nor in this reply, from the first pool that has one."""
        for pool in pools:
            fresh = [line for line in pool if line not in taken and line not in lines]
            if fresh:
                line = rng.choice(fresh)
                lines.append(line)
                return line
        return None

    near = after.willingness >= 0.6 * after.threshold and after.irritation < SOFT_IRRITATION
    reaction = _reaction(ratings, message, before)
    if reaction == "offer" and not (near or after.agreed):
        reaction = "offer_far"  # "I could live with that" is said only by someone close to agreeing
    if reaction:
        pick(_lines()["reactions"][reaction])
    if after.agreed:
        # Agreeing to the trainee's own proposal takes it as they put it: the scenario's agreement
        # ("a hundred on the first") would contradict the terms they offered.
        lines.append(rng.choice(generic["agree_to_offer"]) if after.offer else spec.agreement)
        return " ".join(lines), used
    if reaction in ("gave_up", "side_issue", "side_issue_asked") and lines:
        return " ".join(lines), used  # no objection to a request that was dropped or not on the table

    def objection() -> str | None:
        line = pick([o for i, o in enumerate(spec.objections) if i not in used] or spec.objections,
                    spec.objections, generic["objections"])
        if line in spec.objections:
            used.append(spec.objections.index(line))
        return line

    first = pick(spec.softening, generic["softening"]) if near else objection()
    if first is None:
        pick(generic["holding"])
    while sum(len(x.split()) for x in lines) < 0.8 * target and len(lines) < MAX_LINES:
        extra = pick(spec.softening, generic["softening"]) if near and rng.random() < 0.4 else objection()
        if extra is None:
            break
    if not lines:  # every line was said in the last few replies: fall back to a short holding line
        lines.append(rng.choice(generic["holding"]))
    return " ".join(lines), used


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
    recent = [t.text for t in history if t.role == "counterpart"][-RECENT_TURNS:]
    text, used = offline_reply(scenario, before, after, ratings, message, seed, recent)
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
