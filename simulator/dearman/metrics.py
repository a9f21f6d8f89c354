"""The figures of a DEAR MAN rater against labels: macro-F1 of used-vs-not and strong-vs-not per
strategy, accuracy of the two states. Shared by the evaluation and the classifier's training."""

from __future__ import annotations

from sklearn.metrics import accuracy_score, f1_score

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
