"""Move recognition: time per message once warm, over the benchmark script and the bank's texts.

Recognition runs inside every reply (bench/offline_engine.py measures the whole reply); this
isolates its share. Cold start (loading the embedding model, training on the cached bank) is
reported once: it happens in a background thread when a session starts (moves.warm()).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.stats import percentile
from simulator.cbt import move_model, moves

SCRIPT = Path(__file__).with_name("script_40.txt")


def run() -> dict:
    start = time.perf_counter()
    moves.warm().join()
    cold = time.perf_counter() - start
    lines = [ln for ln in SCRIPT.read_text(encoding="utf-8").splitlines() if ln.strip()]
    bank = move_model.load_bank()[::7]  # a spread of lengths and kinds
    pairs = [(ln, "I don't know, it was just a lot.") for ln in lines] + [(i.text, i.previous) for i in bank]
    times: list[float] = []
    for text, previous in pairs:
        # A fresh string each time: the per-text embedding cache must not flatter the figure.
        t0 = time.perf_counter()
        moves.recognise(text + " ", previous)
        times.append((time.perf_counter() - t0) * 1000)
    return {"messages": len(times), "cold_start_s": round(cold, 2),
            "recognise_ms": {"p50": percentile(times, 50), "p95": percentile(times, 95)},
            "note": "p95 of the whole warm offline reply, recognition included, is in offline_engine"}
