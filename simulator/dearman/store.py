"""DEAR MAN sessions in SQLite: sessions with before/after emotions, and turns that keep the sent
version's ratings (trainee) or the state the reply left behind (counterpart).

Every call takes the actor and checks access before touching a record.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require
from simulator.core.db import Store
from simulator.core.errors import SessionNotFound
from simulator.dearman.schema import (
    CounterpartState,
    DearmanSessionInfo,
    DearmanTurn,
    EmotionRatings,
    Outcome,
    Scenario,
    SkillRatings,
)


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m004_dearman (registered in simulator/migrations.py)."""
    db["dearman_sessions"].create(
        {
            "id": str, "owner": str, "scenario_id": str, "scenario_json": str, "engine": str, "seed": int,
            "status": str, "outcome": str, "state_json": str, "before_json": str, "after_json": str,
            "created_at": str, "updated_at": str, "ended_at": str,
        },
        pk="id",
        not_null={"scenario_id", "scenario_json", "engine", "seed", "status", "state_json", "created_at",
                  "updated_at"},
    )
    db["dearman_turns"].create(
        {
            "id": int, "session_id": str, "idx": int, "role": str, "text": str, "complete": int,
            "ratings_json": str, "rater": str, "checks": int, "state_json": str, "engine": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "dearman_sessions", "id")],
        not_null={"session_id", "idx", "role", "text", "complete", "checks", "created_at"},
    )
    db["dearman_turns"].create_index(["session_id", "idx"], unique=True)
    db["dearman_sessions"].create_index(["owner", "updated_at"])


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _owner(actor: Actor | None) -> str | None:
    return actor.id if actor else None


class DearmanStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- sessions --

    def create_session(self, actor: Actor | None, scenario: Scenario, engine: str, state: CounterpartState,
                       before: EmotionRatings | None, seed: int | None = None) -> DearmanSessionInfo:
        owner = _owner(actor)
        require(self.store, actor, "write", owner)
        now = _now()
        row = {
            "id": secrets.token_hex(8), "owner": owner, "scenario_id": scenario.id,
            "scenario_json": scenario.model_dump_json(), "engine": engine,
            "seed": seed if seed is not None else secrets.randbelow(2**31), "status": "active",
            "outcome": None, "state_json": state.model_dump_json(),
            "before_json": before.model_dump_json() if before else None, "after_json": None,
            "created_at": now, "updated_at": now, "ended_at": None,
        }
        with self.store.db() as db:
            db["dearman_sessions"].insert(row)
        return _info(row)

    def session(self, actor: Actor | None, session_id: str, action: str = "read") -> DearmanSessionInfo:
        with self.store.db() as db:
            row = _row(db, session_id)
        require(self.store, actor, action, row["owner"])
        return _info(row)

    def list_sessions(self, actor: Actor | None, owner: str | None = ...) -> list[DearmanSessionInfo]:
        """The sessions of `owner` (default: the actor's own), oldest first."""
        owner = _owner(actor) if owner is ... else owner
        require(self.store, actor, "read", owner)
        where, args = ("owner = ?", [owner]) if owner is not None else ("owner is null", [])
        with self.store.db() as db:
            if not db["dearman_sessions"].exists():
                return []
            return [_info(r) for r in db["dearman_sessions"].rows_where(where, args, order_by="created_at")]

    def sent_ratings(self, actor: Actor | None, sessions: list[DearmanSessionInfo]) -> dict[str, list[SkillRatings]]:
        """The ratings of every sent message of `sessions`, per session, from one query."""
        for owner in {s.owner for s in sessions}:
            require(self.store, actor, "read", owner)
        if not sessions:
            return {}
        marks = ",".join("?" for _ in sessions)
        out: dict[str, list[SkillRatings]] = {s.id: [] for s in sessions}
        with self.store.db() as db:
            for r in db.query(f"select session_id, ratings_json from dearman_turns where session_id in ({marks}) "
                              "and role = 'trainee' and ratings_json is not null order by session_id, idx",
                              [s.id for s in sessions]):
                out[r["session_id"]].append(SkillRatings.model_validate(json.loads(r["ratings_json"])))
        return out

    def turn_counts(self, actor: Actor | None, sessions: list[DearmanSessionInfo]) -> dict[str, int]:
        """How many messages each of `sessions` holds, from one query."""
        for owner in {s.owner for s in sessions}:
            require(self.store, actor, "read", owner)
        if not sessions:
            return {}
        marks = ",".join("?" for _ in sessions)
        with self.store.db() as db:
            rows = db.execute(f"select session_id, count(*) from dearman_turns where session_id in ({marks}) "
                              "group by session_id", [s.id for s in sessions]).fetchall()
        return {s.id: 0 for s in sessions} | dict(rows)

    def set_outcome(self, actor: Actor | None, session_id: str, outcome: Outcome) -> None:
        self.session(actor, session_id, "write")
        with self.store.db() as db:
            db["dearman_sessions"].update(session_id, {"outcome": outcome, "updated_at": _now()})

    def end(self, actor: Actor | None, session_id: str, outcome: Outcome | None,
            after: EmotionRatings | None) -> DearmanSessionInfo:
        info = self.session(actor, session_id, "write")
        now = _now()
        with self.store.db() as db:
            db["dearman_sessions"].update(session_id, {
                "status": "ended", "outcome": outcome or info.outcome or "gave_up",
                "after_json": after.model_dump_json() if after else None, "ended_at": now, "updated_at": now,
            })
        return self.session(actor, session_id)

    # -- turns --

    def turns(self, actor: Actor | None, session_id: str) -> list[DearmanTurn]:
        self.session(actor, session_id)
        with self.store.db() as db:
            rows = db["dearman_turns"].rows_where("session_id = ?", [session_id], order_by="idx")
            return [_turn(r) for r in rows]

    def add_turn(self, actor: Actor | None, session_id: str, role: str, text: str, *,
                 ratings: SkillRatings | None = None, rater: str | None = None, checks: int = 0,
                 state: CounterpartState | None = None, engine: str | None = None,
                 complete: bool = True) -> DearmanTurn:
        """Append a turn in one transaction; a counterpart turn also moves the session's state."""
        self.session(actor, session_id, "write")
        row = {
            "role": role, "text": text, "complete": int(complete),
            "ratings_json": json.dumps(ratings.as_json()) if ratings else None, "rater": rater,
            "checks": checks, "state_json": state.model_dump_json() if state else None, "engine": engine,
        }
        return _turn(self.store.append_turn(
            "dearman_sessions", "dearman_turns", session_id, row, session_state=row["state_json"],
            ended="This conversation has ended; start a new one to keep practising."))


def _row(db: sqlite_utils.Database, session_id: str) -> dict:
    rows = list(db["dearman_sessions"].rows_where("id = ?", [session_id]))
    if not rows:
        raise SessionNotFound(session_id)
    return rows[0]


def _info(row: dict) -> DearmanSessionInfo:
    return DearmanSessionInfo(
        id=row["id"], scenario=Scenario.model_validate_json(row["scenario_json"]), engine=row["engine"],
        seed=row["seed"], status=row["status"], outcome=row["outcome"],
        state=CounterpartState.model_validate_json(row["state_json"]),
        before=EmotionRatings.model_validate_json(row["before_json"]) if row["before_json"] else None,
        after=EmotionRatings.model_validate_json(row["after_json"]) if row["after_json"] else None,
        owner=row["owner"], created_at=row["created_at"], updated_at=row["updated_at"], ended_at=row["ended_at"],
    )


def _turn(row: dict) -> DearmanTurn:
    return DearmanTurn(
        index=row["idx"], role=row["role"], text=row["text"], complete=bool(row["complete"]),
        ratings=SkillRatings.model_validate(json.loads(row["ratings_json"])) if row.get("ratings_json") else None,
        rater=row.get("rater"), checks=row.get("checks") or 0,
        state=CounterpartState.model_validate_json(row["state_json"]) if row.get("state_json") else None,
        engine=row.get("engine"), created_at=row["created_at"],
    )
