"""Password hashing and password strength.

Hashing (argon2id) runs in a small bounded pool of worker threads, never inside a database
transaction: a storm of sign-in attempts queues for the pool while every other write (turns,
drafts) goes on. Work from a browser that has signed in to the account before goes ahead of the
queue (`PRIORITY_KNOWN`), so the owner is not stuck behind a stranger's guesses.

Strength is checked offline with zxcvbn (common passwords, keyboard walks, dates, the username
or email with a year) and the library's own advice is shown when a password is refused.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from simulator.accounts.errors import AccountError

log = logging.getLogger(__name__)
T = TypeVar("T")

# argon2id at the OWASP Password Storage Cheat Sheet's configuration (19 MiB, 2 passes, 1 lane):
# about 0.1 s here, against about 0.7 s for the library's default (64 MiB, 3 passes, 4 lanes),
# which let a few sign-in requests a second take every core. Hashes made with other parameters
# are upgraded at the next successful sign-in.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_LENGTH = 12
MAX_LENGTH = 1024
MIN_SCORE = 3  # zxcvbn 0-4; 3 = "safely unguessable: moderate protection from an offline attack"
_ZXCVBN_MAX = 72  # the library refuses longer input; a strong prefix makes a strong password

PRIORITY_KNOWN = 0  # a browser that signed in to this account before
PRIORITY_OTHER = 1


def _default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) // 2))


class HashPool:
    """A few worker threads that run argon2 one job each, highest priority first, then in order.

    argon2-cffi releases the GIL while it hashes, so a worker takes one core and the rest of the
    server keeps the others.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or int(os.environ.get("PRACTICUM_HASH_WORKERS") or _default_workers())
        self._jobs: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._started = False
        self._lock = threading.Lock()
        self.max_waiting = 0  # the longest queue seen (for the benchmark)
        self.done = 0
        self._typical = 0.1  # seconds one verify takes, smoothed; slowed attempts wait as long

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            for n in range(self.workers):
                threading.Thread(target=self._work, name=f"argon2-{n}", daemon=True).start()
            self._started = True

    def _work(self) -> None:
        _lower_priority()
        while True:
            _, _, fn, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            began = time.perf_counter()
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, who re-raises it
                future.set_exception(exc)
            took = time.perf_counter() - began
            with self._lock:
                self.done += 1
                self._typical = 0.8 * self._typical + 0.2 * took

    def run(self, fn: Callable[[], T], priority: int = PRIORITY_OTHER) -> T:
        """Run `fn` on a worker and wait for it; raises what `fn` raised."""
        self._start()
        future: Future = Future()
        self._jobs.put((priority, next(self._order), fn, future))
        with self._lock:
            self.max_waiting = max(self.max_waiting, self._jobs.qsize())
        return future.result()

    @property
    def typical_seconds(self) -> float:
        with self._lock:
            return self._typical

    def waiting(self) -> int:
        return self._jobs.qsize()


def _lower_priority() -> None:
    """Run this worker thread at a lower CPU priority (Linux: a thread's own nice value), so a
    storm of hashing gives way to the writes and page runs people are waiting for."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICE)
    except (AttributeError, OSError) as err:  # not Linux, or not allowed: hashing keeps normal priority
        log.info("argon2 workers keep normal CPU priority (%s)", err)


HASH_NICE = 10
pool = HashPool()
_dummy: str | None = None
_dummy_lock = threading.Lock()


def hash_password(password: str, priority: int = PRIORITY_OTHER) -> str:
    return pool.run(lambda: hasher.hash(password), priority)


def verify(password_hash: str | None, password: str, priority: int = PRIORITY_OTHER) -> bool:
    """Whether `password` matches `password_hash`. With no hash (an unknown username) the same
    work is done against a stand-in hash and the answer is False, so timing tells nothing."""
    target = password_hash or dummy_hash()

    def check() -> bool:
        try:
            return hasher.verify(target, password)
        except InvalidHashError:
            log.error("a stored password hash is not a valid argon2 hash: the account cannot sign in "
                      "until an admin resets its password")
            return False
        except VerificationError:
            return False

    matched = pool.run(check, priority)
    return matched and password_hash is not None


def dummy_hash() -> str:
    """A hash of nothing anyone knows, made once (in the pool), for unknown usernames."""
    global _dummy
    with _dummy_lock:
        if _dummy is None:
            _dummy = pool.run(lambda: hasher.hash(secrets.token_urlsafe(16)))
        return _dummy


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


def pad(started: float) -> None:
    """Sleep until a verify's usual time has passed since `started` (time.perf_counter()), so an
    attempt answered without hashing takes as long as one that hashed. No worker is used."""
    left = pool.typical_seconds - (time.perf_counter() - started)
    if left > 0:
        time.sleep(left)


def check_strength(password: str, *, username: str = "", email: str | None = None) -> None:
    """Refuse short, over-long or guessable passwords with the strength library's own advice."""
    if len(password) < MIN_LENGTH:
        raise AccountError(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise AccountError("That password is too long.")
    personal = [w for w in (username, email, (email or "").split("@")[0], "practicum") if w]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=personal)
    if result["score"] < MIN_SCORE:
        feedback = result["feedback"]
        advice = " ".join(x for x in [feedback.get("warning") or "", *feedback.get("suggestions", [])] if x)
        raise AccountError("That password is too easy to guess. "
                           + (advice or "Try a few uncommon words together."))
