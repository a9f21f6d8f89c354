"""Durable sessions in SQLite (sqlite-utils). The database, not the browser tab, is the truth.

Streamlit runs every rerun on a new thread, so no connection belongs to a thread: each `db()`
borrows one from a per-file pool for the length of a `with` block and hands it back. A borrowed
connection is used by one thread at a time, which is what sqlite3 requires; pooling spares the
open, and the WAL checkpoint that closing the last connection to a file forces.
"""

from __future__ import annotations

import json
import queue
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .schema import DisclosureState, PatientCase, SessionInfo, Turn

def create_sessions_and_turns(db: sqlite_utils.Database) -> None:
    """Migration m001 (registered in simulator/migrations.py)."""
    db["sessions"].create(
        {
            "id": str, "case_id": str, "case_json": str, "situation_index": int, "style": str,
            "engine": str, "seed": int, "status": str, "state_json": str, "owner": str,
            "created_at": str, "updated_at": str, "ended_at": str,
        },
        pk="id",
        not_null={"case_id", "case_json", "situation_index", "style", "engine", "seed",
                  "status", "state_json", "created_at", "updated_at"},
    )
    db["turns"].create(
        {
            "id": int, "session_id": str, "idx": int, "role": str, "text": str,
            "complete": int, "moves_json": str, "state_json": str, "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "idx", "role", "text", "complete", "created_at"},
    )
    db["turns"].create_index(["session_id", "idx"], unique=True)
    db["sessions"].create_index(["owner", "updated_at"])


class SessionNotFound(KeyError):
    pass


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


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
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def db(self) -> Iterator[sqlite_utils.Database]:
        key = str(self.path.resolve())
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

    def migrate(self) -> list[str]:
        """Create the file if needed, switch to WAL once, apply pending migrations."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.db() as db:
            db.enable_wal()
            from .migrations import migrations

            before = set(_applied(db))
            migrations.apply(db)
            return [name for name in _applied(db) if name not in before]

    # -- sessions -------------------------------------------------------------------------

    def create_session(self, case: PatientCase, situation_index: int, style: str, engine: str,
                       seed: int | None = None, owner: str | None = None,
                       case_version: int = 1) -> SessionInfo:
        if not 0 <= situation_index < len(case.situations):
            raise ValueError(f"{case.name} has no situation {situation_index + 1}")
        if style not in case.styles:
            raise ValueError(f"{case.name} is not written for the '{style}' style")
        now = _now()
        row = {
            "id": secrets.token_hex(8), "case_id": case.id, "case_json": case.model_dump_json(),
            "situation_index": situation_index, "style": style, "engine": engine,
            "seed": seed if seed is not None else secrets.randbelow(2**31), "status": "active",
            "state_json": DisclosureState().model_dump_json(), "owner": owner,
            "created_at": now, "updated_at": now, "ended_at": None, "case_version": case_version,
        }
        with self.db() as db:
            db["sessions"].insert(row)
        return _info(row)

    def session(self, session_id: str) -> SessionInfo:
        return _info(self._row(session_id))

    def session_case(self, session_id: str) -> PatientCase:
        """The case as it was when the session started, so later edits never rewrite history."""
        return self.session_with_case(session_id)[1]

    def session_with_case(self, session_id: str) -> tuple[SessionInfo, PatientCase]:
        """The session and its case snapshot from one read."""
        row = self._row(session_id)
        return _info(row), PatientCase.model_validate_json(row["case_json"])

    def state(self, session_id: str) -> DisclosureState:
        return DisclosureState.model_validate_json(self._row(session_id)["state_json"])

    def state_before(self, session_id: str, turn_index: int) -> DisclosureState:
        """The disclosure state left by the last patient turn before `turn_index`."""
        with self.db() as db:
            row = db.execute(
                "select state_json from turns where session_id = ? and idx < ? and role = 'patient' "
                "and state_json is not null order by idx desc limit 1", [session_id, turn_index],
            ).fetchone()
        return DisclosureState.model_validate_json(row[0]) if row else DisclosureState()

    def list_sessions(self, owner: str | None = None) -> list[SessionInfo]:
        with self.db() as db:
            where, args = ("owner = ?", [owner]) if owner is not None else ("owner is null", [])
            rows = db["sessions"].rows_where(where, args, order_by="updated_at desc")
            return [_info(r) for r in rows]

    def turn_counts(self, session_ids: list[str]) -> dict[str, int]:
        if not session_ids:
            return {}
        marks = ",".join("?" for _ in session_ids)
        with self.db() as db:
            sql = f"select session_id, count(*) from turns where session_id in ({marks}) group by 1"
            return {sid: n for sid, n in db.execute(sql, session_ids).fetchall()}

    def end_session(self, session_id: str) -> None:
        now = _now()
        with self.db() as db:
            self._require(db, session_id)
            db["sessions"].update(session_id, {"status": "ended", "ended_at": now, "updated_at": now})

    # -- turns ----------------------------------------------------------------------------

    def transcript(self, session_id: str) -> list[Turn]:
        with self.db() as db:
            self._require(db, session_id)
            rows = db["turns"].rows_where("session_id = ?", [session_id], order_by="idx")
            return [_turn(r) for r in rows]

    def add_turn(self, session_id: str, role: str, text: str, *, complete: bool = True,
                 moves: list[str] | None = None, state: DisclosureState | None = None) -> Turn:
        """Append a turn; a patient turn also records the disclosure state it leaves behind.

        The next index is taken inside the write transaction, so concurrent writers never
        collide and never lose a turn.
        """
        row = {"role": role, "text": text, "complete": int(complete), "moves_json": json.dumps(moves or []),
               "state_json": state.model_dump_json() if state else None}
        return _turn(self.append_turn("sessions", "turns", session_id, row,
                                      session_state=row["state_json"], ended="This session has ended; "
                                      "start a new one to keep practising."))

    def append_turn(self, sessions: str, turns: str, session_id: str, row: dict, *,
                    session_state: str | None, ended: str) -> dict:
        """Append `row` to a transcript table as the session's next turn, in one transaction.

        The next index is taken inside the write transaction, so concurrent writers never collide
        and never lose a turn; `session_state`, when given, becomes the session's current state.
        Raises SessionNotFound, or ValueError(`ended`) if the session is over. `sessions` and
        `turns` are table names from code, never from input.
        """
        now = _now()
        with self.db() as db, db.conn:
            db.execute("BEGIN IMMEDIATE")
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

    # -- helpers --------------------------------------------------------------------------

    def _row(self, session_id: str) -> dict:
        with self.db() as db:
            return self._require(db, session_id)

    @staticmethod
    def _require(db: sqlite_utils.Database, session_id: str) -> dict:
        rows = list(db["sessions"].rows_where("id = ?", [session_id]))
        if not rows:
            raise SessionNotFound(session_id)
        return rows[0]


def _applied(db: sqlite_utils.Database) -> list[str]:
    table = "_sqlite_migrations"
    if not db[table].exists():
        return []
    return [r["name"] for r in db[table].rows]


def _info(row: dict) -> SessionInfo:
    fields = {k: v for k, v in row.items() if k in SessionInfo.model_fields}
    return SessionInfo.model_validate({**fields, "case_name": json.loads(row["case_json"])["name"]})


def _turn(row: dict) -> Turn:
    return Turn(
        index=row["idx"], role=row["role"], text=row["text"], complete=bool(row["complete"]),
        moves=json.loads(row.get("moves_json") or "[]"), created_at=row["created_at"],
    )
