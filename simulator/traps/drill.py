"""The spotting and reframing drill: pick the pattern(s) of a thought, write a reframe, get feedback.

A thought can show several patterns. The trainee gets credit for naming any accepted pattern: one
the item's authors listed, or one that passes its threshold in the offline detector's multi-label
decision. The feedback explains the clearest one (the item's first pattern).
"""

from __future__ import annotations

import hashlib
import json
import random
from functools import lru_cache

from pydantic import BaseModel

from simulator.accounts.actor import Actor
from simulator.core.settings import DATA_DIR
from simulator.core.text import listing
from simulator.traps import store as traps_store
from simulator.traps.detector import detect_offline
from simulator.traps.engine import check_reframe
from simulator.traps.patterns import name_of, pattern_ids, patterns
from simulator.traps.reframe import ReframeFeedback, drill_items


class DrillItem(BaseModel):
    id: str
    context: str
    thought: str
    patterns: list[str]
    why: str
    reframes: list[str]
    generated: bool = False  # written by the LLM for this trainee (simulator.traps.fresh), not authored


class PatternGrade(BaseModel):
    picked: list[str]
    correct: list[str]  # the item's patterns, clearest first
    accepted: list[str] = []  # correct plus the detector's passing patterns: naming any earns credit
    hits: list[str]  # picked and accepted
    missed: list[str]  # correct but not picked
    extra: list[str]  # picked but not accepted
    score: float  # Jaccard overlap of picked and correct, 0-1
    credit: bool = False  # at least one accepted pattern named

    @property
    def exact(self) -> bool:
        return not self.missed and not self.extra


class DrillResult(BaseModel):
    item: DrillItem
    grade: PatternGrade
    feedback: ReframeFeedback
    attempt_id: str | None = None


def items() -> list[DrillItem]:
    out = [DrillItem.model_validate(i) for i in drill_items()]
    known = set(pattern_ids())
    for item in out:
        if not item.patterns or set(item.patterns) - known:
            raise ValueError(f"drill item {item.id} names unknown patterns {item.patterns}")
    return out


def item(item_id: str) -> DrillItem:
    for i in items():
        if i.id == item_id:
            return i
    raise KeyError(f"no drill item {item_id!r}")


def pick_item(seed: int, exclude: set[str] = frozenset()) -> DrillItem:
    """A drill item not in `exclude` (all of them again once every item has been done)."""
    pool = [i for i in items() if i.id not in exclude] or items()
    return random.Random(seed).choice(pool)


class DrillRound(BaseModel):
    """Where a trainee is in the drill: one round goes through every item once, in an order fixed by
    who they are and how far they got, so a reload or a new sign-in shows the same next thought."""

    number: int  # 1-based
    answered: list[str]  # items answered in this round
    total: int
    next: DrillItem
    last: dict | None = None  # the latest attempt, for "your last answer"


def current_round(store, actor: Actor | None) -> DrillRound:
    attempts = traps_store.drill_attempts(store, actor)
    bank = items()
    ids = {i.id for i in bank}
    number, answered = 1, []
    for a in attempts:
        if a["item_id"] in ids and a["item_id"] not in answered:
            answered.append(a["item_id"])
            if len(answered) == len(ids):
                number, answered = number + 1, []
    owner = actor.id if actor else "-"
    seed = int.from_bytes(hashlib.sha256(f"{owner}:{number}:{len(answered)}".encode()).digest()[:8], "big")
    return DrillRound(number=number, answered=answered, total=len(ids), next=pick_item(seed, set(answered)),
                      last=attempts[-1] if attempts else None)


def accepted_patterns(item: DrillItem) -> list[str]:
    """The item's patterns, then any other pattern the offline detector's decision includes."""
    return list(dict.fromkeys([*item.patterns, *detect_offline(item.thought).passing]))


def grade_patterns(item: DrillItem, picked: list[str], accepted: list[str] | None = None) -> PatternGrade:
    unknown = set(picked) - set(pattern_ids())
    if unknown:
        raise ValueError(f"unknown pattern(s): {sorted(unknown)}")
    accepted = accepted_patterns(item) if accepted is None else accepted
    p, c, a = set(picked), set(item.patterns), set(accepted)
    return PatternGrade(picked=sorted(p), correct=item.patterns, accepted=accepted, hits=sorted(p & a),
                        missed=sorted(c - p), extra=sorted(p - a),
                        score=round(len(p & c) / len(p | c), 3) if p | c else 0.0, credit=bool(p & a))


@lru_cache(maxsize=1)
def _wording() -> dict:
    return json.loads((DATA_DIR / "traps" / "drill_feedback.json").read_text(encoding="utf-8"))


def explain(grade: PatternGrade, item: DrillItem) -> str:
    """What was picked and whether it earns credit (naming picks that do not fit), then the clearest
    pattern explained, then what else fits."""
    w = _wording()
    if grade.exact:
        lead = w["exact"]
    elif grade.credit:
        lead = w["credit" if len(grade.hits) == 1 else "credits"].format(hits=listing([name_of(p) for p in grade.hits]))
    else:
        lead = w["no_credit"]
    if grade.credit and grade.extra:  # without credit, "Not quite" already covers every pick
        extra = listing([name_of(p) for p in grade.extra])
        lead += " " + w["extra" if len(grade.extra) == 1 else "extras"].format(extra=extra)
    best = item.patterns[0]
    picked = ", ".join(name_of(p) for p in grade.picked) or w["nothing"]
    parts = [w["picked"].format(picked=picked), lead, w["best"].format(best=name_of(best), definition=patterns()[best].definition, why=item.why)]
    others = [name_of(p) for p in grade.accepted if p != best]
    if others:
        parts.append(w["others"].format(others=", ".join(others)))
    return " ".join(part.strip() for part in parts)


def submit(store, actor: Actor | None, item_id: str, picked: list[str], reframe: str,
           settings=None, fresh: DrillItem | None = None) -> DrillResult:
    """Grade the picked patterns and the reframe, store the attempt, and return the feedback.

    `fresh` is an item from simulator.traps.fresh (its id, "gen-..." or "bank-...", is stored)."""
    reframe = reframe.strip()
    if not reframe:
        raise ValueError("Write a reframe before submitting.")
    it = fresh if fresh is not None and fresh.id == item_id else item(item_id)
    grade = grade_patterns(it, picked)
    from simulator.modeluse.access import caller_for

    caller = caller_for(store, "traps", actor.id if actor else None)
    fb = check_reframe(it.thought, reframe, it.context, it.id, settings, caller)
    attempt_id = traps_store.add_drill_attempt(store, actor, {
        "item_id": it.id, "thought": it.thought, "picked_json": json.dumps(grade.picked),
        "correct_json": json.dumps(it.patterns), "pattern_score": grade.score, "reframe": reframe,
        "feedback_json": fb.model_dump_json(), "criteria_met": fb.met, "strategy": fb.strategy,
        "engine": fb.engine,
    })
    return DrillResult(item=it, grade=grade, feedback=fb, attempt_id=attempt_id)


def definitions() -> list[tuple[str, str, str]]:
    """(id, name, definition) of the ten patterns, for the drill's help and the pickers."""
    return [(p.id, p.name, p.definition) for p in patterns().values()]
