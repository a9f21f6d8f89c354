"""Which processes hold the database: a shared lock every process takes, an exclusive one for restore.

Every process that opens a database through `Store` (the app, a CLI command, a nightly backup)
takes a *shared* `flock` on a file beside it (`practicum.db-lock`) and keeps it until it exits.
The kernel drops the lock when the process ends in any way, `kill -9` and a crash included, so
nothing goes stale and no heartbeat is needed. `restore` asks for an *exclusive* lock without
waiting: it is refused while any other process holds the shared lock, and while a restore holds
the exclusive lock, processes that start wait for it to finish (up to `WAIT_SECONDS`).

Migrations take a second, exclusive lock (`practicum.db-migrate-lock`) so that several app
processes starting at once apply them one after another.

`flock` is per host and needs a local file system: SQLite itself must not be run on a network
file system either, so this is no new limit. Linux and macOS only.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

WAIT_SECONDS = 120.0  # how long a starting process waits for a restore to finish
_POLL = 0.1

_held: dict[str, tuple[int, str]] = {}  # resolved db path -> (fd, "shared" | "exclusive")
_held_lock = threading.Lock()


class DatabaseBusy(RuntimeError):
    """The database is held by other processes (or a restore holds it); the message names them."""


def lock_path(db_path: Path | str) -> Path:
    return Path(str(db_path) + "-lock")


def _key(db_path: Path | str) -> str:
    return str(Path(db_path).resolve())


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def hold_shared(db_path: Path | str, wait: float = WAIT_SECONDS) -> None:
    """Mark this process as a user of the database until it exits (idempotent per process).

    Waits while a restore holds the database; raises DatabaseBusy after `wait` seconds.
    """
    key = _key(db_path)
    with _held_lock:
        if key in _held:
            return
        fd = _open(lock_path(key))
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise DatabaseBusy(f"{key} is being restored by another process; try again when it is done.")
                if not announced:
                    log.warning("waiting for a restore of %s to finish", key)
                    announced = True
                time.sleep(_POLL)
        _held[key] = (fd, "shared")


def holds(db_path: Path | str) -> str | None:
    """"shared" or "exclusive" if this process holds the database's lock, else None."""
    with _held_lock:
        entry = _held.get(_key(db_path))
    return entry[1] if entry else None


def holders(db_path: Path | str) -> list[tuple[int, str]]:
    """(pid, command line) of the processes holding the database's lock, from /proc/locks.

    Best effort, for the message only: empty where /proc/locks is not available.
    """
    path = lock_path(_key(db_path))
    try:
        inode = path.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError as err:
        log.info("cannot list the holders of %s: %s", path, err)
        return []
    pids = []
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  READ  1234 08:01:5678 0 EOF" (a blocked waiter has "->" after the number)
        parts = [p for p in parts if p != "->"]
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(inode):
            pids.append(int(parts[4]))
    out = []
    for pid in sorted(set(pids)):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = "?"
        out.append((pid, cmd[:160]))
    return out


@contextmanager
def exclusive(db_path: Path | str) -> Iterator[None]:
    """Hold the database alone, or raise DatabaseBusy at once if any other process holds it."""
    key = _key(db_path)
    with _held_lock:
        if key in _held:
            raise DatabaseBusy(f"this process has {key} open already; restore from a fresh process.")
        fd = _open(lock_path(key))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            who = "; ".join(f"pid {pid}: {cmd}" for pid, cmd in holders(key) if pid != os.getpid())
            raise DatabaseBusy(f"{key} is in use by a running process ({who or 'see lsof ' + str(lock_path(key))}). "
                               "Stop the app (and any backup or CLI command) first.") from None
        _held[key] = (fd, "exclusive")
    try:
        yield
    finally:
        with _held_lock:
            _held.pop(key, None)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def file_lock(path: Path, waiting: str | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block, waiting for any other holder (and logging
    `waiting` when there is one). The kernel drops it when a process dies."""
    fd = _open(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                log.warning(waiting)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def migrating(db_path: Path | str) -> Iterator[None]:
    """One migrating process at a time per database (blocks until the others are done)."""
    with file_lock(Path(_key(db_path) + "-migrate-lock")):
        yield
