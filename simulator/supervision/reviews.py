"""Supervision: comments on single turns, competence grades, assignments with due dates."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import date, datetime, timezone
from typing import Literal

import sqlite_utils
from pydantic import BaseModel, ConfigDict, field_validator

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import (
    AccessDenied,
    require,
    require_assigner,
    require_reviewer,
)

# The rubric lives with the interview report that scores it; supervisors grade with the same file.
from simulator.cbt.report.competence import (  # noqa: F401
    CompetenceRubric,
    RubricItem,
    competence_rubric,
)
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2000


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
    rubric_version: int = 1  # the rubric version the grade was given under (its items)


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
    # Whether the trainee sees live interview counts while practising this assignment.
    live_counts: bool = False

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


def add_versions_and_live_counts(db: sqlite_utils.Database) -> None:
    """Migration m012: grades keep the rubric version they were given under (earlier grades were
    given under version 1); assignments say whether live counts are shown (off by default)."""
    db["grades"].add_column("rubric_version", int, not_null_default=1)
    db["assignments"].add_column("live_counts", int, not_null_default=0)


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
    ids = {item.id for item in rubric.items_of()}
    unknown = set(scores) - ids
    if unknown:
        raise ValueError(f"The rubric has no item {', '.join(sorted(unknown))}.")
    if not scores:
        raise ValueError("Score at least one item: an item left unset is not graded.")
    lo, hi = rubric.scale["min"], rubric.scale["max"]
    bad = [k for k, v in scores.items() if not isinstance(v, int) or not lo <= v <= hi]
    if bad:
        raise ValueError(f"Scores run from {lo} to {hi}; check {', '.join(bad)}.")
    if len(note) > MAX_COMMENT_CHARS:
        raise ValueError(f"A note is at most {MAX_COMMENT_CHARS:,} characters.")
    # Items left unset are not scored: the total is over the items the supervisor graded.
    total = round(sum(scores.values()) / (hi * len(scores)) * 100, 1)
    row = {"session_id": session_id, "author_id": actor.id, "scores_json": json.dumps(scores),
           "total": total, "note": note.strip(), "created_at": _now(), "rubric_version": rubric.version}
    with store.db() as db:
        db["grades"].insert(row)
    audit(store, actor.id, "grade", {"session_id": session_id, "total": total, "user_id": info.owner})
    return Grade(session_id=session_id, author=actor.username, scores=scores, note=row["note"],
                 total=total, created_at=row["created_at"], rubric_version=rubric.version)


def create_seen_table(db: sqlite_utils.Database) -> None:
    """Migration m018_feedback_seen: when a trainee last read each of their sessions, so new
    comments and grades can be pointed out."""
    db["feedback_seen"].create({"session_id": str, "owner": str, "seen_at": str}, pk=("session_id", "owner"),
                               foreign_keys=[("session_id", "sessions", "id")])


def mark_seen(store: Store, actor: Actor | None, session_id: str, owner: str | None) -> None:
    """The session's owner has just read it, comments and grades included."""
    if actor is None or owner != actor.id:
        return
    with store.db() as db:
        db["feedback_seen"].upsert({"session_id": session_id, "owner": actor.id, "seen_at": _now()},
                                   pk=("session_id", "owner"))


def unseen_feedback(store: Store, actor: Actor | None, session_ids: list[str]) -> dict[str, int]:
    """Comments and grades on the actor's own sessions that arrived after they last read them."""
    if actor is None or not session_ids:
        return {}
    marks = ",".join("?" for _ in session_ids)
    with store.db() as db:
        rows = db.execute(
            f"select x.session_id, count(*) from (select session_id, created_at from comments union all "
            f"select session_id, created_at from grades) x join sessions s on s.id = x.session_id "
            f"left join feedback_seen f on f.session_id = x.session_id and f.owner = s.owner "
            f"where x.session_id in ({marks}) and s.owner = ? and (f.seen_at is null or x.created_at > f.seen_at) "
            f"group by x.session_id", [*session_ids, actor.id]).fetchall()
    return dict(rows)


def grades(store: Store, actor: Actor | None, session_id: str) -> list[Grade]:
    """Every grade given to a session, newest first: a regrade never hides the earlier one."""
    require(store, actor, "read", SessionStore(store).session(session_id).owner)
    with store.db() as db:
        rows = db.execute(
            "select g.session_id, u.username, g.scores_json, g.note, g.total, g.created_at, g.rubric_version "
            "from grades g join users u on u.id = g.author_id where g.session_id = ? order by g.id desc",
            [session_id]).fetchall()
    return [Grade(session_id=r[0], author=r[1], scores=json.loads(r[2]), note=r[3] or "", total=r[4],
                  created_at=r[5], rubric_version=r[6]) for r in rows]


def assign(store: Store, actor: Actor | None, kind: str, target_id: str, due: date, *,
           cases, scenarios, style: str | None = None, cohort_id: str | None = None,
           trainee_id: str | None = None, note: str = "", live_counts: bool = False) -> Assignment:
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
                   created_by=actor.id, created_at=_now(), live_counts=live_counts)
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


class Completion(BaseModel):
    """One trainee's progress on an assignment: done once a session of the exercise has ended."""

    trainee_id: str
    username: str
    done_at: datetime | None = None


def completions(store: Store, actor: Actor | None, assignment_id: str) -> list[Completion]:
    """Who an assignment is for, and when each finished it. The trainee sees their own line; the
    supervisor who set it (or an admin) sees everyone's.

    A CBT interview counts once a session on the case ends after the assignment was set (started
    from it or not); a DEAR MAN conversation once one on the scenario ends after it was set.
    """
    a = assignment(store, assignment_id)
    with store.db() as db:
        if a.trainee_id:
            people = db.execute("select id, username from users where id = ?", [a.trainee_id]).fetchall()
        else:
            people = db.execute("select u.id, u.username from cohort_members m join users u on u.id = m.user_id "
                                "where m.cohort_id = ? and m.role = 'trainee' order by u.username",
                                [a.cohort_id]).fetchall()
        table, column = ("sessions", "case_id") if a.kind == "cbt" else ("dearman_sessions", "scenario_id")
        done = dict(db.execute(
            f"select owner, min(ended_at) from {table} where {column} = ? and status = 'ended' "
            "and ended_at is not null and created_at >= ? group by owner",
            [a.target_id, a.created_at.isoformat()]).fetchall())
    mine = actor is not None and actor.role not in ("supervisor", "admin")
    if actor is None or (not mine and actor.role != "admin" and actor.id != a.created_by):
        raise AccessDenied("Only the supervisor who set this assignment can see who has done it.")
    rows = [Completion(trainee_id=i, username=u, done_at=done.get(i)) for i, u in people]
    return [r for r in rows if r.trainee_id == actor.id] if mine else rows


def assignment(store: Store, assignment_id: str) -> Assignment:
    """One assignment by id (no access check: callers check what they do with it)."""
    with store.db() as db:
        rows = list(db["assignments"].rows_where("id = ?", [assignment_id]))
    if not rows:
        raise KeyError(f"There is no assignment {assignment_id!r}.")
    return Assignment.model_validate(rows[0])


def assigned_to(store: Store, actor: Actor | None, assignment_id: str) -> Assignment:
    """The assignment, if it is assigned to this actor (directly or through a cohort)."""
    if actor is None or not any(a.id == assignment_id for a in assignments_for(store, actor)):
        raise AccessDenied("That assignment is not yours.")
    return assignment(store, assignment_id)


def set_live_counts(store: Store, actor: Actor | None, assignment_id: str, on: bool) -> Assignment:
    """Show or hide live interview counts for an assignment: its author or an admin decides."""
    a = assignment(store, assignment_id)
    if actor is None or (actor.role != "admin" and actor.id != a.created_by):
        raise AccessDenied("Only the supervisor who set this assignment can change it.")
    with store.db() as db:
        db["assignments"].update(assignment_id, {"live_counts": int(on)})
    return a.model_copy(update={"live_counts": on})


def live_counts_allowed(store: Store, assignment_id: str | None) -> bool:
    """Free practice may always show live counts; an assigned session only if its assignment says so."""
    if assignment_id is None:
        return True
    try:
        return assignment(store, assignment_id).live_counts
    except KeyError:
        log.warning("session names assignment %s, which no longer exists: live counts allowed", assignment_id)
        return True
