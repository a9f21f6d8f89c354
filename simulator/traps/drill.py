"""The spotting and reframing drill: pick the pattern(s) of a thought, write a reframe, get feedback."""

from __future__ import annotations

import json
import random

from pydantic import BaseModel

from simulator.accounts.actor import Actor
from simulator.traps import store as traps_store
from simulator.traps.patterns import name_of, pattern_ids, patterns
from simulator.traps.reframe import ReframeFeedback, check_reframe, drill_items


class DrillItem(BaseModel):
    id: str
    context: str
    thought: str
    patterns: list[str]
    why: str
    reframes: list[str]


class PatternGrade(BaseModel):
    picked: list[str]
    correct: list[str]
    hits: list[str]
    missed: list[str]
    extra: list[str]
    score: float  # Jaccard overlap of picked and correct, 0-1

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


def grade_patterns(item: DrillItem, picked: list[str]) -> PatternGrade:
    unknown = set(picked) - set(pattern_ids())
    if unknown:
        raise ValueError(f"unknown pattern(s): {sorted(unknown)}")
    p, c = set(picked), set(item.patterns)
    return PatternGrade(picked=sorted(p), correct=item.patterns, hits=sorted(p & c), missed=sorted(c - p),
                        extra=sorted(p - c), score=round(len(p & c) / len(p | c), 3) if p | c else 0.0)


def explain(grade: PatternGrade, item: DrillItem) -> str:
    names = ", ".join(name_of(p) for p in item.patterns)
    lead = "Right." if grade.exact else "Partly right." if grade.hits else "Not quite."
    return f"{lead} This thought shows {names}. {item.why}"


def submit(store, actor: Actor | None, item_id: str, picked: list[str], reframe: str,
           settings=None) -> DrillResult:
    """Grade the picked patterns and the reframe, store the attempt, and return the feedback."""
    reframe = reframe.strip()
    if not reframe:
        raise ValueError("Write a reframe before submitting.")
    it = item(item_id)
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
