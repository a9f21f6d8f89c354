"""Scores of a multi-label pattern detector against gold label sets.

top-1: the first ranked label is in the gold set ("none" counts as a label: an undistorted thought
is right when "none" comes first). top-2: one of the first two ranked labels is in the gold set.
Per-pattern recall: of the thoughts whose most salient gold label is the pattern, how many have a
gold label first (top-1), and of the thoughts labelled with the pattern at all, how many the
decision includes. macro-F1: F1 of the decision per label (the ten patterns and "none"), averaged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from simulator.traps.patterns import NONE, pattern_ids


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / max(2 * tp + fp + fn, 1)


def score(gold: Sequence[Sequence[str]], ranked: Sequence[Sequence[str]],
          decided: Sequence[Sequence[str]]) -> dict:
    """gold: label sets (most salient first, empty for none); ranked: labels best first including
    "none"; decided: the multi-label decision (empty for none)."""
    labels = [*pattern_ids(), NONE]
    n = len(gold)
    top1 = top2 = 0
    first_total: Counter[str] = Counter()
    first_hit: Counter[str] = Counter()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    for g, r, d in zip(gold, ranked, decided):
        gset = set(g) or {NONE}
        dset = set(d) or {NONE}
        hit1 = r[0] in gset
        top1 += hit1
        top2 += bool(gset & set(r[:2]))
        salient = g[0] if g else NONE
        first_total[salient] += 1
        first_hit[salient] += hit1
        if not hit1:
            confusion[(salient, r[0])] += 1
        for label in labels:
            tp[label] += label in gset and label in dset
            fp[label] += label not in gset and label in dset
            fn[label] += label in gset and label not in dset
    per_label = {}
    for label in labels:
        support = tp[label] + fn[label]
        per_label[label] = {
            "items_first": first_total[label],
            "top1_recall": round(first_hit[label] / first_total[label], 3) if first_total[label] else None,
            "items": support,
            "decision_recall": round(tp[label] / support, 3) if support else None,
            "f1": round(_f1(tp[label], fp[label], fn[label]), 3),
        }
    present = [x for x in labels if tp[x] + fn[x]]
    return {
        "items": n,
        "top1": round(top1 / n, 3) if n else None,
        "top2": round(top2 / n, 3) if n else None,
        "none_recall": per_label[NONE]["decision_recall"],
        "macro_f1": round(sum(per_label[x]["f1"] for x in present) / len(present), 3) if present else None,
        "per_label": per_label,
        "confusion": {f"{a}->{b}": k for (a, b), k in confusion.most_common()},
    }
