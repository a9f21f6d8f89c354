"""Storage under load: 50 threads x 40 turns each at once on one SQLite file."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from bench.stats import percentile
from simulator.cbt.interview import DisclosureState
from simulator.cbt.library import CaseLibrary
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR
from simulator.migrations import migrate

THREADS, TURNS = 50, 40


def run() -> dict:
    case = next(iter(CaseLibrary.load(DATA_DIR / "patients").cases.values()))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        migrate(store)
        sessions = [SessionStore(store).create_session(case, 0, case.styles[0], "offline").id for _ in range(THREADS)]
        times: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(THREADS)

        def worker(session_id: str) -> None:
            barrier.wait()
            for n in range(TURNS):
                role = "therapist" if n % 2 == 0 else "patient"
                state = DisclosureState(turn=n // 2 + 1) if role == "patient" else None
                start = time.perf_counter()
                try:
                    SessionStore(store).add_turn(session_id, role, f"message {n}", state=state)
                except Exception as err:  # noqa: BLE001 - counted and reported
                    with lock:
                        errors.append(repr(err))
                    continue
                with lock:
                    times.append((time.perf_counter() - start) * 1000)

        threads = [threading.Thread(target=worker, args=(sid,)) for sid in sessions]
        wall = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall
        stored = sum(SessionStore(store).turn_counts(sessions).values())
    return {
        "storage": {
            "threads": THREADS, "turns_each": TURNS, "expected": THREADS * TURNS, "stored": stored,
            "lost_turns": THREADS * TURNS - stored, "errors": len(errors),
            "write_p50_ms": percentile(times, 50), "write_p95_ms": percentile(times, 95),
            "wall_s": round(wall, 2),
        }
    }
