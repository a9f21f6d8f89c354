"""The ten unhelpful thought patterns and the banks written for them, loaded from data/.

Definitions and cue phrases live in data/traps/patterns.json. The training bank is
data/traps/bank/*.jsonl ({"text", "labels"}, labels a list, [] = undistorted) together with the
first small bank, data/exemplars/patterns/<pattern>.json. Blind evaluation sets are in
data/eval/blind/ (never trained or tuned on); data/eval/patterns_*.jsonl were seen while tuning the
first detector.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from simulator.core.datafiles import jsonl_objects
from simulator.core.settings import DATA_DIR

NONE = "none"
PATTERNS_FILE = DATA_DIR / "traps" / "patterns.json"
EXEMPLAR_DIR = DATA_DIR / "exemplars" / "patterns"
BANK_DIR = DATA_DIR / "traps" / "bank"
EVAL_FILE = DATA_DIR / "eval" / "patterns_eval.jsonl"  # tuned on by the first detector
BLIND_FILES = (DATA_DIR / "eval" / "blind" / "patterns_a.jsonl", DATA_DIR / "eval" / "blind" / "patterns_b.jsonl")

# Pairs that are easy to mix up (DESIGN.md section 4); the evaluation reports confusion on them.
NEIGHBOUR_PAIRS: tuple[tuple[str, str], ...] = (
    ("discounting_the_positive", "mental_filtering"),
    ("fortune_telling", "catastrophizing"),
    ("personalization", "labeling"),
)


@dataclass(frozen=True)
class Pattern:
    id: str
    name: str
    definition: str
    question: str
    cues: tuple[tuple[re.Pattern[str], float], ...]

    def cue_score(self, text: str) -> float:
        low = normalise(text)
        return sum(weight for rx, weight in self.cues if rx.search(low))


def normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


@lru_cache(maxsize=1)
def patterns() -> dict[str, Pattern]:
    raw = json.loads(PATTERNS_FILE.read_text(encoding="utf-8"))
    out: dict[str, Pattern] = {}
    for p in raw["patterns"]:
        cues = tuple((re.compile(rx, re.IGNORECASE), float(w)) for rx, w in p["cues"])
        out[p["id"]] = Pattern(p["id"], p["name"], p["definition"], p["question"], cues)
    if len(out) != 10:
        raise ValueError(f"{PATTERNS_FILE} must define the ten patterns, found {len(out)}")
    return out


def pattern_ids() -> tuple[str, ...]:
    return tuple(patterns())


def name_of(pattern_id: str) -> str:
    return "No unhelpful pattern" if pattern_id == NONE else patterns()[pattern_id].name


@lru_cache(maxsize=1)
def exemplars() -> tuple[tuple[str, str], ...]:
    """(thought, label) for every exemplar, label being a pattern id or "none"."""
    known = set(pattern_ids()) | {NONE}
    rows: list[tuple[str, str]] = []
    for path in sorted(EXEMPLAR_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        label = data["pattern"]
        if label not in known:
            raise ValueError(f"{path.name}: unknown pattern {label!r}")
        rows.extend((t.strip(), label) for t in data["thoughts"])
    return tuple(rows)


def same_text_key(text: str) -> str:
    """The form two bank texts are compared in to decide they are the same thought: case, curly
    quotes, whitespace and punctuation do not count. The bank's training rows, its held-out split
    and fresh items' ids are keyed by it, so it stays as it is; whether an evaluation set shares a
    text with the bank is decided by the stricter simulator.core.text.text_key."""
    return re.sub(r"[^\w']+", " ", normalise(text)).strip()


def _checked_labels(labels: list[str], where: str) -> tuple[str, ...]:
    known = set(pattern_ids())
    unknown = [x for x in labels if x not in known]
    if unknown:
        raise ValueError(f"{where}: unknown pattern(s) {unknown}")
    return tuple(dict.fromkeys(labels))  # order kept (most salient first), repeats dropped


@lru_cache(maxsize=1)
def bank() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The training bank: (thought, pattern labels), labels () for an undistorted thought.

    Every file of data/traps/bank/ plus the first exemplar bank; a thought written twice is kept once.
    """
    rows: dict[str, tuple[str, tuple[str, ...]]] = {}
    for path in sorted(BANK_DIR.glob("*.jsonl")):
        for n, row in enumerate(jsonl_objects(path), 1):
            text = row["text"].strip()
            rows.setdefault(same_text_key(text), (text, _checked_labels(row["labels"], f"{path.name} row {n}")))
    for text, label in exemplars():
        rows.setdefault(same_text_key(text), (text, () if label == NONE else (label,)))
    return tuple(rows.values())


def load_eval(path: Path = EVAL_FILE) -> list[tuple[str, tuple[str, ...]]]:
    """(text, gold label set) of an evaluation file, most salient label first, () for "none".

    Reads both the first format ({"text", "label"}: one pattern id or "none") and the blind one
    ({"id", "voice", "text", "labels"}).
    """
    items = []
    for n, row in enumerate(jsonl_objects(path), 1):
        labels = row["labels"] if "labels" in row else ([] if row["label"] == NONE else [row["label"]])
        items.append((row["text"], _checked_labels(labels, f"{path.name} row {n}")))
    return items
