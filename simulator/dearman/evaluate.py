"""Accuracy of a rater over the labelled evaluation set (data/eval/dearman_eval.jsonl).

Per strategy: macro-F1 (mean of both classes' F1) for used vs not used (strong or weak vs none)
and for strong vs not strong; per state: accuracy. The headline figures average the five
strategies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score

from simulator.core.settings import DATA_DIR
from simulator.dearman.schema import STATES, STRATEGIES, MessageContext, SkillRatings

EVAL_FILE = DATA_DIR / "eval" / "dearman_eval.jsonl"


def load_eval(path: str | Path = EVAL_FILE) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            row["line"] = n
            rows.append(row)
    return rows


def _macro(truth: list[bool], pred: list[bool]) -> float:
    return float(f1_score(truth, pred, average="macro", labels=[True, False], zero_division=0))


def evaluate(rate: Callable[[MessageContext], SkillRatings], rows: list[dict] | None = None) -> dict:
    rows = rows if rows is not None else load_eval()
    predicted = []
    for row in rows:
        ctx = MessageContext.checked(row["situation"], row["goal"], row["message"], row.get("partner_last"))
        predicted.append(rate(ctx).levels())
    report: dict = {"messages": len(rows), "skills": {}}
    for skill in STRATEGIES:
        truth = [row["labels"][skill] for row in rows]
        pred = [p[skill] for p in predicted]
        report["skills"][skill] = {
            "used_f1": round(_macro([t != "none" for t in truth], [p != "none" for p in pred]), 3),
            "strong_f1": round(_macro([t == "strong" for t in truth], [p == "strong" for p in pred]), 3),
            "exact": round(float(accuracy_score(truth, pred)), 3),
        }
    for skill in STATES:
        truth = [row["labels"][skill] for row in rows]
        pred = [p[skill] for p in predicted]
        report["skills"][skill] = {"accuracy": round(float(accuracy_score(truth, pred)), 3)}
    report["macro_used_f1"] = round(sum(report["skills"][s]["used_f1"] for s in STRATEGIES) / 5, 3)
    report["macro_strong_f1"] = round(sum(report["skills"][s]["strong_f1"] for s in STRATEGIES) / 5, 3)
    report["errors"] = [
        {"line": row["line"], "skill": s, "expected": row["labels"][s], "got": p[s]}
        for row, p in zip(rows, predicted) for s in (*STRATEGIES, *STATES) if row["labels"][s] != p[s]
    ]
    return report
