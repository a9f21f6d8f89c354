"""Supervision: comments on single turns, competence grades, assignments with due dates."""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Literal

import sqlite_utils
from pydantic import BaseModel, ConfigDict, field_validator

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import require, require_assigner, require_reviewer
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR

MAX_COMMENT_CHARS = 2000


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: str
    anchors: dict[str, str]


class CompetenceRubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    scale: dict[str, int]
    items: list[RubricItem]


class Comment(BaseModel):
    id: int
    session_id: str
    turn_index: int
    author: str
    text: str
    created_at: datetime


class Grade(BaseModel):
    session_id: str
    author: str
    scores: dict[str, int]
    note: str = ""
    total: float
    created_at: datetime


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: Literal["cbt", "dearman"]
    target_id: str  # a case id or a DEAR MAN scenario id
    style: str | None = None
    cohort_id: str | None = None
    trainee_id: str | None = None
    due: date
    note: str = ""
    created_by: str
    created_at: datetime

    @field_validator("note")
    @classmethod
    def _short(cls, v: str) -> str:
        if len(v) > MAX_COMMENT_CHARS:
            raise ValueError(f"a note is at most {MAX_COMMENT_CHARS} characters")
        return v


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m006."""
    db["comments"].create(
        {"id": int, "session_id": str, "turn_idx": int, "author_id": str, "text": str, "created_at": str},
        pk="id", foreign_keys=[("session_id", "sessions", "id"), ("author_id", "users", "id")],
        not_null={"session_id", "turn_idx", "author_id", "text", "created_at"},
    )
    db["comments"].create_index(["session_id", "turn_idx"])
    db["grades"].create(
        {"id": int, "session_id": str, "author_id": str, "scores_json": str, "total": float,
         "note": str, "created_at": str},
        pk="id", foreign_keys=[("session_id", "sessions", "id"), ("author_id", "users", "id")],
        not_null={"session_id", "author_id", "scores_json", "total", "created_at"},
    )
    db["assignments"].create(
        {"id": str, "kind": str, "target_id": str, "style": str, "cohort_id": str, "trainee_id": str,
         "due": str, "note": str, "created_by": str, "created_at": str},
        pk="id", foreign_keys=[("cohort_id", "cohorts", "id"), ("trainee_id", "users", "id"),
                               ("created_by", "users", "id")],
        not_null={"kind", "target_id", "due", "created_by", "created_at"},
    )


@lru_cache(maxsize=1)
def competence_rubric() -> CompetenceRubric:
    return CompetenceRubric.model_validate_json((DATA_DIR / "rubrics" / "cbt_competence.json").read_text("utf-8"))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def add_comment(store: Store, actor: Actor | None, session_id: str, turn_index: int, text: str) -> Comment:
    info = SessionStore(store).session(session_id)
    require_reviewer(store, actor, info.owner)
    text = (text or "").strip()
    if not text:
        raise ValueError("A comment cannot be empty.")
    if len(text) > MAX_COMMENT_CHARS:
        raise ValueError(f"A comment is at most {MAX_COMMENT_CHARS:,} characters (this one has {len(text):,}).")
    if not any(t.index == turn_index for t in SessionStore(store).transcript(session_id)):
        raise ValueError("There is no such turn in this session.")
    row = {"session_id": session_id, "turn_idx": turn_index, "author_id": actor.id, "text": text,
           "created_at": _now()}
    with store.db() as db:
        row["id"] = db["comments"].insert(row).last_pk
    audit(store, actor.id, "comment", {"session_id": session_id, "turn": turn_index, "user_id": info.owner})
    return _comment(row, actor.username)


def comments(store: Store, actor: Actor | None, session_id: str) -> list[Comment]:
    require(store, actor, "read", SessionStore(store).session(session_id).owner)
    with store.db() as db:
        rows = db.execute(
            "select c.id, c.session_id, c.turn_idx, u.username, c.text, c.created_at from comments c "
            "join users u on u.id = c.author_id where c.session_id = ? order by c.turn_idx, c.id",
            [session_id]).fetchall()
    return [Comment(id=r[0], session_id=r[1], turn_index=r[2], author=r[3], text=r[4], created_at=r[5])
            for r in rows]


def _comment(row: dict, author: str) -> Comment:
    return Comment(id=row["id"], session_id=row["session_id"], turn_index=row["turn_idx"],
                   author=author, text=row["text"], created_at=row["created_at"])


def grade(store: Store, actor: Actor | None, session_id: str, scores: dict[str, int], note: str = "") -> Grade:
    info = SessionStore(store).session(session_id)
    require_reviewer(store, actor, info.owner)
    rubric = competence_rubric()
    ids = {item.id for item in rubric.items}
    if set(scores) != ids:
        raise ValueError(f"A grade needs a score for each of: {', '.join(sorted(ids))}.")
    lo, hi = rubric.scale["min"], rubric.scale["max"]
    bad = [k for k, v in scores.items() if not isinstance(v, int) or not lo <= v <= hi]
    if bad:
        raise ValueError(f"Scores run from {lo} to {hi}; check {', '.join(bad)}.")
    if len(note) > MAX_COMMENT_CHARS:
        raise ValueError(f"A note is at most {MAX_COMMENT_CHARS:,} characters.")
    total = round(sum(scores.values()) / (hi * len(ids)) * 100, 1)
    row = {"session_id": session_id, "author_id": actor.id, "scores_json": json.dumps(scores),
           "total": total, "note": note.strip(), "created_at": _now()}
    with store.db() as db:
        db["grades"].insert(row)
    audit(store, actor.id, "grade", {"session_id": session_id, "total": total, "user_id": info.owner})
    return Grade(session_id=session_id, author=actor.username, scores=scores, note=row["note"],
                 total=total, created_at=row["created_at"])


def grades(store: Store, actor: Actor | None, session_id: str) -> list[Grade]:
    """Every grade given to a session, newest first: a regrade never hides the earlier one."""
    require(store, actor, "read", SessionStore(store).session(session_id).owner)
    with store.db() as db:
        rows = db.execute(
            "select g.session_id, u.username, g.scores_json, g.note, g.total, g.created_at from grades g "
            "join users u on u.id = g.author_id where g.session_id = ? order by g.id desc",
            [session_id]).fetchall()
    return [Grade(session_id=r[0], author=r[1], scores=json.loads(r[2]), note=r[3] or "", total=r[4],
                  created_at=r[5]) for r in rows]


def assign(store: Store, actor: Actor | None, kind: str, target_id: str, due: date, *,
           cases, scenarios, style: str | None = None, cohort_id: str | None = None,
           trainee_id: str | None = None, note: str = "") -> Assignment:
    """A supervisor assigns an exercise to a cohort they supervise or to one of its trainees.

    `cases` and `scenarios` are the libraries the target must exist in: a CBT interview needs a
    case and one of its styles; a DEAR MAN exercise needs a scenario.
    """
    if (cohort_id is None) == (trainee_id is None):
        raise ValueError("Assign to a cohort or to one trainee.")
    if kind == "cbt":
        if target_id not in cases:
            raise ValueError(f"There is no case {target_id!r}.")
        if style not in cases.get(target_id).styles:
            raise ValueError(f"{cases.get(target_id).name} is not written for the {style!r} style.")
    elif kind == "dearman":
        if target_id not in scenarios.scenarios:
            raise ValueError(f"There is no DEAR MAN scenario {target_id!r}.")
        style = None
    else:
        raise ValueError("An exercise is a CBT interview or a DEAR MAN conversation.")
    require_assigner(store, actor, cohort_id, trainee_id)
    a = Assignment(id=secrets.token_hex(6), kind=kind, target_id=target_id, style=style,
                   cohort_id=cohort_id, trainee_id=trainee_id, due=due, note=note.strip(),
                   created_by=actor.id, created_at=_now())
    with store.db() as db:
        db["assignments"].insert(a.model_dump(mode="json"))
    audit(store, actor.id, "assignment", {"assignment_id": a.id, "kind": kind, "target": target_id,
                                          "cohort_id": cohort_id, "trainee_id": trainee_id})
    return a


def assignments_for(store: Store, actor: Actor) -> list[Assignment]:
    """What this trainee has been assigned, directly or through a cohort, soonest due first."""
    with store.db() as db:
        rows = db.query(
            "select a.* from assignments a where a.trainee_id = ? or a.cohort_id in "
            "(select cohort_id from cohort_members where user_id = ? and role = 'trainee') "
            "order by a.due", [actor.id, actor.id])
        return [Assignment.model_validate(r) for r in rows]


def assignments_by(store: Store, actor: Actor) -> list[Assignment]:
    with store.db() as db:
        where, args = ("1 = 1", []) if actor.role == "admin" else ("created_by = ?", [actor.id])
        return [Assignment.model_validate(r) for r in db["assignments"].rows_where(where, args, order_by="due")]
