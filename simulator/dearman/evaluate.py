"""Accuracy of a DEAR MAN rater over a labelled evaluation set.

The evaluation set is the blind batch data/eval/blind/dearman_q.jsonl: messages written by authors
who saw only the skill definitions, never used to write, tag or tune anything. (Batches A to P were
evaluation batches too; A to G and R to AN now train the sentence classifiers, tagged sentence by
sentence in the bank, and H to P the whole-message model, data/dearman/whole/. Later fresh batches
are named in the README.) Per strategy:
macro-F1 (mean of both classes' F1) for used vs not used (strong or weak vs none) and for strong
vs not strong; per state: accuracy. The headline figures average the five strategies.

The evaluation refuses to run when an evaluation message shares text with the training bank
(compared by simulator.core.text.text_key: case, accents, quotes, punctuation and spacing do not
count): a whole message equal to any training text, or one of its sentences of six words or more
equal to a training text.

    python -m simulator.dearman.evaluate            # the blind batch: figures only
    python -m simulator.dearman.evaluate --file F   # another labelled set in the same shape
    python -m simulator.dearman.evaluate --file F --second-coder G  # two coders' agreement on F

The blind batch's report never lists items or misses (reading them would be tuning on them).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from simulator.core.datafiles import jsonl_rows
from simulator.core.settings import DATA_DIR
from simulator.core.text import refuse_overlap
from simulator.dearman.features import sentences
from simulator.dearman.metrics import figures, headline_intervals
from simulator.dearman.schema import STATES, STRATEGIES, MessageContext, SkillRatings

BLIND_FILE = DATA_DIR / "eval" / "blind" / "dearman_q.jsonl"
MIN_SHARED_WORDS = 6


class EvaluationLeak(RuntimeError):
    """An evaluation item's text is also in the training bank: the figure would not be honest."""


def load_eval(path: str | Path = BLIND_FILE) -> list[dict]:
    return [{**row, "line": n} for n, row in jsonl_rows(path)]


def training_texts() -> list[str]:
    """Every text the offline rater learns from: bank messages, their sentences, the exemplars, and
    the whole messages the whole-message model learns from."""
    from simulator.dearman import whole_message
    from simulator.dearman.bank import default_messages
    from simulator.dearman.exemplars import default_bank
    from simulator.dearman.schema import SKILLS

    texts: list[str] = []
    for msg in default_messages():
        texts.append(msg.message)
        texts.extend(p.text for p in msg.parts)
    bank = default_bank()
    for skill in SKILLS:
        texts.extend(ex.text for ex in bank.examples[skill])
    for path in whole_message.labelled_files():
        texts.extend(row["message"] for row in whole_message.labelled_rows(path))
    return texts


def check_disjoint(rows: list[dict], train: Iterable[str] | None = None) -> None:
    """Raise EvaluationLeak naming the evaluation items (by id or line) that share text with training."""
    refuse_overlap(
        [(str(row.get("id") or f"line {row.get('line')}"),
          [row["message"], *(s for s in sentences(row["message"]) if len(s.split()) >= MIN_SHARED_WORDS)])
         for row in rows],
        [("the training bank", t) for t in (train if train is not None else training_texts())],
        "the training bank", error=EvaluationLeak)


def evaluate(rate: Callable[[MessageContext], SkillRatings], rows: list[dict] | None = None,
             train: Iterable[str] | None = None, with_errors: bool = False) -> dict:
    """Figures for `rate` over `rows` (the blind batch by default). Refuses overlapping sets.
    Per-item errors are listed only when asked for, and never for the blind batch."""
    blind = rows is None
    rows = load_eval() if rows is None else rows
    check_disjoint(rows, train)
    predicted = []
    for row in rows:
        ctx = MessageContext.checked(row["situation"], row["goal"], row["message"], row.get("partner_last"))
        predicted.append(rate(ctx).levels())
    truths = [row["labels"] for row in rows]
    report = {**figures(truths, predicted), "intervals": headline_intervals(truths, predicted)}
    if with_errors and not blind:
        report["errors"] = [
            {"line": row["line"], "skill": s, "expected": row["labels"][s], "got": p[s]}
            for row, p in zip(rows, predicted) for s in (*STRATEGIES, *STATES) if row["labels"][s] != p[s]
        ]
    return report


def agreement(rows: list[dict], second_coder: Path) -> dict:
    """How far a second coder's labels (id, labels per line) agree with the batch's own: the ceiling
    the rater's figures are read against. No rater runs and no item is shown."""
    second = {row["id"]: row["labels"] for _, row in jsonl_rows(second_coder)}
    missing = [str(row.get("id")) for row in rows if row.get("id") not in second]
    if missing:
        raise ValueError(f"{second_coder}: no labels for {len(missing)} message(s), e.g. {', '.join(missing[:3])}")
    truths, coded = [row["labels"] for row in rows], [second[row["id"]] for row in rows]
    return {**figures(truths, coded), "intervals": headline_intervals(truths, coded)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.dearman.evaluate",
                                     description="Figures of the offline DEAR MAN rater on a labelled set.")
    parser.add_argument("--file", type=Path, help="a labelled set other than the blind batch")
    parser.add_argument("--errors", action="store_true", help="list the misses (refused for the blind batch)")
    parser.add_argument("--second-coder", type=Path, metavar="FILE",
                        help="another coder's labels for the same messages: print the two coders' agreement")
    args = parser.parse_args(argv)
    if args.second_coder:
        try:
            report = agreement(load_eval(args.file or BLIND_FILE), args.second_coder)
        except (OSError, ValueError) as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 2
        print(json.dumps({"set": str(args.file or BLIND_FILE), "second_coder": str(args.second_coder), **report},
                         indent=1))
        return 0
    from simulator.dearman.rater_offline import default_rater

    # Every batch in data/eval/blind/ is blind, not only the first one.
    is_blind = args.file is None or args.file.resolve().parent == BLIND_FILE.parent.resolve()
    if args.errors and is_blind:
        parser.error("a blind batch's misses are not shown: reading them would be tuning on them")
    rows = None if args.file is None else load_eval(args.file)
    try:
        report = evaluate(default_rater().rate, rows, with_errors=args.errors)
    except EvaluationLeak as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    name = str(BLIND_FILE.relative_to(DATA_DIR.parent)) if args.file is None else str(args.file)
    print(json.dumps({"set": name, "blind": is_blind, **report}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
