"""How the interview report's own parts were set, on data written for them (never the graded set):

- the simple/complex reflection cut-off, by leave-one-out on data/report/reflections.jsonl;
- the patient risk-statement reader, by ten-fold cross-validation on data/report/risk_statements.jsonl
  (accuracy over the eight labels, and precision/recall of "says something about risk");
- the rubric rules, by Spearman on the calibration transcripts (data/interviews/calibration/, tuned on).

Run: `python -m bench report_calibrate` (figures also land in bench/results/latest.json).
"""

from __future__ import annotations

import json

import numpy as np

from simulator.cbt.report import evaluate, risk_text
from simulator.cbt.report.counts import SIMPLE_OVERLAP, overlap
from simulator.core.settings import DATA_DIR

CUTS = (0.3, 0.4, 0.5, 0.6, 0.7)


def reflections() -> dict:
    rows = [json.loads(line) for line in (DATA_DIR / "report" / "reflections.jsonl").read_text().splitlines() if line]
    values = [(overlap(r["text"], r["previous"]), r["label"]) for r in rows]
    right = 0
    for i, (v, label) in enumerate(values):  # leave one out: the best cut on the others, applied to this one
        others = values[:i] + values[i + 1:]
        cut = max(CUTS, key=lambda c: sum((("simple" if o >= c else "complex") == lab) for o, lab in others))
        right += ("simple" if v >= cut else "complex") == label
    return {"items": len(rows), "cut": SIMPLE_OVERLAP, "leave_one_out_accuracy": round(right / len(rows), 3)}


def risk_reader(folds: int = 10) -> dict:
    texts, labels = risk_text.bank()
    x = risk_text.features(texts)
    y = np.array([risk_text.LABELS.index(label) for label in labels])
    fold = np.arange(len(y)) % folds
    predicted = []
    for f in range(folds):
        model = risk_text.train(x[fold != f], y[fold != f])
        predicted += [(i, label) for i, (label, _) in zip(np.where(fold == f)[0], risk_text.predict(x[fold == f], model))]
    got = dict(predicted)
    risky = set(risk_text.RISK_LABELS)
    tp = sum(1 for i, label in got.items() if label in risky and labels[i] in risky)
    said = sum(1 for label in got.values() if label in risky)
    truth = sum(1 for label in labels if label in risky)
    return {"items": len(labels), "folds": folds,
            "accuracy": round(sum(got[i] == labels[i] for i in got) / len(labels), 3),
            "risk_precision": round(tp / said, 3) if said else None,
            "risk_recall": round(tp / truth, 3) if truth else None}


def run() -> dict:
    cal = evaluate.evaluate(evaluate.CALIBRATION_DIR)
    return {"report_calibration": {
        "reflections": reflections(),
        "risk_statements": risk_reader(),
        "calibration_transcripts_tuned_on": {"transcripts": cal["transcripts"], "spearman_total": cal["spearman_total"],
                                             "risk_asked_agreement": cal["risk"]["asked_agreement"]},
    }}
