"""Cohorts: groups of trainees and the supervisors who review their work."""

from __future__ import annotations

import secrets

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.errors import AccountError
from simulator.accounts.policy import require_admin
from simulator.core.clock import now_iso
from simulator.core.db import Store


def create_cohort(store: Store, actor: Actor | None, name: str) -> str:
    require_admin(actor)
    name = name.strip()
    if not name:
        raise AccountError("A cohort needs a name.")
    cohort_id = secrets.token_hex(6)
    with store.db() as db:
        if db.execute("select 1 from cohorts where name = ?", [name]).fetchone():
            raise AccountError(f"A cohort called {name!r} exists already.")
        db["cohorts"].insert({"id": cohort_id, "name": name, "created_at": now_iso()})
    audit(store, actor.id, "cohort.create", {"cohort": name})
    return cohort_id


def add_member(store: Store, actor: Actor | None, cohort_id: str, user_id: str,
               role: str) -> None:
    require_admin(actor)
    if role not in ("trainee", "supervisor"):
        raise AccountError("A cohort member is a trainee or a supervisor.")
    with store.db() as db:
        db["cohort_members"].upsert({"cohort_id": cohort_id, "user_id": user_id, "role": role},
                                    pk=("cohort_id", "user_id"))
    audit(store, actor.id, "cohort.member", {"cohort_id": cohort_id, "user_id": user_id, "role": role})


def remove_member(store: Store, actor: Actor | None, cohort_id: str, user_id: str) -> None:
    """Take someone out of a cohort. A supervisor loses access to the cohort's trainees at once
    (every access check reads the membership afresh), and a trainee leaves their supervisors' view."""
    require_admin(actor)
    with store.db() as db, db.conn:
        row = db.execute("select role from cohort_members where cohort_id = ? and user_id = ?",
                         [cohort_id, user_id]).fetchone()
        if row is None:
            raise AccountError("That person is not in this cohort.")
        db.execute("delete from cohort_members where cohort_id = ? and user_id = ?", [cohort_id, user_id])
    audit(store, actor.id, "cohort.remove", {"cohort_id": cohort_id, "user_id": user_id, "role": row[0]})


def cohorts(store: Store) -> list[dict]:
    with store.db() as db:
        return list(db["cohorts"].rows_where(order_by="name"))


def cohort_members(store: Store, cohort_id: str) -> list[dict]:
    with store.db() as db:
        return [dict(zip(("user_id", "username", "role"), r)) for r in db.execute(
            "select m.user_id, u.username, m.role from cohort_members m join users u on u.id = m.user_id "
            "where m.cohort_id = ? order by m.role, u.username", [cohort_id]).fetchall()]


def supervised_trainees(store: Store, supervisor: Actor) -> list[dict]:
    """Trainees whose work this actor may review: their cohorts' trainees, or all for an admin."""
    with store.db() as db:
        if supervisor.role == "admin":
            sql, args = "select id, username from users where role = 'trainee' order by username", []
        else:
            sql = ("select distinct u.id, u.username from cohort_members s join cohort_members t "
                   "on s.cohort_id = t.cohort_id join users u on u.id = t.user_id "
                   "where s.user_id = ? and s.role = 'supervisor' and t.role = 'trainee' order by u.username")
            args = [supervisor.id]
        return [{"id": i, "username": n} for i, n in db.execute(sql, args).fetchall()]


