"""Fresh practice material for the drill: new thoughts for a persona and a pattern the trainee picks.

With an LLM configured, the model writes candidate thoughts (prompts/traps_generate.md); a
candidate is kept only when the offline detector's decision includes the intended pattern and it
is not a near-duplicate of a thought already used or already kept. Offline, or when the model
fails (the reason is logged), thoughts come from the training bank instead. Every item records
whether it was generated, and its id says so ("gen-..." or "bank-...").
"""

from __future__ import annotations

import hashlib
import logging
import random

import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from simulator.core import embeddings
from simulator.llm import fallback
from simulator.llm.client import structured
from simulator.llm.templates import render
from simulator.traps.detector import detect_offline
from simulator.traps.drill import DrillItem
from simulator.traps.patterns import bank, patterns, same_text_key

log = logging.getLogger(__name__)

NEAR_DUPLICATE = 0.90  # cosine similarity at which two thoughts count as the same thought
OVERSAMPLE = 2  # candidates asked for per thought wanted, since some are rejected


class _Candidates(BaseModel):
    thoughts: list[str]


class FreshBatch(BaseModel):
    items: list[DrillItem]
    asked: int = 0  # candidates the model returned
    rejected_pattern: int = 0  # the detector's decision did not include the intended pattern
    rejected_duplicate: int = 0
    note: str = ""  # why the bank was used instead of the model, when it was

    @property
    def acceptance(self) -> float | None:
        """Share of the model's candidates that passed both checks."""
        passed = self.asked - self.rejected_pattern - self.rejected_duplicate
        return round(passed / self.asked, 3) if self.asked else None


def _id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha256(same_text_key(text).encode('utf-8')).hexdigest()[:10]}"


def _item(text: str, pattern: str, persona: str, generated: bool) -> DrillItem:
    """A drill item for the thought; the explanation is the pattern's definition (no authored "why")."""
    passing = detect_offline(text).passing
    return DrillItem(id=_id("gen" if generated else "bank", text), context=persona, thought=text,
                     patterns=list(dict.fromkeys([pattern, *passing])), why="", reframes=[],
                     generated=generated)


def is_near_duplicate(text: str, others: list[str]) -> bool:
    if not others:
        return False
    key = same_text_key(text)
    if any(same_text_key(o) == key for o in others):
        return True
    sims = np.stack([embeddings.encode_one(o.strip()) for o in others]) @ embeddings.encode_one(text.strip())
    return bool(sims.max() >= NEAR_DUPLICATE)


def from_bank(pattern: str, persona: str, used: list[str], count: int, seed: int = 0) -> list[DrillItem]:
    """Bank thoughts whose labels include the pattern, not yet used, in a seeded order."""
    pool = [t for t, labels in bank() if pattern in labels]
    random.Random(seed).shuffle(pool)
    used_keys = {same_text_key(u) for u in used}
    return [_item(t, pattern, persona, generated=False) for t in pool if same_text_key(t) not in used_keys][:count]


def generate(pattern: str, persona: str, used: list[str], count: int = 3, settings=None, seed: int = 0) -> FreshBatch:
    """Up to `count` new drill items showing `pattern` for `persona`."""
    if pattern not in patterns():
        raise ValueError(f"unknown pattern {pattern!r}")
    if settings is None or settings.engine != "llm":
        return FreshBatch(items=from_bank(pattern, persona, used, count, seed), note="offline: drawn from the bank")
    p = patterns()[pattern]
    try:
        answer = structured(settings.llm, _Candidates, [
            SystemMessage(render("traps_generate", count=count * OVERSAMPLE, pattern_name=p.name,
                                 pattern_definition=p.definition, persona=persona)),
            HumanMessage(f"Write the thoughts now for this person: {persona}"),
        ])
    except Exception as exc:  # noqa: BLE001 - the bank always works; record() logs why, with its kind
        why = fallback.record("generating drill thoughts", exc)
        return FreshBatch(items=from_bank(pattern, persona, used, count, seed),
                          note=f"model unavailable, drawn from the bank ({why})")
    batch = FreshBatch(items=[], asked=len(answer.thoughts))
    seen = list(used)
    for text in (t.strip() for t in answer.thoughts):
        if not text:
            batch.rejected_pattern += 1
            continue
        if pattern not in detect_offline(text).passing:
            batch.rejected_pattern += 1
            continue
        if is_near_duplicate(text, seen):
            batch.rejected_duplicate += 1
            continue
        seen.append(text)
        if len(batch.items) < count:
            batch.items.append(_item(text, pattern, persona, generated=True))
    log.info("generated %d of %d candidate thoughts for %s (%d off-pattern, %d near-duplicates)",
             len(batch.items), batch.asked, pattern, batch.rejected_pattern, batch.rejected_duplicate)
    return batch
