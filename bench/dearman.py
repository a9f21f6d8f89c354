"""DEAR MAN offline rater: time to rate one message, warm (model and bank already loaded).

Measured twice: with torch's default thread count and with one thread, because on a small shared
machine short sentences encode faster on one thread (less contention between the two cores).
"""

from __future__ import annotations

import time

import torch

from bench.stats import percentile
from simulator.dearman.bank import default_messages
from simulator.dearman.rater_offline import default_rater
from simulator.dearman.schema import MessageContext


def _timings(rater, contexts) -> dict:
    wall, cpu = [], []
    for ctx in contexts:
        start, start_cpu = time.perf_counter(), time.process_time()
        rater.rate(ctx)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {"messages": len(wall), "p50_ms": percentile(wall, 50), "p95_ms": percentile(wall, 95),
            "max_ms": round(max(wall), 1), "cpu_p50_ms": percentile(cpu, 50)}


def run() -> dict:
    rater = default_rater()
    # Timing only: 90 messages of the training bank, spread over its files.
    messages = default_messages()[::max(1, len(default_messages()) // 90)][:90]
    contexts = [MessageContext.checked(m.situation, m.goal, m.message, m.partner_last) for m in messages]
    start = time.perf_counter()
    rater.rate(contexts[0])  # loads the embedding model and the stored classifiers
    cold_s = time.perf_counter() - start
    threads = torch.get_num_threads()
    results = {f"torch_threads_{threads}": _timings(rater, contexts)}
    torch.set_num_threads(1)
    try:
        results["torch_threads_1"] = _timings(rater, contexts)
    finally:
        torch.set_num_threads(threads)
    return {"dearman_offline_rating_ms": {**results, "first_call_s": round(cold_s, 1)}, "target_warm_ms": 100}
