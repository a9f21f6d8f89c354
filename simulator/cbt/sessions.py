"""CBT interview sessions and their turns in SQLite: each session keeps a snapshot of its case and
the disclosure state left by every patient turn, so it resumes exactly after a restart.
"""

from __future__ import annotations

import json
import secrets

import sqlite_utils

from simulator.cbt.case import PatientCase
from simulator.cbt.interview import DisclosureState, SessionInfo, Turn
from simulator.core.clock import now_iso
from simulator.core.db import Store
from simulator.core.errors import SessionNotFound


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


def add_risk_aspects_and_assignment(db: sqlite_utils.Database) -> None:
    """Migration m011: the aspects of risk each message asked about, stored beside its moves; and
    the assignment a session was started for (NULL: free practice)."""
    db["turns"].add_column("risk_aspects_json", str)
    db["sessions"].add_column("assignment_id", str)


class SessionStore:
    """The interview tables of one database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create_session(self, case: PatientCase, situation_index: int, style: str, engine: str,
                       seed: int | None = None, owner: str | None = None,
                       case_version: int = 1, assignment_id: str | None = None) -> SessionInfo:
        if not 0 <= situation_index < len(case.situations):
            raise ValueError(f"{case.name} has no situation {situation_index + 1}")
        if style not in case.styles:
            raise ValueError(f"{case.name} is not written for the '{style}' style")
        now = now_iso()
        row = {
            "id": secrets.token_hex(8), "case_id": case.id, "case_json": case.model_dump_json(),
            "situation_index": situation_index, "style": style, "engine": engine,
            "seed": seed if seed is not None else secrets.randbelow(2**31), "status": "active",
            "state_json": DisclosureState().model_dump_json(), "owner": owner,
            "created_at": now, "updated_at": now, "ended_at": None, "case_version": case_version,
            "assignment_id": assignment_id,
        }
        with self.store.db() as db:
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
        with self.store.db() as db:
            row = db.execute(
                "select state_json from turns where session_id = ? and idx < ? and role = 'patient' "
                "and state_json is not null order by idx desc limit 1", [session_id, turn_index],
            ).fetchone()
        return DisclosureState.model_validate_json(row[0]) if row else DisclosureState()

    def states(self, session_id: str) -> dict[int, DisclosureState]:
        """The disclosure state left by each patient turn, by transcript index."""
        with self.store.db() as db:
            rows = db.execute("select idx, state_json from turns where session_id = ? and role = 'patient' "
                              "and state_json is not null order by idx", [session_id]).fetchall()
        return {idx: DisclosureState.model_validate_json(raw) for idx, raw in rows}

    def list_sessions(self, owner: str | None = None) -> list[SessionInfo]:
        with self.store.db() as db:
            where, args = ("owner = ?", [owner]) if owner is not None else ("owner is null", [])
            rows = db["sessions"].rows_where(where, args, order_by="updated_at desc")
            return [_info(r) for r in rows]

    def turn_counts(self, session_ids: list[str]) -> dict[str, int]:
        if not session_ids:
            return {}
        marks = ",".join("?" for _ in session_ids)
        with self.store.db() as db:
            sql = f"select session_id, count(*) from turns where session_id in ({marks}) group by 1"
            return {sid: n for sid, n in db.execute(sql, session_ids).fetchall()}

    def end_session(self, session_id: str) -> None:
        now = now_iso()
        with self.store.db() as db:
            self._require(db, session_id)
            db["sessions"].update(session_id, {"status": "ended", "ended_at": now, "updated_at": now})


    def transcript(self, session_id: str) -> list[Turn]:
        with self.store.db() as db:
            self._require(db, session_id)
            rows = db["turns"].rows_where("session_id = ?", [session_id], order_by="idx")
            return [_turn(r) for r in rows]

    def add_turn(self, session_id: str, role: str, text: str, *, complete: bool = True,
                 moves: list[str] | None = None, state: DisclosureState | None = None,
                 risk_aspects: list[str] | None = None) -> Turn:
        """Append a turn; a patient turn also records the disclosure state it leaves behind.

        The next index is taken inside the write transaction, so concurrent writers never
        collide and never lose a turn.
        """
        row = {"role": role, "text": text, "complete": int(complete), "moves_json": json.dumps(moves or []),
               "risk_aspects_json": json.dumps(risk_aspects or []),
               "state_json": state.model_dump_json() if state else None}
        return _turn(self.store.append_turn("sessions", "turns", session_id, row,
                                      session_state=row["state_json"], ended="This session has ended; "
                                      "start a new one to keep practising."))

    def set_moves(self, session_id: str, turn_index: int, moves: list[str], risk_aspects: list[str]) -> None:
        """Record on the trainee's message what it was recognised as (its moves and, for a risk
        question, the aspects asked), once the patient's reply has been planned from it."""
        with self.store.db() as db:
            db.execute("update turns set moves_json = ?, risk_aspects_json = ? where session_id = ? "
                       "and idx = ? and role = 'therapist'",
                       [json.dumps(moves), json.dumps(risk_aspects), session_id, turn_index])

    def _row(self, session_id: str) -> dict:
        with self.store.db() as db:
            return self._require(db, session_id)

    @staticmethod
    def _require(db: sqlite_utils.Database, session_id: str) -> dict:
        rows = list(db["sessions"].rows_where("id = ?", [session_id]))
        if not rows:
            raise SessionNotFound(session_id)
        return rows[0]


def _info(row: dict) -> SessionInfo:
    fields = {k: v for k, v in row.items() if k in SessionInfo.model_fields}
    return SessionInfo.model_validate({**fields, "case_name": json.loads(row["case_json"])["name"]})


def _turn(row: dict) -> Turn:
    return Turn(
        index=row["idx"], role=row["role"], text=row["text"], complete=bool(row["complete"]),
        moves=json.loads(row.get("moves_json") or "[]"),
        risk_aspects=json.loads(row.get("risk_aspects_json") or "[]"), created_at=row["created_at"],
    )
