"""DEAR MAN offline rater accuracy over data/eval/dearman_eval.jsonl: per-skill macro-F1 for used
vs not used and strong vs not strong, accuracy for Mindful and Confident."""

from __future__ import annotations

from simulator.dearman.evaluate import evaluate
from simulator.dearman.rater_offline import default_rater


def run() -> dict:
    report = evaluate(default_rater().rate)
    report.pop("errors")
    return {"dearman_accuracy": report, "targets": {"macro_used_f1": 0.75, "macro_strong_f1": 0.65}}
