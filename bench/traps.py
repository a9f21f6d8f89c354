"""Thinking traps: detecting the patterns in one statement, warm (target p95 <= 30 ms offline), the
first load of the detector in a fresh process with the files in the OS cache (target <= 3 s), and
one offline reframe check."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.stats import percentile
from simulator.core import embeddings
from simulator.core.settings import ROOT
from simulator.traps import detector
from simulator.traps.patterns import bank
from simulator.traps.reframe import check_reframe_offline

DETECT_TARGET_MS = 30
FIRST_LOAD_TARGET_S = 3.0
_FIRST_LOAD = ("import time; t = time.perf_counter(); from simulator.traps import detector; detector.warm(); "
               "print(time.perf_counter() - t)")


def _detect_times(texts: list[str]) -> list[float]:
    embeddings.encode_one.cache_clear()  # measure real encoding, not the per-text cache
    times = []
    for text in texts:
        t0 = time.perf_counter()
        detector.detect_offline(text)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def first_load_seconds() -> float:
    """Seconds to import the detector and load its model and the embedding model in a new process;
    the first run fills the OS file cache, the second is the figure."""
    runs = [float(subprocess.run([sys.executable, "-c", _FIRST_LOAD], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.strip().splitlines()[-1]) for _ in range(2)]
    return round(runs[-1], 2)


def run() -> dict:
    load_s = first_load_seconds()
    detector.warm()
    texts = [t for t, _ in bank()][::15][:200]  # training thoughts: timing only, never accuracy
    times = _detect_times(texts)
    rtimes = []
    for text in texts[:20]:
        t0 = time.perf_counter()
        check_reframe_offline(text, "It was one hard moment, and it doesn't prove the worst about me.")
        rtimes.append((time.perf_counter() - t0) * 1000)
    return {"traps_detect_ms": {"statements": len(times), "p50_ms": percentile(times, 50),
                                "p95_ms": percentile(times, 95), "target_p95_ms": DETECT_TARGET_MS},
            "traps_check_reframe_ms": {"p50_ms": percentile(rtimes, 50), "p95_ms": percentile(rtimes, 95)},
            "traps_first_load_s": {"seconds": load_s, "target_s": FIRST_LOAD_TARGET_S}}
