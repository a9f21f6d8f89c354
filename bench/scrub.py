"""Export scrubber: model load, time per text, and export time with free text (no speed target in
the issue; figures for the README). Accuracy is `python -m simulator eval-scrubber`, not here."""

from __future__ import annotations

import time
from pathlib import Path

from bench.stats import percentile
from simulator.research import scrub
from simulator.research.scrub_eval import BANKS, load


def _size_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6, 1)


def run() -> dict:
    start = time.perf_counter()
    scrub.Scrubber.check()
    load_s = time.perf_counter() - start
    texts = [i.text for i in load(BANKS[0])]
    s = scrub.Scrubber(accounts=["alice.w", "jo", "k.obi@clinic.example"])
    times = []
    for text in texts:
        t0 = time.perf_counter()
        s.find(text)  # find() bypasses the per-text cache
        times.append((time.perf_counter() - t0) * 1000)
    long_text = " ".join(texts[:40])
    t0 = time.perf_counter()
    s.find(long_text)
    long_ms = (time.perf_counter() - t0) * 1000
    return {
        "scrub_model_load_s": round(load_s, 2),
        "scrub_model_size_mb": _size_mb(scrub.model_dir()),
        "scrub_text_ms": {"texts": len(times), "mean_chars": round(sum(map(len, texts)) / len(texts)),
                          "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)},
        "scrub_long_text_ms": {"chars": len(long_text), "ms": round(long_ms, 1)},
    }
