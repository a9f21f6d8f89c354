"""The ten unhelpful thought patterns and the banks written for them, loaded from data/.

Definitions and cue phrases live in data/traps/patterns.json; exemplar thoughts in
data/exemplars/patterns/<pattern>.json; the held-out evaluation set in data/eval/.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from simulator.core.settings import DATA_DIR

NONE = "none"
PATTERNS_FILE = DATA_DIR / "traps" / "patterns.json"
EXEMPLAR_DIR = DATA_DIR / "exemplars" / "patterns"
EVAL_FILE = DATA_DIR / "eval" / "patterns_eval.jsonl"

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


def load_eval(path: Path = EVAL_FILE) -> list[tuple[str, str]]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            items.append((row["text"], row["label"]))
    return items
