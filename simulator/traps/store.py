"""Drill attempts in SQLite, and the first thinking-traps tables (migration m005_thinking_traps).

Every row has an owner (the trainee's Actor.id, NULL in single-user mode), and every function
that reads or writes a row checks access.require first. Restructuring dialogues are read and
written by simulator/traps/restructuring/store.py (their table is created here, in m005, and given
one row per turn by m010_restructuring_turns).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m005_thinking_traps (registered in simulator/migrations.py)."""
    db["drill_attempts"].create(
        {
            "id": str, "owner": str, "item_id": str, "thought": str, "picked_json": str,
            "correct_json": str, "pattern_score": float, "reframe": str, "feedback_json": str,
            "criteria_met": int, "strategy": str, "engine": str, "created_at": str,
        },
        pk="id",
        not_null={"item_id", "thought", "picked_json", "correct_json", "pattern_score", "reframe",
                  "feedback_json", "criteria_met", "engine", "created_at"},
    )
    db["drill_attempts"].create_index(["owner", "created_at"])
    db["restructuring_sessions"].create(
        {
            "id": str, "owner": str, "case_id": str, "situation_index": int, "engine": str,
            "status": str, "state_json": str, "created_at": str, "updated_at": str,
        },
        pk="id",
        not_null={"case_id", "situation_index", "engine", "status", "state_json", "created_at",
                  "updated_at"},
    )
    db["restructuring_sessions"].create_index(["owner", "updated_at"])


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _owner(actor: Actor | None) -> str | None:
    return actor.id if actor else None


def _where_owner(owner: str | None) -> tuple[str, list]:
    return ("owner = ?", [owner]) if owner is not None else ("owner is null", [])


# -- drill attempts --

def add_drill_attempt(store, actor: Actor | None, row: dict) -> str:
    owner = _owner(actor)
    require(store, actor, "write", owner)
    row = {**row, "id": secrets.token_hex(8), "owner": owner, "created_at": now()}
    with store.db() as db:
        db["drill_attempts"].insert(row)
    return row["id"]


def drill_attempts(store, actor: Actor | None, owner: str | None = None) -> list[dict]:
    """Attempts of `owner` (default: the actor's own), oldest first."""
    owner = _owner(actor) if owner is None else owner
    require(store, actor, "read", owner)
    where, args = _where_owner(owner)
    with store.db() as db:
        rows = list(db["drill_attempts"].rows_where(where, args, order_by="created_at"))
    for r in rows:
        r["picked"] = json.loads(r.pop("picked_json"))
        r["correct"] = json.loads(r.pop("correct_json"))
        r["feedback"] = json.loads(r.pop("feedback_json"))
    return rows
