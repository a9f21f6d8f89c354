"""Restructuring dialogues in SQLite: one row per dialogue (its case snapshot and current state) in
`restructuring_sessions`, one row per turn in `restructuring_turns`.

Turns are appended, never rewritten, as CBT and DEAR MAN turns are. An exchange (the trainee's
message and the patient's answer) is appended in one write transaction, which first checks that
no turn landed since the state the answer was worked out from; if one did (a second tab, a second
server process), the answer is worked out again from the fresh state. The rules therefore run
outside any transaction, and no lock is ever held across a model call. A dialogue is `active`,
`ended` (the trainee finished it) or `abandoned` (closed by `close_idle` after going untouched).

Every function that reads or writes a dialogue on someone's behalf checks the access policy first.
Migration m010_restructuring_turns (`carry_over`) moved the dialogues stored before it, one JSON
document each, into this shape.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from datetime import datetime

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require
from simulator.cbt.case import PatientCase
from simulator.core.clock import now_iso
from simulator.core.db import Store
from simulator.core.errors import SessionNotFound
from simulator.traps.restructuring.belief import belief_end
from simulator.traps.restructuring.state import (
    Dialogue,
    DialogueStatus,
    DialogueSummary,
    RestructuringState,
    RTurn,
)

log = logging.getLogger(__name__)

SESSIONS, TURNS = "restructuring_sessions", "restructuring_turns"
OPTIMISTIC_TRIES = 3  # then the answer is worked out inside the write transaction, which cannot race

CLOSED = {
    "ended": "This exercise has ended; start a new one to keep practising.",
    "abandoned": "This exercise was closed after a long time without a message; start a new one to keep practising.",
}

Compute = Callable[[PatientCase, RestructuringState], RestructuringState]


class DialogueClosed(ValueError):
    """The dialogue is finished or abandoned: it takes no more turns. The text says which."""


# -- schema --

def carry_over(db: sqlite_utils.Database) -> None:
    """Migration m010_restructuring_turns (registered in simulator/migrations.py).

    Adds the turns table, the case snapshot and the closing time, and moves every dialogue stored
    as one document ({"case": ..., "state": {..., "turns": [...]}}) into that shape, turn by turn.
    The old rows kept no time per turn: a carried-over opening turn is dated when the dialogue
    began, every later turn when it was last saved.
    """
    db[TURNS].create(
        {
            "id": int, "session_id": str, "idx": int, "role": str, "text": str, "content": str,
            "acts_json": str, "stage": str, "voice": str, "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", SESSIONS, "id")],
        not_null={"session_id", "idx", "role", "text", "acts_json", "created_at"},
    )
    db[TURNS].create_index(["session_id", "idx"], unique=True)
    db[SESSIONS].add_column("case_json", str)
    db[SESSIONS].add_column("ended_at", str)
    rows = list(db.query(f"select id, status, state_json, created_at, updated_at from {SESSIONS}"))
    for row in rows:
        stored = json.loads(row["state_json"])
        if not isinstance(stored, dict) or "case" not in stored or "state" not in stored:
            raise ValueError(f"restructuring dialogue {row['id']} is not in the stored shape this migration "
                             "knows ({'case': ..., 'state': ...}); nothing was changed")
        state = dict(stored["state"])
        turns = [RTurn.model_validate(t) for t in state.pop("turns", [])]
        for idx, turn in enumerate(turns):
            _insert_turn(db, row["id"], idx, turn, row["created_at"] if idx == 0 else row["updated_at"])
        db.execute(f"update {SESSIONS} set case_json = ?, state_json = ?, ended_at = ? where id = ?",
                   [json.dumps(stored["case"]), json.dumps(state),
                    row["updated_at"] if row["status"] == "ended" else None, row["id"]])
    if rows:
        log.info("carried %d restructuring dialogue(s) over to one row per turn", len(rows))


# -- reading --

def _insert_turn(db: sqlite_utils.Database, session_id: str, idx: int, turn: RTurn, when: str) -> None:
    patient = turn.role == "patient"
    db.execute(
        f"insert into {TURNS} (session_id, idx, role, text, content, acts_json, stage, voice, created_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [session_id, idx, turn.role, turn.text, turn.text if patient else None, json.dumps(turn.acts),
         turn.stage, "rules" if patient else None, when])


def _row(db: sqlite_utils.Database, session_id: str) -> dict:
    rows = list(db.query(f"select * from {SESSIONS} where id = ?", [session_id]))
    if not rows:
        raise SessionNotFound(session_id)
    return rows[0]


def _turns(db: sqlite_utils.Database, session_id: str) -> list[RTurn]:
    return [RTurn(role=r["role"], text=r["text"], acts=json.loads(r["acts_json"]), stage=r["stage"])
            for r in db.query(f"select role, text, acts_json, stage from {TURNS} where session_id = ? "
                              "order by idx", [session_id])]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _dialogue(db: sqlite_utils.Database, session_id: str) -> Dialogue:
    row = _row(db, session_id)
    state = RestructuringState.model_validate_json(row["state_json"])
    state.turns = _turns(db, session_id)
    return Dialogue(id=row["id"], owner=row["owner"], engine=row["engine"], status=row["status"],
                    case=PatientCase.model_validate_json(row["case_json"]), state=state,
                    created_at=_time(row["created_at"]), updated_at=_time(row["updated_at"]),
                    ended_at=_time(row["ended_at"]))


def open_dialogue(store: Store, actor: Actor | None, session_id: str, action: str = "read") -> Dialogue:
    """The dialogue, read consistently, if `actor` may `action` it (AccessDenied otherwise)."""
    with store.snapshot() as db:
        dialogue = _dialogue(db, session_id)
    require(store, actor, action, dialogue.owner)
    return dialogue


def last_touched(store: Store, actor: Actor | None, session_id: str, action: str = "read") -> tuple[str, datetime]:
    """The dialogue's status and when it last changed, from one small read (access checked)."""
    with store.db() as db:
        row = db.execute(f"select owner, status, updated_at from {SESSIONS} where id = ?", [session_id]).fetchone()
    if row is None:
        raise SessionNotFound(session_id)
    require(store, actor, action, row[0])
    return row[1], _time(row[2])


def _owner(actor: Actor | None) -> str | None:
    return actor.id if actor else None


def _where_owner(owner: str | None) -> tuple[str, list]:
    return ("owner = ?", [owner]) if owner is not None else ("owner is null", [])


def summaries(store: Store, actor: Actor | None, owner: str | None = None) -> list[DialogueSummary]:
    """Dialogues of `owner` (default: the actor's own), most recently touched first."""
    owner = _owner(actor) if owner is None else owner
    require(store, actor, "read", owner)
    where, args = _where_owner(owner)
    with store.snapshot() as db:
        rows = list(db.query(
            f"select s.*, (select count(*) from {TURNS} t where t.session_id = s.id) as messages "
            f"from {SESSIONS} s where s.{where} order by s.updated_at desc", args))
    out = []
    for row in rows:
        state = RestructuringState.model_validate_json(row["state_json"])
        first = state.thoughts[0]
        out.append(DialogueSummary(
            id=row["id"], owner=row["owner"], case_id=row["case_id"],
            case_name=json.loads(row["case_json"])["name"], engine=row["engine"], status=row["status"],
            created_at=_time(row["created_at"]), updated_at=_time(row["updated_at"]),
            ended_at=_time(row["ended_at"]), messages=row["messages"], thought=first.text,
            belief_start=first.belief_start, belief_end=belief_end(first), stages_done=state.stages_done(),
            thoughts=len(state.thoughts)))
    return out


# -- writing --

def insert(store: Store, actor: Actor | None, case: PatientCase, state: RestructuringState, engine: str) -> str:
    """Store a new dialogue with its opening turns; returns its id."""
    owner = _owner(actor)
    require(store, actor, "write", owner)
    stamp = now_iso()
    sid = secrets.token_hex(8)
    with store.write() as db:
        db.execute(
            f"insert into {SESSIONS} (id, owner, case_id, situation_index, engine, status, state_json, case_json, "
            "created_at, updated_at) values (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)",
            [sid, owner, case.id, state.situation_index, engine, state.without_turns_json(), case.model_dump_json(),
             stamp, stamp])
        for idx, turn in enumerate(state.turns):
            _insert_turn(db, sid, idx, turn, stamp)
    return sid


def _require_open(status: str) -> None:
    if status != "active":
        raise DialogueClosed(CLOSED.get(status, CLOSED["ended"]))


def _next_index(db: sqlite_utils.Database, session_id: str) -> int:
    return db.execute(f"select coalesce(max(idx), -1) + 1 from {TURNS} where session_id = ?",
                      [session_id]).fetchone()[0]


def _commit(db: sqlite_utils.Database, session_id: str, before: RestructuringState, after: RestructuringState,
            status: DialogueStatus | None = None) -> None:
    """Append the turns `after` has beyond `before` and save the state; the caller holds the write lock."""
    now = now_iso()
    for idx in range(len(before.turns), len(after.turns)):
        _insert_turn(db, session_id, idx, after.turns[idx], now)
    status = status or ("ended" if after.finished else "active")
    db.execute(f"update {SESSIONS} set state_json = ?, status = ?, updated_at = ?, "
               "ended_at = case when ? = 'active' then null else ? end where id = ?",
               [after.without_turns_json(), status, now, status, now, session_id])


def exchange(store: Store, actor: Actor | None, session_id: str,
             compute: Compute) -> tuple[PatientCase, RestructuringState]:
    """Apply `compute(case, state)` to the dialogue and store what it added, losing no one's turn.

    `compute` returns the new state (its turns are the old ones plus any new ones). It runs on a
    consistent read, outside any transaction; the write then checks, under the write lock, that no
    turn landed meanwhile. If one did, `compute` runs again on the fresh state; after
    OPTIMISTIC_TRIES such races it runs inside the write transaction, which cannot race.
    Returns the case and the state stored. Raises SessionNotFound, AccessDenied, or
    DialogueClosed once the dialogue is finished or abandoned.
    """
    for _ in range(OPTIMISTIC_TRIES):
        before = open_dialogue(store, actor, session_id, "write")
        _require_open(before.status)
        after = compute(before.case, before.state)
        with store.write() as db:
            _require_open(_row(db, session_id)["status"])
            if _next_index(db, session_id) == len(before.state.turns):
                _commit(db, session_id, before.state, after)
                return before.case, after
        log.info("restructuring %s: another turn was stored first; answering again from the fresh state", session_id)
    with store.write() as db:
        current = _dialogue(db, session_id)
        require(store, actor, "write", current.owner)
        _require_open(current.status)
        after = compute(current.case, current.state)
        _commit(db, session_id, current.state, after)
        return current.case, after


def set_wording(store: Store, actor: Actor | None, session_id: str, index: int, text: str) -> None:
    """Replace the wording of patient turn `index` (the model's words for what the rules decided)."""
    with store.write() as db:
        require(store, actor, "write", _row(db, session_id)["owner"])
        db.execute(f"update {TURNS} set text = ?, voice = 'model' "
                   "where session_id = ? and idx = ? and role = 'patient'", [text, session_id, index])
        db.execute(f"update {SESSIONS} set updated_at = ? where id = ?", [now_iso(), session_id])


def close_idle(store: Store, idle_before: datetime, conclude: Callable[[RestructuringState], RestructuringState], *,
               owner: str | None = None, session_id: str | None = None) -> list[str]:
    """Close, as `abandoned`, the active dialogues of `owner` (or the one `session_id`) untouched
    since `idle_before`; `conclude` gives each its end-of-dialogue feedback. Returns their ids.

    Housekeeping by the clock, not an edit on anyone's behalf: callers check that the actor may
    read the dialogues first. Each close re-checks, under the write lock, that no turn came since.
    """
    cutoff = idle_before.isoformat(timespec="microseconds")  # compares as stored times do
    where, args = ("id = ?", [session_id]) if session_id else _where_owner(owner)
    with store.db() as db:
        ids = [r[0] for r in db.execute(
            f"select id from {SESSIONS} where {where} and status = 'active' and updated_at < ?", [*args, cutoff])]
    closed = []
    for sid in ids:
        with store.write() as db:
            current = _dialogue(db, sid)
            if current.status != "active" or current.updated_at >= idle_before:
                continue  # a turn came in meanwhile
            _commit(db, sid, current.state, conclude(current.state), status="abandoned")
            closed.append(sid)
    if closed:
        log.info("closed %d restructuring dialogue(s) untouched since %s", len(closed), cutoff)
    return closed
