"""How well the scrubber masks PII in a labelled set: recall per type and how much non-PII it removes.

A set is JSONL of {"id", "kind", "text", "spans": [{"type": name|email|phone|address, "text"}]}.
The scrubber's one tuned setting (the model's entity threshold) was chosen on the development
bank data/pii/dev.jsonl; any other set is refused when one of its texts is also in that bank
(compared by simulator.core.text.text_key: case, accents, quotes, punctuation and spacing do not
count), so a figure on it is never a figure on tuned-on data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from simulator.core.settings import DATA_DIR
from simulator.core.text import refuse_overlap
from simulator.research.scrub import Finding, Scrubber, covered

BANKS = (DATA_DIR / "pii" / "dev.jsonl",)  # every file the scrubber was tuned on
BLIND = DATA_DIR / "eval" / "blind" / "pii.jsonl"
TYPES = ("name", "email", "phone", "address")
# A title before a name is not the name: "Dr. Achebe" is masked when "Achebe" is.
_TITLE = re.compile(r"^(?:dr|mr|mrs|ms|mx|miss|prof|professor|sir|dame|auntie|aunt|uncle)\.?\s+", re.IGNORECASE)


class EvaluationRefused(ValueError):
    pass


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    text: str
    spans: tuple[tuple[str, str], ...]


def load(path: Path) -> list[Item]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        spans = tuple((s["type"], s["text"]) for s in raw.get("spans", []))
        for kind, text in spans:
            if kind not in TYPES:
                raise ValueError(f"{path}:{n}: unknown span type {kind!r}")
            if text not in raw["text"]:
                raise ValueError(f"{path}:{n}: span {kind} is not in the item's text")
        items.append(Item(str(raw.get("id", n)), str(raw.get("kind", "")), raw["text"], spans))
    return items


def check_disjoint(path: Path, items: Iterable[Item], banks: Iterable[Path] = BANKS) -> None:
    """Refuse a set that shares a text with a bank the scrubber was tuned on."""
    path = Path(path)
    banks = [Path(b) for b in banks if Path(b).resolve() != path.resolve()]
    refuse_overlap([(f"{path.name} item {i.id}", i.text) for i in items],
                   [(f"{bank.name} item {i.id}", i.text) for bank in banks for i in load(bank)],
                   "the training bank the scrubber was tuned on", error=EvaluationRefused)


def _occurrences(text: str, span: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(span), text)]


def _needed(text: str, start: int, end: int) -> list[int]:
    """The characters of a span that must be masked: its letters and digits, after any title."""
    title = _TITLE.match(text[start:end])
    if title and title.end() < end - start:
        start += title.end()
    return [i for i in range(start, end) if text[i].isalnum()]


def score(items: list[Item], findings: list[list[Finding]]) -> dict:
    """Strict recall (every letter and digit of the span masked), partial recall (at least half),
    and how much text outside the labelled spans was masked."""
    hit = {t: 0 for t in TYPES}
    half = {t: 0 for t in TYPES}
    total = {t: 0 for t in TYPES}
    masked_pii = masked_other = other = 0
    items_with_extra = clean_items = clean_items_touched = 0
    per_kind: dict[str, dict] = {}
    for item, found in zip(items, findings):
        kinds = covered(item.text, found)
        gold = [False] * len(item.text)
        k = per_kind.setdefault(item.kind, {"spans": 0, "strict": 0})
        for kind, span in item.spans:
            for start, end in _occurrences(item.text, span):
                for i in range(start, end):
                    gold[i] = True
                need = _needed(item.text, start, end)
                got = sum(1 for i in need if kinds[i] is not None)
                total[kind] += 1
                k["spans"] += 1
                if need and got == len(need):
                    hit[kind] += 1
                    k["strict"] += 1
                if need and got * 2 >= len(need):
                    half[kind] += 1
        extra = 0
        for i, ch in enumerate(item.text):
            if not ch.isalnum():
                continue
            if gold[i]:
                masked_pii += kinds[i] is not None
            else:
                other += 1
                if kinds[i] is not None:
                    extra += 1
        masked_other += extra
        items_with_extra += extra > 0
        if not item.spans:
            clean_items += 1
            clean_items_touched += extra > 0
    masked = masked_pii + masked_other
    return {
        "items": len(items),
        "recall": {t: round(hit[t] / total[t], 3) if total[t] else None for t in TYPES},
        "partial_recall": {t: round(half[t] / total[t], 3) if total[t] else None for t in TYPES},
        "spans": total,
        "precision_chars": round(masked_pii / masked, 3) if masked else None,
        "non_pii_removed": round(masked_other / other, 4) if other else None,
        "items_with_non_pii_removed": items_with_extra,
        "items_without_pii": clean_items,
        "items_without_pii_touched": clean_items_touched,
        "strict_recall_by_item_kind": {k: round(v["strict"] / v["spans"], 3) if v["spans"] else None
                                       for k, v in sorted(per_kind.items())},
    }


def evaluate(path: Path = BLIND, scrubber: Scrubber | None = None) -> dict:
    path = Path(path)
    items = load(path)
    check_disjoint(path, items)
    scrubber = scrubber or Scrubber()
    report = score(items, [scrubber.find(i.text) for i in items])
    tuned = any(Path(b).resolve() == path.resolve() for b in BANKS)
    return {"file": str(path), "tuned_on": tuned, **report}


def misses(path: Path, scrubber: Scrubber | None = None) -> list[dict]:
    """The spans left unmasked and the non-PII masked, item by item: for the development bank only.
    Looking at a blind set's misses would tune the scrubber to it."""
    path = Path(path)
    if path.resolve().is_relative_to((DATA_DIR / "eval" / "blind").resolve()) or \
            not any(Path(b).resolve() == path.resolve() for b in BANKS):
        raise EvaluationRefused("misses are shown for a training bank only, never for an evaluation set.")
    scrubber = scrubber or Scrubber()
    out = []
    for item in load(path):
        s = scrubber.scrub(item.text)
        kinds = covered(item.text, s.findings)
        missed = [(kind, span) for kind, span in item.spans for a, b in _occurrences(item.text, span)
                  if any(kinds[i] is None for i in _needed(item.text, a, b))]
        gold = set()
        for _k, span in item.spans:
            for a, b in _occurrences(item.text, span):
                gold.update(range(a, b))
        extra = [item.text[f.start:f.end] for f in s.findings
                 if not any(i in gold for i in range(f.start, f.end))]
        if missed or extra:
            out.append({"id": item.id, "missed": missed, "extra": extra, "scrubbed": s.text})
    return out
