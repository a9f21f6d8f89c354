"""Accuracy of the pattern detector over a labelled set: top-1, top-2 and the neighbouring pairs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from simulator.traps.detector import calibration, detect
from simulator.traps.patterns import EVAL_FILE, NEIGHBOUR_PAIRS, exemplars, load_eval


def evaluate(path: Path = EVAL_FILE, settings=None) -> dict:
    items = load_eval(path)
    bank = {t.strip().lower() for t, _ in exemplars()}
    leaked = [t for t, _ in items if t.strip().lower() in bank]
    if leaked:
        raise ValueError(f"{len(leaked)} evaluation item(s) are also in the exemplar bank, e.g. {leaked[0]!r}")
    top1 = top2 = 0
    confusion: Counter[tuple[str, str]] = Counter()
    misses = []
    for text, label in items:
        ranked = detect(text, settings).ranked_labels()
        top1 += ranked[0] == label
        top2 += label in ranked[:2]
        if ranked[0] != label:
            confusion[(label, ranked[0])] += 1
            misses.append({"text": text, "label": label, "predicted": ranked[:2]})
    pairs = {f"{a}/{b}": {f"{a}->{b}": confusion[(a, b)], f"{b}->{a}": confusion[(b, a)]}
             for a, b in NEIGHBOUR_PAIRS}
    return {
        "file": str(path.name), "items": len(items), "top1": round(top1 / len(items), 3),
        "top2": round(top2 / len(items), 3), "neighbour_confusion": pairs,
        "confusion": {f"{a}->{b}": n for (a, b), n in confusion.most_common()},
        "misses": misses, "calibration": calibration(),
    }
