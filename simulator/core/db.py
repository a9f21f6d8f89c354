"""The SQLite database (sqlite-utils) and its connections. The database, not the browser tab, is the truth.

Streamlit runs every rerun on a new thread, so no connection belongs to a thread: each `db()`
borrows one from a per-file pool for the length of a `with` block and hands it back. A borrowed
connection is used by one thread at a time, which is what sqlite3 requires; pooling spares the
open, and the WAL checkpoint that closing the last connection to a file forces.

The first use of a file in a process marks the process as one of its users (`dblock`), which is
how `restore` knows that the app is running.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from simulator.core import dblock
from simulator.core.clock import now_iso
from simulator.core.errors import SessionNotFound

_pools: dict[str, queue.SimpleQueue] = {}
_pools_lock = threading.Lock()
_POOL_SIZE = 16  # idle connections kept per file; more may be open at a busy moment


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    # With WAL, NORMAL survives any crash of the app; only a power cut may lose the last commits.
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class Store:
    """One SQLite file: pooled connections, and the transactional turn-append every exercise uses."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def db(self) -> Iterator[sqlite_utils.Database]:
        key = str(self.path.resolve())
        with _pools_lock:
            pool = _pools.get(key)
        if pool is None:
            dblock.hold_shared(key)
            with _pools_lock:
                pool = _pools.setdefault(key, queue.SimpleQueue())
        try:
            conn = pool.get_nowait()
        except queue.Empty:
            conn = _connect(self.path)
        try:
            yield sqlite_utils.Database(conn)
        except BaseException:
            conn.rollback()
            raise
        finally:
            if conn.in_transaction:
                conn.rollback()  # never hand on a connection holding a transaction open
            if pool.qsize() < _POOL_SIZE:
                pool.put(conn)
            else:
                conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction (BEGIN IMMEDIATE), committed when the block ends, rolled back if it raises.

        The write lock is taken at BEGIN, so what the block reads cannot change before it writes.
        Keep the block short: never call or load a model inside it.
        """
        with self.db() as db, db.conn:
            db.execute("BEGIN IMMEDIATE")
            yield db

    @contextmanager
    def snapshot(self) -> Iterator[sqlite_utils.Database]:
        """A read transaction: every query in the block sees the database as it was at its first read."""
        with self.db() as db:
            db.execute("BEGIN")
            yield db  # db() rolls the read transaction back when the block ends

    def append_turn(self, sessions: str, turns: str, session_id: str, row: dict, *,
                    session_state: str | None, ended: str) -> dict:
        """Append `row` to a transcript table as the session's next turn, in one transaction.

        The next index is taken inside the write transaction, so concurrent writers never collide
        and never lose a turn; `session_state`, when given, becomes the session's current state.
        Raises SessionNotFound, or ValueError(`ended`) if the session is over. `sessions` and
        `turns` are table names from code, never from input.
        """
        now = now_iso()
        with self.write() as db:
            status = db.execute(f"select status from {sessions} where id = ?", [session_id]).fetchone()
            if status is None:
                raise SessionNotFound(session_id)
            if status[0] != "active":
                raise ValueError(ended)
            (idx,) = db.execute(f"select coalesce(max(idx), -1) + 1 from {turns} where session_id = ?",
                                [session_id]).fetchone()
            row = {**row, "session_id": session_id, "idx": idx, "created_at": now}
            db.execute(f"insert into {turns} ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
                       list(row.values()))
            update = {"updated_at": now} if session_state is None else {"updated_at": now, "state_json": session_state}
            sets = ", ".join(f"{k} = ?" for k in update)
            db.execute(f"update {sessions} set {sets} where id = ?", [*update.values(), session_id])
        return row

    def applied_migrations(self) -> list[str]:
        with self.db() as db:
            return applied(db)


def applied(db: sqlite_utils.Database) -> list[str]:
    """Names of the migrations already applied to this database, in order."""
    table = "_sqlite_migrations"
    if not db[table].exists():
        return []
    return [r["name"] for r in db[table].rows]


