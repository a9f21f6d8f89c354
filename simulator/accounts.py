"""Local accounts: argon2id passwords, lockout after failed logins, idle-expiring sign-ins, cohorts.

Passwords never leave this module in any form but their argon2id hash, and are never logged.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .access import AccessDenied
from .schema import Actor, UserRole
from .store import Store

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
ROLES: tuple[UserRole, ...] = ("trainee", "supervisor", "researcher", "admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(ValueError):
    """A problem with an account request; the message is fit to show the user."""


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m002."""
    db["users"].create(
        {
            "id": str, "username": str, "password_hash": str, "role": str, "email": str,
            "active": int, "consent": int, "consent_changed_at": str, "failed_logins": int,
            "locked_until": str, "created_at": str,
        },
        pk="id", not_null={"username", "role", "active", "consent", "failed_logins", "created_at"},
        defaults={"active": 1, "consent": 0, "failed_logins": 0},
    )
    db["users"].create_index(["username"], unique=True)
    db["logins"].create(
        {"token_hash": str, "user_id": str, "created_at": str, "last_seen": str},
        pk="token_hash", foreign_keys=[("user_id", "users", "id")],
    )
    db["cohorts"].create({"id": str, "name": str, "created_at": str}, pk="id", not_null={"name"})
    db["cohorts"].create_index(["name"], unique=True)
    db["cohort_members"].create(
        {"cohort_id": str, "user_id": str, "role": str},
        pk=("cohort_id", "user_id"),
        foreign_keys=[("cohort_id", "cohorts", "id"), ("user_id", "users", "id")],
    )
    db["audit_log"].create(
        {"id": int, "at": str, "actor_id": str, "action": str, "details_json": str}, pk="id",
    )


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _actor(row: dict) -> Actor:
    return Actor(id=row["id"], username=row["username"], role=row["role"])


def _user_row(db: sqlite_utils.Database, username: str) -> dict | None:
    rows = list(db["users"].rows_where("username = ?", [username.strip().lower()]))
    return rows[0] if rows else None


def has_accounts(store: Store) -> bool:
    with store.db() as db:
        return db["users"].count > 0


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > 1024:
        raise AccountError("That password is too long.")


def create_user(store: Store, actor: Actor | None, username: str, password: str, role: UserRole,
                email: str | None = None) -> Actor:
    """Create an account. Only an admin may, except for the very first account (an admin)."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError("A username is 2–40 characters: lower-case letters, digits, '.', '_' or '-'.")
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    check_password(password)
    with store.db() as db, db.conn:
        db.execute("BEGIN IMMEDIATE")
        first = db.execute("select count(*) from users").fetchone()[0] == 0
        if first and role != "admin":
            raise AccountError("The first account must be an admin.")
        if not first and (actor is None or actor.role != "admin"):
            raise AccessDenied("Only an admin can create accounts.")
        if _user_row(db, username):
            raise AccountError(f"The username {username!r} is taken.")
        row = {
            "id": secrets.token_hex(8), "username": username,
            "password_hash": _hasher.hash(password), "role": role,
            "email": (email or "").strip().lower() or None, "active": 1, "consent": 0,
            "failed_logins": 0, "created_at": _now().isoformat(),
        }
        db.execute(
            f"insert into users ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    audit(store, actor.id if actor else row["id"], "user.create", {"username": username, "role": role})
    return _actor(row)


def login(store: Store, username: str, password: str) -> tuple[Actor, str]:
    """Check a password; return the account and a new sign-in token, or raise AccountError.

    Five failed attempts lock the account for fifteen minutes, whatever the password then.
    """
    with store.db() as db, db.conn:
        db.execute("BEGIN IMMEDIATE")
        row = _user_row(db, username)
        outcome = _check_login(db, row, password)
        if outcome is None:
            token = secrets.token_urlsafe(32)
            now = _now().isoformat()
            db["logins"].insert({"token_hash": _token_hash(token), "user_id": row["id"],
                                 "created_at": now, "last_seen": now})
    # Raised after the transaction commits, so a failed attempt is counted.
    if outcome is not None:
        raise outcome
    return _actor(row), token


def _check_login(db: sqlite_utils.Database, row: dict | None, password: str) -> AccountError | None:
    """Record the attempt; return the error to raise, or None when the password is right."""
    if row is None or not row["active"]:
        _hasher.hash(password)  # same work either way, so timing does not reveal usernames
        return AccountError("Wrong username or password.")
    now = _now()
    if row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now:
        until = datetime.fromisoformat(row["locked_until"])
        return AccountError(f"Too many failed sign-ins: this account is locked until {until:%H:%M} UTC.")
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        failed = row["failed_logins"] + 1
        if failed >= MAX_FAILED_LOGINS:
            until = (now + timedelta(minutes=LOCK_MINUTES)).isoformat()
            db.execute("update users set failed_logins = 0, locked_until = ? where id = ?", [until, row["id"]])
            return AccountError(f"Too many failed sign-ins: this account is locked for {LOCK_MINUTES} minutes.")
        db.execute("update users set failed_logins = ? where id = ?", [failed, row["id"]])
        return AccountError("Wrong username or password.")
    updates: dict = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(row["password_hash"]):
        updates["password_hash"] = _hasher.hash(password)
    db["users"].update(row["id"], updates)
    return None


def login_by_email(store: Store, email: str) -> tuple[Actor, str]:
    """Single sign-on: the identity provider verified the email; map it to an active account."""
    with store.db() as db:
        rows = list(db["users"].rows_where("email = ? and active = 1", [email.strip().lower()]))
        if not rows:
            raise AccountError(f"No Practicum account is linked to {email}. Ask an admin to add it.")
        token = secrets.token_urlsafe(32)
        now = _now().isoformat()
        db["logins"].insert({"token_hash": _token_hash(token), "user_id": rows[0]["id"],
                             "created_at": now, "last_seen": now})
        return _actor(rows[0]), token


def _token_hash(token: str) -> str:
    # Stored hashed, so a copy of the database holds no usable sign-in.
    return hashlib.sha256(token.encode()).hexdigest()


def resume(store: Store, token: str | None, idle_minutes: int) -> Actor | None:
    """The account behind a sign-in token, or None if it is unknown or idle for too long."""
    if not token:
        return None
    now, key = _now(), _token_hash(token)
    with store.db() as db:
        rows = list(db.query("select u.*, l.last_seen from logins l join users u on u.id = l.user_id "
                             "where l.token_hash = ? and u.active = 1", [key]))
        if not rows:
            return None
        idle = now - datetime.fromisoformat(rows[0]["last_seen"])
        if idle > timedelta(minutes=idle_minutes):
            db.execute("delete from logins where token_hash = ?", [key])
            return None
        # Every page interaction passes here: record activity at most once a minute, not per rerun.
        if idle > timedelta(minutes=1):
            db.execute("update logins set last_seen = ? where token_hash = ?", [now.isoformat(), key])
        return _actor(rows[0])


def logout(store: Store, token: str | None) -> None:
    if token:
        with store.db() as db:
            db.execute("delete from logins where token_hash = ?", [_token_hash(token)])


# -- administration -------------------------------------------------------------------------

def _require_admin(actor: Actor | None) -> None:
    if actor is None or actor.role != "admin":
        raise AccessDenied("Only an admin can manage accounts.")


def list_users(store: Store, actor: Actor | None) -> list[dict]:
    _require_admin(actor)
    with store.db() as db:
        return [
            {k: r[k] for k in ("id", "username", "role", "email", "active", "consent", "locked_until", "created_at")}
            for r in db["users"].rows_where(order_by="username")
        ]


def set_role(store: Store, actor: Actor | None, user_id: str, role: UserRole) -> None:
    _require_admin(actor)
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.")
    if user_id == actor.id and role != "admin":
        raise AccountError("You cannot remove your own admin role; ask another admin.")
    with store.db() as db:
        db["users"].update(user_id, {"role": role})
    audit(store, actor.id, "user.role", {"user_id": user_id, "role": role})


def set_active(store: Store, actor: Actor | None, user_id: str, active: bool) -> None:
    _require_admin(actor)
    if user_id == actor.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    with store.db() as db:
        db["users"].update(user_id, {"active": int(active)})
        if not active:
            db.execute("delete from logins where user_id = ?", [user_id])
    audit(store, actor.id, "user.active", {"user_id": user_id, "active": active})


def set_password(store: Store, actor: Actor | None, user_id: str, password: str) -> None:
    if actor is None or (actor.id != user_id and actor.role != "admin"):
        raise AccessDenied("Only the account's owner or an admin can change its password.")
    check_password(password)
    with store.db() as db:
        db["users"].update(user_id, {"password_hash": _hasher.hash(password), "failed_logins": 0,
                                     "locked_until": None})
    audit(store, actor.id, "user.password", {"user_id": user_id})


def set_consent(store: Store, actor: Actor, consent: bool) -> None:
    """A trainee's own choice to be included in research exports; withdrawable at any time."""
    with store.db() as db:
        db["users"].update(actor.id, {"consent": int(consent), "consent_changed_at": _now().isoformat()})
    audit(store, actor.id, "consent", {"consent": consent})


def consent_of(store: Store, user_id: str) -> bool:
    with store.db() as db:
        row = db.execute("select consent from users where id = ?", [user_id]).fetchone()
        return bool(row and row[0])


# -- cohorts --------------------------------------------------------------------------------

def create_cohort(store: Store, actor: Actor | None, name: str) -> str:
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise AccountError("A cohort needs a name.")
    cohort_id = secrets.token_hex(6)
    with store.db() as db:
        if db.execute("select 1 from cohorts where name = ?", [name]).fetchone():
            raise AccountError(f"A cohort called {name!r} exists already.")
        db["cohorts"].insert({"id": cohort_id, "name": name, "created_at": _now().isoformat()})
    audit(store, actor.id, "cohort.create", {"cohort": name})
    return cohort_id


def add_member(store: Store, actor: Actor | None, cohort_id: str, user_id: str,
               role: str) -> None:
    _require_admin(actor)
    if role not in ("trainee", "supervisor"):
        raise AccountError("A cohort member is a trainee or a supervisor.")
    with store.db() as db:
        db["cohort_members"].upsert({"cohort_id": cohort_id, "user_id": user_id, "role": role},
                                    pk=("cohort_id", "user_id"))
    audit(store, actor.id, "cohort.member", {"cohort_id": cohort_id, "user_id": user_id, "role": role})


def cohorts(store: Store) -> list[dict]:
    with store.db() as db:
        return list(db["cohorts"].rows_where(order_by="name"))


def cohort_members(store: Store, cohort_id: str) -> list[dict]:
    with store.db() as db:
        return [dict(zip(("user_id", "username", "role"), r)) for r in db.execute(
            "select m.user_id, u.username, m.role from cohort_members m join users u on u.id = m.user_id "
            "where m.cohort_id = ? order by m.role, u.username", [cohort_id]).fetchall()]


def supervises(store: Store, supervisor_id: str, trainee_id: str) -> bool:
    with store.db() as db:
        return db.execute(
            "select 1 from cohort_members s join cohort_members t on s.cohort_id = t.cohort_id "
            "where s.user_id = ? and s.role = 'supervisor' and t.user_id = ? and t.role = 'trainee'",
            [supervisor_id, trainee_id],
        ).fetchone() is not None


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


# -- audit ----------------------------------------------------------------------------------

def audit(store: Store, actor_id: str | None, action: str, details: dict) -> None:
    import json

    with store.db() as db:
        db["audit_log"].insert({"at": _now().isoformat(), "actor_id": actor_id, "action": action,
                                "details_json": json.dumps(details, sort_keys=True)})


def audit_entries(store: Store, actor: Actor | None, limit: int = 500) -> list[dict]:
    _require_admin(actor)
    with store.db() as db:
        return list(db["audit_log"].rows_where(order_by="id desc", limit=limit))


def ownerless_sessions(store: Store, actor: Actor | None) -> list[dict]:
    """Sessions made before accounts existed, for an admin to hand to their owners."""
    _require_admin(actor)
    with store.db() as db:
        return list(db["sessions"].rows_where("owner is null", select="id, case_id, style, created_at",
                                              order_by="created_at"))


def assign_session(store: Store, actor: Actor | None, session_id: str, user_id: str) -> None:
    _require_admin(actor)
    with store.db() as db, db.conn:
        db.execute("BEGIN IMMEDIATE")
        if not db.execute("select 1 from users where id = ?", [user_id]).fetchone():
            raise AccountError("No such account.")
        cur = db.execute("update sessions set owner = ? where id = ? and owner is null", [user_id, session_id])
        if cur.rowcount != 1:
            raise AccountError("That session has an owner already, or does not exist.")
        # The session's formulation work goes with it, so progress and exports find it.
        for table in ("formulation_drafts", "formulation_submissions"):
            db.execute(f"update {table} set owner = ? where session_id = ? and owner is null", [user_id, session_id])
    audit(store, actor.id, "session.assign", {"session_id": session_id, "user_id": user_id})
