"""Cognitive restructuring, stored turn by turn: one tab's turn time, and many tabs at once
(16 threads, two on each of 8 dialogues) with no turn lost (target: 0 lost, single-tab p95 <= 50 ms)."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path

from bench.stats import percentile
from simulator.accounts.actor import Actor
from simulator.cbt.library import CaseLibrary
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, Settings
from simulator.migrations import migrate
from simulator.traps.restructuring.dialogue import distorted_thoughts
from simulator.traps.restructuring.practice import RestructuringPractice

MESSAGES = ["What went through your mind when that happened?", "If that were true, what would it mean?",
            "And what does that say about you as a person?", "What is the evidence that the thought is true?",
            "Is that a fact, or your interpretation?", "What evidence is there against the thought?",
            "Anything else?", "That sounds really hard.", "Weighing it all up, what would be a more balanced way?",
            "How much do you believe it now, from 0 to 100?"]
DIALOGUES, TABS = 8, 2


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.races = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "stored first" in record.getMessage():
            self.races += 1


def run() -> dict:
    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    thought = distorted_thoughts(case)[0]  # loads the embedding model once, before any timing
    actor = Actor(id="u-bench", username="bench", role="trainee")
    counter = _Count()
    logger = logging.getLogger("simulator.traps.restructuring.store")
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "bench.db")
            migrate(store)
            practice = RestructuringPractice(store, Settings(), actor)
            sid = practice.start(case, thought, seed=1)
            single = []
            for m in MESSAGES * 4:
                t0 = time.perf_counter()
                practice.say(sid, m)
                single.append((time.perf_counter() - t0) * 1000)

            sids = [practice.start(case, thought, seed=n) for n in range(DIALOGUES)]
            times: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            barrier = threading.Barrier(DIALOGUES * TABS)

            def tab(session_id: str, n: int) -> None:
                barrier.wait()
                for m in MESSAGES:
                    t0 = time.perf_counter()
                    try:
                        RestructuringPractice(store, Settings(), actor).say(session_id, f"{m} ({n})")
                    except Exception as err:  # noqa: BLE001 - counted and reported
                        with lock:
                            errors.append(repr(err))
                        continue
                    with lock:
                        times.append((time.perf_counter() - t0) * 1000)

            threads = [threading.Thread(target=tab, args=(s, n)) for s in sids for n in range(TABS)]
            wall = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - wall
            stored = sum(len(practice.open(s).state.turns) - 1 for s in sids) // 2
    finally:
        logger.removeHandler(counter)
    expected = DIALOGUES * TABS * len(MESSAGES)
    return {
        "restructuring_turn_ms": {"turns": len(single), "p50_ms": percentile(single, 50),
                                  "p95_ms": percentile(single, 95), "target_p95_ms": 50},
        "restructuring_tabs": {"threads": DIALOGUES * TABS, "dialogues": DIALOGUES, "expected": expected,
                               "stored": stored, "lost_turns": expected - stored, "errors": len(errors),
                               "answers_worked_out_again": counter.races, "p50_ms": percentile(times, 50),
                               "p95_ms": percentile(times, 95), "wall_s": round(wall, 2)},
    }
