"""When a formulation may show the reference, and which attempt counts.

The reference is earned, not harvested:

- A formulation is accepted (and the reference shown) only after an interview of at least
  `Settings.reveal_min_turns` trainee turns, and only when it is substantive: at least
  `MIN_FILLED` of the diagram's 8 parts filled in, a text part counting from `MIN_WORDS` words.
- The first submission on a case and situation is the trainee's graded attempt, and it reveals
  the reference. While that reveal stands, every other session of the trainee on the same case
  and situation (open at the time or started later) is repeat practice: a submission is stored
  as such, and an open session is shown as such.
- A supervisor of the trainee (or an admin) may reset the trainee's reveals of a case (audited):
  the next submission on it is a graded attempt again. Earlier labels stay as they were.
"""

from __future__ import annotations

from typing import Literal

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import require_reviewer
from simulator.cbt.formulation.scoring import (
    LIST_FIELDS,
    TEXT_FIELDS,
    Formulation,
    FormulationRejected,
)
from simulator.core.clock import now_iso
from simulator.core.db import Store

Attempt = Literal["graded", "repeat"]
LABEL = {"graded": "Graded attempt", "repeat": "Repeat practice"}
MIN_FILLED = 4
MIN_WORDS = 3


class NotReady(FormulationRejected):
    """Submitted too early (too short an interview) or nearly empty; nothing was stored."""


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m009: reveals, and each submission's attempt (earlier ones filled in by date)."""
    db["formulation_reveals"].create(
        {"id": int, "owner": str, "case_id": str, "situation_index": int, "session_id": str,
         "revealed_at": str, "reset_at": str, "reset_by": str},
        pk="id", not_null={"case_id", "situation_index", "session_id", "revealed_at"},
    )
    db["formulation_reveals"].create_index(["owner", "case_id", "situation_index"])
    db["formulation_submissions"].add_column("attempt", str)
    seen: set[tuple] = set()
    for sub_id, session_id, owner, case_id, situation, at in db.execute(
            "select id, session_id, owner, case_id, situation_index, submitted_at "
            "from formulation_submissions order by submitted_at, id").fetchall():
        key = (owner, case_id, situation)
        attempt = "repeat" if key in seen else "graded"
        if key not in seen:
            seen.add(key)
            db.execute("insert into formulation_reveals (owner, case_id, situation_index, session_id, "
                       "revealed_at) values (?, ?, ?, ?, ?)", [owner, case_id, situation, session_id, at])
        db.execute("update formulation_submissions set attempt = ? where id = ?", [attempt, sub_id])


def filled_parts(formulation: Formulation) -> int:
    text = sum(len(getattr(formulation, f).split()) >= MIN_WORDS for f in TEXT_FIELDS)
    return text + sum(bool(getattr(formulation, f)) for f in LIST_FIELDS)


def trainee_turns(store: Store, session_id: str) -> int:
    with store.db() as db:
        return db.execute("select count(*) from turns where session_id = ? and role = 'therapist'",
                          [session_id]).fetchone()[0]


def check_ready(store: Store, session_id: str, formulation: Formulation, min_turns: int) -> None:
    """Raise NotReady unless the interview was long enough and the formulation substantive."""
    problems = []
    turns = trainee_turns(store, session_id)
    if turns < min_turns:
        problems.append(f"Your interview has {turns} of your turns; a formulation can be submitted (and "
                        f"the reference shown) after at least {min_turns}. Keep interviewing, then submit.")
    filled = filled_parts(formulation)
    if filled < MIN_FILLED:
        problems.append(f"This formulation is nearly empty ({filled} of 8 parts filled in): fill in at least "
                        f"{MIN_FILLED} (a text part counts from {MIN_WORDS} words) before submitting. "
                        "Your first submission on a case and situation is your graded attempt.")
    if problems:
        raise NotReady(problems)


_COVERED = ("exists (select 1 from formulation_reveals r where r.owner is s.owner and r.case_id = s.case_id "
            "and r.situation_index = s.situation_index and r.session_id != s.id "
            "and (r.reset_at is null or r.reset_at > s.created_at))")


def decide(db: sqlite_utils.Database, session_id: str, now: str) -> Attempt:
    """Inside the submission's write transaction: graded (recording the reveal) or repeat."""
    (covered,) = db.execute(f"select {_COVERED} from sessions s where s.id = ?", [session_id]).fetchone()
    if covered:
        return "repeat"
    db.execute("insert into formulation_reveals (owner, case_id, situation_index, session_id, revealed_at) "
               "select owner, case_id, situation_index, id, ? from sessions where id = ?", [now, session_id])
    return "graded"


def labels(store: Store, session_ids: list[str]) -> dict[str, Attempt | None]:
    """Each session's attempt: graded or repeat once submitted; repeat while the reference of its
    case and situation has been seen; None for an open session that would still be graded."""
    if not session_ids:
        return {}
    marks = ",".join("?" for _ in session_ids)
    with store.db() as db:
        rows = db.execute(
            f"select s.id, (select f.attempt from formulation_submissions f where f.session_id = s.id), "
            f"{_COVERED} from sessions s where s.id in ({marks})", session_ids).fetchall()
    return {sid: stored or ("repeat" if covered else None) for sid, stored, covered in rows}


def upcoming(store: Store, owner: str | None, case_id: str, situation_index: int) -> Attempt:
    """What a new session on this case and situation would be."""
    with store.db() as db:
        row = db.execute("select 1 from formulation_reveals where owner is ? and case_id = ? and "
                         "situation_index = ? and reset_at is null", [owner, case_id, situation_index]).fetchone()
    return "repeat" if row else "graded"


def seen_situations(store: Store, owner: str | None, case_id: str) -> list[int]:
    with store.db() as db:
        return [i for (i,) in db.execute(
            "select distinct situation_index from formulation_reveals where owner is ? and case_id = ? "
            "and reset_at is null order by 1", [owner, case_id]).fetchall()]


def reset(store: Store, actor: Actor | None, trainee_id: str, case_id: str) -> int:
    """A supervisor of the trainee (or an admin) resets the trainee's reveals of a case."""
    require_reviewer(store, actor, trainee_id)
    with store.db() as db, db.conn:
        cur = db.execute("update formulation_reveals set reset_at = ?, reset_by = ? where owner = ? and "
                         "case_id = ? and reset_at is null", [now_iso(), actor.id, trainee_id, case_id])
    audit(store, actor.id, "reveal.reset", {"user_id": trainee_id, "case_id": case_id, "reveals": cur.rowcount})
    return cur.rowcount
