"""The audit log: who did what to whose account or work, and when.

Entries name people by id; `audit_entries` (admins only) joins the usernames back and filters.
Reading someone else's work is recorded by `record_read`, at most once per reader and item in
`READ_WINDOW`, so reruns of a page do not flood the log.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require_admin
from simulator.core.clock import now_iso
from simulator.core.db import Store

READ_WINDOW = 600.0  # seconds
_reads: dict[tuple[str, str], float] = {}
_reads_lock = threading.Lock()


def write_audit(db: sqlite_utils.Database, actor_id: str | None, action: str, details: dict) -> None:
    """Add an entry with the caller's connection (inside its transaction, if one is open)."""
    db.execute("insert into audit_log (at, actor_id, action, details_json) values (?, ?, ?, ?)",
               [now_iso(), actor_id, action, json.dumps(details, sort_keys=True)])


def audit(store: Store, actor_id: str | None, action: str, details: dict) -> None:
    with store.db() as db:
        write_audit(db, actor_id, action, details)
        db.conn.commit()


def record_read(store: Store, actor: Actor | None, owner: str | None, what: str, item_id: str) -> None:
    """A supervisor or admin opened someone else's transcript (or other work): log it."""
    if actor is None or owner is None or owner == actor.id:
        return
    key, now = (actor.id, f"{what}:{item_id}"), time.monotonic()
    with _reads_lock:
        if now - _reads.get(key, -READ_WINDOW) < READ_WINDOW:
            return
        _reads[key] = now
        if len(_reads) > 50_000:
            _reads.clear()
    audit(store, actor.id, "transcript.open", {"what": what, "session_id": item_id, "user_id": owner})


def _who(details: dict) -> str | None:
    return details.get("user_id") or details.get("trainee_id")


def _readable(details: dict, names: dict[str, str]) -> str:
    """The details as `key: value` pairs for a person to read, account and cohort ids shown by name."""
    def value(v) -> str:
        if isinstance(v, str):
            return names.get(v, v)
        if isinstance(v, list):
            return ", ".join(value(x) for x in v)
        if isinstance(v, dict):
            return "; ".join(f"{k} {value(x)}" for k, x in v.items())
        return json.dumps(v)
    return " · ".join(f"{k.replace('_id', '').replace('_', ' ')}: {value(v)}" for k, v in details.items())


def audit_entries(store: Store, actor: Actor | None, limit: int = 500, *, actions: list[str] | None = None,
                  person: str | None = None, since: date | None = None, until: date | None = None,
                  text: str | None = None) -> list[dict]:
    """Newest first, with `actor` (the username of who did it), `about` (whose account or work) and
    `details` as readable text with usernames for account ids.

    Filters: actions (exact names or prefixes ending in '.'), a person (user id) who did it or
    whom it was about, a date range (inclusive, UTC), and text anywhere in the details.
    """
    require_admin(actor)
    where, args = ["1 = 1"], []
    if since:
        where.append("a.at >= ?")
        args.append(since.isoformat())
    if until:
        where.append("a.at < ?")
        args.append((until + timedelta(days=1)).isoformat())
    if actions:
        parts = []
        for name in actions:
            parts.append("a.action like ?" if name.endswith(".") else "a.action = ?")
            args.append(name + "%" if name.endswith(".") else name)
        where.append("(" + " or ".join(parts) + ")")
    if person:
        where.append("(a.actor_id = ? or a.details_json like ?)")
        args += [person, f'%"{person}"%']
    if text:
        where.append("a.details_json like ?")
        args.append(f"%{text}%")
    with store.db() as db:
        names = {i: n for i, n in db.execute("select id, username from users").fetchall()}
        cohorts = {i: n for i, n in db.execute("select id, name from cohorts").fetchall()}
        rows = list(db.query(f"select a.* from audit_log a where {' and '.join(where)} "
                             "order by a.id desc limit ?", [*args, limit]))
    out = []
    for r in rows:
        details = json.loads(r["details_json"])
        about = _who(details)
        out.append({**r, "actor": names.get(r["actor_id"], r["actor_id"] or "(nobody signed in)"),
                    "about": names.get(about, about) if about else "", "details": _readable(details, {**cohorts, **names})})
    return out


# What each action code means, for the admin's audit table and its filter (the log stores codes).
ACTION_WORDS = {
    "assignment": "assigned work", "case.import": "imported cases", "case.save": "saved a case",
    "cohort.create": "created a cohort", "cohort.member": "added someone to a cohort", "cohort.remove": "removed someone from a cohort",
    "comment": "commented on a session", "consent": "changed research consent", "correction": "corrected a score",
    "export": "exported research data", "grade": "graded a session",
    "llm.acknowledge": "acknowledged the language-model notice", "llm.exercise": "allowed or kept the language model from an exercise",
    "password.change": "changed a password", "password.change_refused": "password change refused",
    "password.reset": "reset a password", "retention.purge": "deleted old work (retention)",
    "reveal.reset": "hid a case's reference formulation again", "scenario.save": "saved a scenario",
    "session.assign": "gave an ownerless session to an account", "signin.failure": "sign-in failed", "signin.slowed": "sign-in slowed",
    "signin.success": "signed in", "signout": "signed out", "transcript.open": "opened someone's work",
    "user.active": "enabled or disabled an account", "user.create": "created an account",
    "user.erase": "erased an account", "user.role": "changed a role",
}


def action_words(action: str) -> str:
    """An action code as words; a code with no wording yet shows as itself."""
    return ACTION_WORDS.get(action, action)


def actions(store: Store, actor: Actor | None) -> list[str]:
    require_admin(actor)
    with store.db() as db:
        return [a for (a,) in db.execute("select distinct action from audit_log order by action").fetchall()]
