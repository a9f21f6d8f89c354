"""A trainee's record in the thinking-traps exercises, for the progress page."""

from __future__ import annotations

from collections import Counter

from simulator.accounts.actor import Actor
from simulator.core.settings import Settings
from simulator.traps.patterns import name_of
from simulator.traps.restructuring.practice import RestructuringPractice
from simulator.traps.store import drill_attempts


def summary(store, settings: Settings, actor: Actor | None, owner: str | None = None) -> dict:
    attempts = drill_attempts(store, actor, owner)
    exercises = RestructuringPractice(store, settings, actor).dialogues(owner)
    missed: Counter[str] = Counter()
    for a in attempts:
        missed.update(set(a["correct"]) - set(a["picked"]))
    n = len(attempts)
    return {
        "drill_attempts": n,
        "pattern_exact": round(sum(set(a["picked"]) == set(a["correct"]) for a in attempts) / n, 3) if n else None,
        "pattern_score": round(sum(a["pattern_score"] for a in attempts) / n, 3) if n else None,
        "reframe_criteria": round(sum(a["criteria_met"] for a in attempts) / n, 2) if n else None,
        "strategies": dict(Counter(a["strategy"] for a in attempts if a["strategy"])),
        "most_missed": [name_of(p) for p, _ in missed.most_common(3)],
        "timeline": [{"when": a["created_at"], "pattern_score": a["pattern_score"],
                      "criteria_met": a["criteria_met"]} for a in attempts],
        "restructuring": exercises,
    }
