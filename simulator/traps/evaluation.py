"""Accuracy of the pattern detector and of the reframe checks on labelled sets they were not fitted on.

Default sets are the blind ones in data/eval/blind/, written by authors who saw only the pattern
definitions. Every evaluation first refuses to run if any of its texts is also in a training bank
(compared by simulator.core.text.text_key: case, accents, quotes, punctuation and spacing do not
count). Item-level results of blind files are never reported, so nobody tunes on them by accident;
the older sets in data/eval/ were seen while the first detector was tuned and are labelled "tuned-on".
"""

from __future__ import annotations

import logging
from pathlib import Path

from simulator.core.settings import DATA_DIR
from simulator.core.text import refuse_overlap
from simulator.traps.engine import detect
from simulator.traps.metrics import score
from simulator.traps.patterns import (
    BLIND_FILES,
    NEIGHBOUR_PAIRS,
    bank,
    load_eval,
)

log = logging.getLogger(__name__)

BLIND_DIR = DATA_DIR / "eval" / "blind"
BLIND_REFRAMES = BLIND_DIR / "reframes_m.jsonl"  # the default set since sets A-L joined the bank


class OverlapError(ValueError):
    """An evaluation text is also in a training bank: the figure would flatter."""


def is_blind(path: Path) -> bool:
    return path.resolve().parent == BLIND_DIR.resolve()


def _pattern_report(items: list[tuple[str, tuple[str, ...]]], settings) -> tuple[dict, list]:
    gold, ranked, decided, rows = [], [], [], []
    for text, labels in items:
        result = detect(text, settings)
        gold.append(list(labels))
        ranked.append(result.ranked_labels())
        decided.append(result.passing)
        rows.append({"text": text, "gold": list(labels), "ranked": result.ranked_labels()[:3],
                     "decided": result.passing})
    return score(gold, ranked, decided), rows


def evaluate_patterns(paths: list[Path] | None = None, settings=None, with_misses: bool = False) -> dict:
    """Scores per file and for all files together. `with_misses` lists the wrong items of non-blind
    files only."""
    paths = [Path(p) for p in (paths or BLIND_FILES)]
    loaded = {p: load_eval(p) for p in paths}
    refuse_overlap([(f"{p.name} row {n}", text) for p, items in loaded.items()
                    for n, (text, _) in enumerate(items, 1)],
                   [("the bank", text) for text, _ in bank()], "the thinking-trap training bank",
                   error=OverlapError)
    out: dict = {"files": {}, "engine": getattr(settings, "engine", None) or "offline"}
    everything: list = []
    for path, items in loaded.items():
        report, rows = _pattern_report(items, settings)
        report["kind"] = "blind" if is_blind(path) else "tuned-on"
        report["neighbour_confusion"] = {
            f"{a}/{b}": {f"{a}->{b}": report["confusion"].get(f"{a}->{b}", 0),
                         f"{b}->{a}": report["confusion"].get(f"{b}->{a}", 0)} for a, b in NEIGHBOUR_PAIRS}
        if with_misses and not is_blind(path):
            report["misses"] = [r for r in rows if r["ranked"][0] not in (set(r["gold"]) or {"none"})]
        out["files"][path.name] = report
        everything.extend(items)
    if len(paths) > 1:
        combined, _ = _pattern_report(everything, settings)
        kinds = {out["files"][p.name]["kind"] for p in paths}
        combined["kind"] = kinds.pop() if len(kinds) == 1 else "mixed"
        out["combined"] = combined
    return out


def evaluate_reframes(path: Path = BLIND_REFRAMES, settings=None) -> dict:
    """Per-check accuracy of the reframe feedback on a labelled set (and strategy accuracy)."""
    from simulator.traps.engine import check_reframe
    from simulator.traps.reframe import BANK_FILE, CRITERIA, load_reframes

    path = Path(path)
    rows = load_reframes(path)
    bank_rows = load_reframes(BANK_FILE)
    refuse_overlap([(f"{path.name} row {n}", r["reframe"]) for n, r in enumerate(rows, 1)],
                   [(f"{BANK_FILE.name} row {n}", r["reframe"]) for n, r in enumerate(bank_rows, 1)],
                   "the reframe training bank", error=OverlapError)
    hits = {c: 0 for c in (*CRITERIA, "strategy")}
    per_class: dict[str, dict[str, int]] = {c: {"true_ok": 0, "true_total": 0, "false_ok": 0, "false_total": 0}
                                            for c in CRITERIA}
    for r in rows:
        fb = check_reframe(r["thought"], r["reframe"], r["context"], settings=settings)
        for c in CRITERIA:
            got, want = getattr(fb, c).ok, bool(r["labels"][c])
            hits[c] += got == want
            side = "true" if want else "false"
            per_class[c][f"{side}_total"] += 1
            per_class[c][f"{side}_ok"] += got == want
        hits["strategy"] += fb.strategy == r["labels"]["strategy"]
    n = len(rows)
    return {
        "file": path.name, "kind": "blind" if is_blind(path) else "tuned-on", "items": n,
        "off_topic": _off_topic(rows, lambda t, r, c: check_reframe(t, r, c, settings=settings)),
        "engine": getattr(settings, "engine", None) or "offline",
        "accuracy": {c: round(k / n, 3) for c, k in hits.items()},
        "recall_of_met": {c: round(v["true_ok"] / v["true_total"], 3) if v["true_total"] else None
                          for c, v in per_class.items()},
        "recall_of_not_met": {c: round(v["false_ok"] / v["false_total"], 3) if v["false_total"] else None
                              for c, v in per_class.items()},
    }


def _off_topic(rows: list[dict], check) -> dict:
    """Each reframe that answers its thought, checked against the next different thought of the set
    (and its situation): it answers neither, so both checks should say not met. A reframe written
    for someone else must not pass as speaking to this person."""
    thoughts = list(dict.fromkeys((r["thought"], r["context"]) for r in rows))
    following = {t: thoughts[(i + 1) % len(thoughts)] for i, t in enumerate(thoughts)}
    crossed = [] if len(thoughts) < 2 else [(following[(r["thought"], r["context"])], r["reframe"])
                                            for r in rows if r["labels"]["addresses_thought"]]
    caught = {"addresses_thought": 0, "keeps_context": 0}
    for (thought, context), reframe in crossed:
        fb = check(thought, reframe, context)
        for c in caught:
            caught[c] += not getattr(fb, c).ok
    return {"pairs": len(crossed),
            "caught": {c: round(k / len(crossed), 3) if crossed else None for c, k in caught.items()}}
