"""Choose the move recogniser's settings by cross-validation inside the training bank.

    .venv/bin/python -m bench.moves_cv            # figures of the shipped settings
    .venv/bin/python -m bench.moves_cv --compare  # and of the alternatives considered

Every figure here is on the bank the recogniser is trained on (5-fold, thresholds chosen on the
out-of-fold scores of the same folds): it is for choosing among methods, not for reporting.
The reported figures come from `python -m simulator eval-moves` on the blind sets.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from simulator.cbt import move_model as mm
from simulator.core import intervals


def figures(rows: list[mm.Rows], y: np.ndarray, alpha: float, combined: bool) -> dict:
    oof = mm.out_of_fold(rows, y, alpha, combined=combined)
    # Thresholds chosen on the other folds' scores, applied to each fold: no peeking.
    ids = mm.fold_ids(len(rows), seed=1)
    pred = np.zeros_like(y)
    for k in range(mm.FOLDS):
        thr = mm.best_thresholds(oof[ids != k], y[ids != k])
        pred[ids == k] = oof[ids == k] >= thr
    f1 = intervals.f1_columns(y, pred)
    return {"macro_f1": round(float(f1.mean()), 3), "lowest": mm.MOVES[int(f1.argmin())],
            "lowest_f1": round(float(f1.min()), 3),
            "labels_per_item": round(float(pred.sum(1).mean()), 3),
            "gold_labels_per_item": round(float(y.sum(1).mean()), 3),
            "per_move": {m: round(float(v), 3) for m, v in zip(mm.MOVES, f1)}}


def run(compare: bool = False) -> dict:
    items = mm.load_bank()
    dense_rows = mm.bank_rows(items, mm.EmbeddingCache())
    ngrams = mm.fit_ngrams(items)  # unsupervised, fitted on the whole bank
    rows = [mm.with_ngrams(r, mm.unit_texts_only(i.text), ngrams) for r, i in zip(dense_rows, items)]
    y = mm.label_matrix(items, mm.MOVES)
    out = {"bank_items": len(items), "note": "cross-validation on the training bank (tuned-on data)",
           "shipped": figures(rows, y, mm.RIDGE_ALPHA, combined=True)}
    if compare:
        out["without_ngrams"] = figures([mm.Rows(r) for r in dense_rows], y, mm.RIDGE_ALPHA, combined=True)
        out["whole_message_only"] = figures(rows, y, mm.RIDGE_ALPHA, combined=False)
        for alpha in (300.0, 3000.0):
            out[f"alpha_{alpha:g}"] = figures(rows, y, alpha, combined=True)
    return out


if __name__ == "__main__":
    result = run("--compare" in sys.argv)
    for name, value in result.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "per_move"} | (
                {"per_move": value["per_move"]} if name == "shipped" else {})
        print(name, json.dumps(value))
