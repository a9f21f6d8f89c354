"""The figures of a DEAR MAN rater against labels: macro-F1 of used-vs-not and strong-vs-not per
strategy, accuracy of the two states. Shared by the evaluation and the classifier's training."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from simulator.core import intervals
from simulator.dearman.schema import STATES, STRATEGIES


def macro_f1(truth: list[bool], pred: list[bool]) -> float:
    return float(f1_score(truth, pred, average="macro", labels=[True, False], zero_division=0))


def figures(truths: list[dict], predicted: list[dict]) -> dict:
    """The figures for labels against predicted levels (both: skill -> level)."""
    report: dict = {"messages": len(truths), "skills": {}}
    for skill in STRATEGIES:
        truth = [t[skill] for t in truths]
        pred = [p[skill] for p in predicted]
        report["skills"][skill] = {
            "used_f1": round(macro_f1([t != "none" for t in truth], [p != "none" for p in pred]), 3),
            "strong_f1": round(macro_f1([t == "strong" for t in truth], [p == "strong" for p in pred]), 3),
            "exact": round(float(accuracy_score(truth, pred)), 3),
        }
    for skill in STATES:
        truth = [t[skill] for t in truths]
        pred = [p[skill] for p in predicted]
        report["skills"][skill] = {"accuracy": round(float(accuracy_score(truth, pred)), 3)}
    report["macro_used_f1"] = round(sum(report["skills"][s]["used_f1"] for s in STRATEGIES) / 5, 3)
    report["macro_strong_f1"] = round(sum(report["skills"][s]["strong_f1"] for s in STRATEGIES) / 5, 3)
    return report


def _binary_macro_f1(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """macro_f1 per column of boolean item-by-column matrices (a class with no items scores 0, as
    sklearn's zero_division=0 does)."""
    return (intervals.f1_columns(truth, pred, absent=0.0) + intervals.f1_columns(~truth, ~pred, absent=0.0)) / 2.0


def headline_intervals(truths: list[dict], predicted: list[dict]) -> dict:
    """Bootstrap intervals (simulator.core.intervals) of the four headline figures of figures():
    how far they could move on another batch of this size. Empty for a batch of fewer than two."""
    counts_as = {"used": ("weak", "strong"), "strong": ("strong",)}
    grid = {kind: (np.array([[t[s] in ok for s in STRATEGIES] for t in truths], dtype=bool),
                   np.array([[p[s] in ok for s in STRATEGIES] for p in predicted], dtype=bool))
            for kind, ok in counts_as.items()}
    right = np.array([[t[s] == p[s] for s in STATES] for t, p in zip(truths, predicted)], dtype=bool)

    def headline(idx: np.ndarray) -> np.ndarray:
        used = _binary_macro_f1(grid["used"][0][idx], grid["used"][1][idx]).mean()
        strong = _binary_macro_f1(grid["strong"][0][idx], grid["strong"][1][idx]).mean()
        return np.array([used, strong, *right[idx].mean(axis=0)])

    found = intervals.bootstrap(len(truths), headline)
    if found is None:
        return {}
    return {"level": intervals.LEVEL, **dict(zip(["macro_used_f1", "macro_strong_f1", *STATES], found))}
