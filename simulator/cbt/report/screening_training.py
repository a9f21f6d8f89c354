"""Training the learned screening decision (report/screening.py) on the graded transcripts, and the
leave-one-set-out figures its settings were chosen by.

    python -m simulator.cbt.report.screening_training train    # writes screening.MODEL_FILE (and its
                                                               # leave-one-set-out figure)
    python -m simulator.cbt.report.screening_training choose   # tuned-on figures behind C and BAR
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.cbt.interview import turn_number
from simulator.cbt.report import screening
from simulator.cbt.report.coverage import _first_risk_words, coverage
from simulator.cbt.report.evaluate import load
from simulator.cbt.report.record import from_plain


@dataclass
class Example:
    set: str
    id: str
    gold_asked: bool
    gold_first: int | None
    rule_turns: list[int]
    turns: list[int]  # candidate turn numbers
    x: np.ndarray


def examples(folders: list[Path]) -> list[Example]:
    """Every graded transcript with its candidate turns, read by the rule alone."""
    out = []
    for folder in folders:
        for graded in load(folder):
            record = from_plain(graded.turns, graded.first_session)
            rule = coverage(record, learned=False).risk_turns
            indices = screening.candidates(record)
            asked = bool(graded.risk.get("asked"))
            out.append(Example(folder.name, graded.id, asked, graded.risk.get("first_asked_turn") if asked else None,
                               rule, [turn_number(i) for i in indices],
                               screening.features(record, indices, set(rule), _first_risk_words(record))))
    return out


def _fit(examples_: list[Example], c: float):
    """A regression on the candidates up to each transcript's first marked risk question."""
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for e in examples_:
        for n, row in zip(e.turns, e.x):
            if e.gold_first is None or n <= e.gold_first:
                xs.append(row)
                ys.append(n == e.gold_first)
    return LogisticRegression(C=c, max_iter=3000).fit(np.array(xs), np.array(ys))


def _agreement(examples_: list[Example], decided: list[list[int]]) -> tuple[int, int]:
    """Transcripts right on risk asked, and on the first risk turn."""
    asked = sum(bool(d) == e.gold_asked for e, d in zip(examples_, decided))
    first = sum((min(d) if d else None) == e.gold_first for e, d in zip(examples_, decided))
    return asked, first


def train(found: list[Example], report=print) -> screening.ScreeningModel:
    report(f"{len(found)} transcripts, {sum(len(e.turns) for e in found)} trainee turns read as risk questions")
    lr = _fit(found, screening.C)
    return screening.ScreeningModel(lr.coef_[0], float(lr.intercept_[0]), screening.fingerprint())


GRID = ((0.1, 0.3), (0.1, 0.5), (1.0, 0.3), (1.0, 0.5))  # (C, BAR) tried when they were chosen


def choose(found: list[Example], settings=GRID, report=print) -> dict:
    """Transcripts right on risk asked and on the first risk turn over the training sets, each set
    decided by a model trained on the others (tuned on: for choosing only), beside the rule's."""
    figures = {"rule": _agreement(found, [e.rule_turns for e in found])}
    report(f"  {len(found)} transcripts; the rule alone: risk asked {figures['rule'][0]}, first turn {figures['rule'][1]}")
    sets = sorted({e.set for e in found})
    for c in sorted({c for c, _ in settings}):
        proba = {}
        for held in sets:
            model = _fit([e for e in found if e.set != held], c)
            for e in found:
                if e.set == held and e.turns:
                    proba[id(e)] = model.predict_proba(e.x)[:, 1]
        for bar in sorted(b for k, b in settings if k == c):
            decided = [[n for n, p in zip(e.turns, proba.get(id(e), [])) if p >= bar] for e in found]
            figures[(c, bar)] = _agreement(found, decided)
            report(f"  C={c:<4} bar {bar}: leave-one-set-out risk asked {figures[(c, bar)][0]}, "
                   f"first turn {figures[(c, bar)][1]}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.cbt.report.screening_training",
                                     description="Train the interview report's learned screening decision.")
    parser.add_argument("command", choices=["train", "choose"],
                        help="train: fit and store it; choose: the leave-one-set-out figures behind C and BAR")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    found = examples(screening.training_folders())
    if args.command == "choose":
        choose(found)
        return 0
    choose(found, [(screening.C, screening.BAR)])
    model = train(found)
    model.save()
    print(f"wrote {screening.MODEL_FILE} ({json.dumps({'fingerprint': model.fingerprint})})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
