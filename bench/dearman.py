"""DEAR MAN offline rater: time to rate one message, warm (model and bank already loaded)."""

from __future__ import annotations

import time

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
    return {"dearman_offline_rating_ms": {**_timings(rater, contexts), "first_call_s": round(cold_s, 1)},
            "target_warm_ms": 100}
