"""Fresh drill material: how many LLM-written thoughts pass the detector and the near-duplicate check.

Not in the default run: `python -m bench traps_fresh` with an LLM configured (PRACTICUM_ENGINE=llm
and the endpoint settings). Without one it reports that nothing was measured.
"""

from __future__ import annotations

import time

from simulator.core.settings import load_settings
from simulator.traps.fresh import generate
from simulator.traps.patterns import pattern_ids

PERSONAS = ("a student late with coursework", "a parent of two young children", "a retired tradesman",
            "a nurse working night shifts")


def run() -> dict:
    settings = load_settings()
    if settings.engine != "llm":
        return {"traps_fresh": "skipped: no LLM configured (set PRACTICUM_ENGINE=llm and the endpoint)"}
    per_pattern = {}
    asked = passed = 0
    start = time.perf_counter()
    for n, pattern in enumerate(pattern_ids()):
        batch = generate(pattern, PERSONAS[n % len(PERSONAS)], [], count=3, settings=settings)
        ok = batch.asked - batch.rejected_pattern - batch.rejected_duplicate
        asked += batch.asked
        passed += ok
        per_pattern[pattern] = {"asked": batch.asked, "accepted": ok, "off_pattern": batch.rejected_pattern,
                                "near_duplicate": batch.rejected_duplicate, "note": batch.note}
    return {"traps_fresh": {"model": settings.llm.model, "acceptance": round(passed / asked, 3) if asked else None,
                            "candidates": asked, "seconds": round(time.perf_counter() - start, 1),
                            "per_pattern": per_pattern}}
