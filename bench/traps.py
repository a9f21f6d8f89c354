"""Thinking traps: detecting the patterns in one statement, warm (target <= 50 ms offline)."""

from __future__ import annotations

import time

import torch

from bench.stats import percentile
from simulator.core import embeddings
from simulator.traps import detector
from simulator.traps.patterns import load_eval
from simulator.traps.reframe import check_reframe_offline


def _detect_times(texts: list[str]) -> list[float]:
    embeddings.encode_one.cache_clear()  # measure real encoding, not the per-text cache
    times = []
    for text in texts:
        t0 = time.perf_counter()
        detector.detect_offline(text)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def run() -> dict:
    start = time.perf_counter()
    detector.warm()
    warm_s = time.perf_counter() - start
    texts = [t for t, _ in load_eval()]
    times = _detect_times(texts)
    # Torch's default of one thread per core loses badly when the cores are busy with other work;
    # one thread is the better setting for single short sentences on a small machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        one_thread = _detect_times(texts)
    finally:
        torch.set_num_threads(threads)
    rtimes = []
    for text in texts[:20]:
        t0 = time.perf_counter()
        check_reframe_offline(text, "It was one hard moment, and it doesn't prove the worst about me.")
        rtimes.append((time.perf_counter() - t0) * 1000)
    return {"traps_detect_ms": {"statements": len(times), "p50_ms": percentile(times, 50),
                                "p95_ms": percentile(times, 95), "target_ms": 50},
            "traps_detect_one_thread_ms": {"p50_ms": percentile(one_thread, 50),
                                           "p95_ms": percentile(one_thread, 95), "default_threads": threads},
            "traps_check_reframe_ms": {"p50_ms": percentile(rtimes, 50), "p95_ms": percentile(rtimes, 95)},
            "traps_first_load_s": round(warm_s, 2)}
