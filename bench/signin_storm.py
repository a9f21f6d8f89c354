"""Sign-in storm: 20 sign-in attempts a second for 10 seconds while 10 sessions write turns.

Reported: the p50/p95 time to write a turn with and without the storm (target: p95 within 2x of
the quiet figure, measured for 10 s before and 10 s after the storm), and the legitimate user's
sign-in time during the storm, from the browser she usually signs in with and from a browser that
never signed in to her account.

The storm is the attacks of issue 12 at once: half the attempts guess the legitimate user's
password, a quarter spray the other accounts, a quarter try unknown usernames. Every attempt runs
on its own thread, as Streamlit runs every script run, and goes through simulator.accounts.signin
as the sign-in page does.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

from bench.stats import percentile
from simulator.accounts import passwords, signin, users
from simulator.accounts.errors import AccountError
from simulator.cbt.library import CaseLibrary
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR
from simulator.migrations import migrate

RATE, SECONDS, WRITERS = 20, 10.0, 10
TURN_EVERY = 0.05  # each session writes a turn every 50 ms: far busier than people typing
PW = "velvet otter stares at rain"
OTHERS = 20


def _writers(store: Store, sessions: list[str], seconds: float) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def write(session_id: str) -> None:
        n = 0
        while time.perf_counter() < stop:
            began = time.perf_counter()
            SessionStore(store).add_turn(session_id, "therapist" if n % 2 == 0 else "patient", f"turn {n}")
            with lock:
                times.append((time.perf_counter() - began) * 1000)
            n += 1
            time.sleep(max(0.0, TURN_EVERY - (time.perf_counter() - began)))

    threads = [threading.Thread(target=write, args=(sid,)) for sid in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def _attempt(store: Store, username: str, password: str, device: str | None = None) -> tuple[bool, float]:
    began = time.perf_counter()
    try:
        signin.login(store, username, password, device=device)
        ok = True
    except AccountError:
        ok = False
    return ok, (time.perf_counter() - began) * 1000


def run() -> dict:
    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "storm.db")
        migrate(store)
        admin = users.create_user(store, None, "lee", PW, "admin")
        for n in range(OTHERS):
            users.create_user(store, admin, f"trainee{n:02d}", PW, "trainee")
        # Lee signed in from her usual browser before: it holds a device token for her account.
        _, token = signin.login(store, "lee", PW)
        _, device = signin.redeem(store, signin.handoff(store, token))
        new = lambda: [SessionStore(store).create_session(case, 0, "plain", "offline").id  # noqa: E731
                       for _ in range(WRITERS)]
        signin.login(store, "lee", PW)  # warm the pool and its timing

        # Quiet before and after the storm, pooled: the machine's own drift shows in both.
        quiet = _writers(store, new(), SECONDS)

        results: list[tuple[str, bool, float]] = []
        lock = threading.Lock()
        done_before = passwords.pool.done
        passwords.pool.max_waiting = 0
        legit: dict = {}

        def storm() -> None:
            threads = []
            began = time.perf_counter()
            for i in range(int(RATE * SECONDS)):
                time.sleep(max(0.0, began + i / RATE - time.perf_counter()))
                roll = rng.random()
                if roll < 0.5:
                    kind, name = "guess at lee", "lee"
                elif roll < 0.75:
                    kind, name = "spray other accounts", f"trainee{rng.randrange(OTHERS):02d}"
                else:
                    kind, name = "unknown usernames", f"nobody{rng.randrange(10**9)}"

                def one(kind=kind, name=name, guess=f"guess-{i}-{rng.random()}"):
                    ok, ms = _attempt(store, name, guess)
                    with lock:
                        results.append((kind, ok, ms))
                threads.append(threading.Thread(target=one))
                threads[-1].start()
                if i == int(RATE * 3):
                    threading.Thread(target=lambda: legit.update(
                        usual=_attempt(store, "lee", PW, device))).start()
                if i == int(RATE * 6):
                    threading.Thread(target=lambda: legit.update(new=_attempt(store, "lee", PW))).start()
            for t in threads:
                t.join()

        attacker = threading.Thread(target=storm)
        attacker.start()
        stormy = _writers(store, new(), SECONDS)
        attacker.join()
        deadline = time.perf_counter() + 30
        while len(legit) < 2 and time.perf_counter() < deadline:
            time.sleep(0.05)
        hashed = passwords.pool.done - done_before
        quiet += _writers(store, new(), SECONDS)

    by_kind: dict[str, list[float]] = {}
    for kind, ok, ms in results:
        by_kind.setdefault(kind, []).append(ms)
    quiet_p95, storm_p95 = percentile(quiet, 95), percentile(stormy, 95)
    return {
        "signin_storm": {
            "attempts": len(results), "rate_per_s": RATE, "seconds": SECONDS, "writers": WRITERS,
            "attacker_successes": sum(ok for _, ok, _ in results),
            "hashed": hashed, "hash_workers": passwords.pool.workers,
            "hash_ms_typical": round(passwords.pool.typical_seconds * 1000, 1),
            "max_hash_queue": passwords.pool.max_waiting,
            "attempt_ms_p50_p95": {k: [percentile(v, 50), percentile(v, 95)] for k, v in by_kind.items()},
            "turn_write_quiet_ms": {"p50": percentile(quiet, 50), "p95": quiet_p95, "n": len(quiet)},
            "turn_write_storm_ms": {"p50": percentile(stormy, 50), "p95": storm_p95, "n": len(stormy)},
            "p95_ratio_storm_to_quiet": round(storm_p95 / quiet_p95, 2) if quiet_p95 else None,
            "legit_usual_browser": {"signed_in": legit.get("usual", (None, None))[0],
                                    "ms": round(legit.get("usual", (None, float("nan")))[1], 1)},
            "legit_new_browser": {"signed_in": legit.get("new", (None, None))[0],
                                  "ms": round(legit.get("new", (None, float("nan")))[1], 1)},
        }
    }
