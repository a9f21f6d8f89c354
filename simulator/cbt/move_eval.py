"""Evaluate the move recogniser on labelled sets written blind to the training bank.

`python -m simulator eval-moves` runs it on every data/eval/blind/moves_*.jsonl, or the files given.
It refuses to run when any evaluation message also appears in a training bank (compared by
simulator.core.text.text_key: case, accents, quotes, punctuation and spacing do not count): a
figure on trained-on text would flatter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.cbt.move_model import (
    ASPECTS,
    MOVES,
    LabelledMessage,
    bank_files,
    checked_codes,
    load_labelled,
)
from simulator.core import intervals
from simulator.core.datafiles import jsonl_rows
from simulator.core.settings import DATA_DIR
from simulator.core.text import refuse_overlap

BLIND_SETS = sorted((DATA_DIR / "eval" / "blind").glob("moves_*.jsonl"))
TRAINING_BANKS = bank_files()


class OverlapError(Exception):
    """An evaluation message is also in a training bank."""


def check_disjoint(eval_files: list[Path], banks: list[Path] = TRAINING_BANKS) -> None:
    refuse_overlap(
        [(f"{path.name} item {number}", item.text)
         for path in eval_files for number, item in enumerate(load_labelled(path), start=1)],
        [(f"{bank.name} item {number}", item.text)
         for bank in banks for number, item in enumerate(load_labelled(bank), start=1)],
        "the move recogniser's training bank", error=OverlapError)


@dataclass
class Scores:
    """The (gold, predicted) label sets of a set's items and the figures derived from them."""

    names: tuple[str, ...]
    pairs: list[tuple[set[str], set[str]]] = field(default_factory=list)

    def add(self, gold: set[str], predicted: set[str]) -> None:
        self.pairs.append((gold, predicted))

    def _matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """Gold and predicted labels as boolean item-by-name matrices."""
        grid = np.array([[[n in labels for n in self.names] for labels in pair] for pair in self.pairs], dtype=bool)
        grid = grid.reshape(len(self.pairs), 2, len(self.names))
        return grid[:, 0], grid[:, 1]

    def per_label(self) -> dict[str, dict[str, float]]:
        gold, pred = self._matrices()
        out = {}
        for name, tp, fp, fn in zip(self.names, (gold & pred).sum(0), (~gold & pred).sum(0), (gold & ~pred).sum(0)):
            tp, fp, fn = int(tp), int(fp), int(fn)
            if tp + fp + fn == 0:
                continue  # absent from gold and predictions: no figure
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * tp / (2 * tp + fp + fn)
            out[name] = {"precision": round(precision, 3), "recall": round(recall, 3),
                         "f1": round(f1, 3), "support": tp + fn}
        return out

    def summary(self) -> dict:
        per = self.per_label()
        f1s = [v["f1"] for v in per.values()]
        items = len(self.pairs)
        gold_mean = sum(len(g) for g, _ in self.pairs) / items if items else 0.0
        pred_mean = sum(len(p) for _, p in self.pairs) / items if items else 0.0
        return {
            "items": items,
            "macro_f1": round(sum(f1s) / len(f1s), 3) if f1s else 0.0,
            "lowest": min(per.items(), key=lambda kv: kv[1]["f1"])[0] if per else None,
            "exact_match": round(sum(g == p for g, p in self.pairs) / items, 3) if items else 0.0,
            "labels_per_item": {"predicted": round(pred_mean, 3), "gold": round(gold_mean, 3),
                                "ratio": round(pred_mean / gold_mean, 3) if gold_mean else None},
            "per_label": per,
        }

    def bootstrap_intervals(self) -> dict:
        """Bootstrap intervals (simulator.core.intervals) of macro-F1 and of each label's F1 that
        summary() reports: how far they could move on another set of this size. A label's interval
        counts the resamples that hold it (a label seen once is missing from about a third)."""
        if not self.pairs:
            return {"level": intervals.LEVEL, "macro_f1": None, "per_label": {}}
        gold, pred = self._matrices()

        def figures(idx: np.ndarray) -> np.ndarray:
            f1 = intervals.f1_columns(gold[idx], pred[idx], absent=np.nan)
            return np.append(f1, np.nanmean(f1) if not np.isnan(f1).all() else np.nan)

        bands = intervals.bootstrap(len(self.pairs), figures) or [None] * (len(self.names) + 1)
        present = (gold | pred).any(axis=0)
        return {"level": intervals.LEVEL, "macro_f1": bands[-1],
                "per_label": {n: bands[i] for i, n in enumerate(self.names) if present[i]}}


def score(items: list[LabelledMessage], predicted: list[tuple[set[str], set[str]]]) -> dict:
    """Move and risk-aspect figures of (moves, risk aspects) per item against the gold labels."""
    moves, aspects = Scores(MOVES), Scores(ASPECTS)
    for item, (got_moves, got_aspects) in zip(items, predicted, strict=True):
        moves.add(set(item.labels), got_moves)
        if "ask_risk" in item.labels:
            aspects.add(set(item.risk_aspects), got_aspects)
    return {"moves": {**moves.summary(), "intervals": moves.bootstrap_intervals()}, "risk_aspects": aspects.summary()}


def evaluate(items: list[LabelledMessage], recognise) -> dict:
    """Figures of `recognise(message, previous)` against the gold labels."""
    recognised = [recognise(item.text, item.previous) for item in items]
    return score(items, [(set(r.moves), set(r.risk_aspects)) for r in recognised])


def agreement(path: Path, second_coder: Path) -> dict:
    """A second coder's labels for the same messages (one line each, in order: labels, risk_aspects)
    scored against the set's own, as the recogniser is: the ceiling its figures are read against.
    Nothing runs and no message is shown, so a fresh set stays fresh."""
    items = load_labelled(path)
    second = load_labelled_codes(second_coder)
    if len(second) != len(items):
        raise ValueError(f"{second_coder.name} codes {len(second)} messages, {path.name} has {len(items)}")
    return {path.name: score(items, second)}


def load_labelled_codes(path: Path) -> list[tuple[set[str], set[str]]]:
    """A second coder's codes alone (no text), checked as the bank's are."""
    out = []
    for number, row in jsonl_rows(path):
        labels, aspects = checked_codes(row, f"{path.name} line {number}")
        out.append((set(labels), set(aspects)))
    return out


def run(files: list[Path] | None = None, banks: list[Path] = TRAINING_BANKS) -> dict:
    """Figures per file and for all files together. Raises OverlapError before scoring anything
    if an evaluation message is in a training bank."""
    from simulator.cbt.moves import recognise

    files = files or BLIND_SETS
    check_disjoint(files, banks)
    per_file = {p.name: load_labelled(p) for p in files}
    report = {name: evaluate(items, recognise) for name, items in per_file.items()}
    if len(files) > 1:
        report["combined"] = evaluate([i for items in per_file.values() for i in items], recognise)
    return report


TARGETS = {"macro_f1": 0.88, "lowest_f1": 0.75, "labels_ratio_within": 0.10}


def format_report(report: dict) -> str:
    lines: list[str] = []
    for name, result in report.items():
        m = result["moves"]
        lpi = m["labels_per_item"]
        ci = m.get("intervals") or {}
        pct = f"{ci.get('level', intervals.LEVEL):.0%}"
        lines.append(f"== {name}: {m['items']} messages  macro-F1 {m['macro_f1']:.3f}"
                     f"{intervals.described(ci.get('macro_f1'), ci.get('level', intervals.LEVEL))}  "
                     f"exact match {m['exact_match']:.3f}  labels per message {lpi['predicted']:.2f} "
                     f"(gold {lpi['gold']:.2f}, ratio {lpi['ratio']})")
        lines.append(f"   {'move':18} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}  {pct + ' interval':>13}")
        for move, v in m["per_label"].items():
            flag = "  <0.75" if v["f1"] < TARGETS["lowest_f1"] else ""
            band = ci.get("per_label", {}).get(move)
            lines.append(f"   {move:18} {v['precision']:6.3f} {v['recall']:6.3f} {v['f1']:6.3f} "
                         f"{v['support']:5d}  {intervals.span(band):>13}{flag}")
        a = result["risk_aspects"]
        if a["items"]:
            lines.append(f"   risk aspects on {a['items']} gold risk questions: macro-F1 "
                         f"{a['macro_f1']:.3f}, exact {a['exact_match']:.3f}")
            for aspect, v in a["per_label"].items():
                lines.append(f"     {aspect:16} {v['precision']:6.3f} {v['recall']:6.3f} "
                             f"{v['f1']:6.3f} {v['support']:5d}")
    return "\n".join(lines)
