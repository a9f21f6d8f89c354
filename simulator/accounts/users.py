"""Local accounts: argon2id passwords, roles, research consent.

Passwords never leave this package in any form but their argon2id hash, and are never logged.
Hashing runs in the bounded pool of simulator.accounts.passwords, before any write transaction.
"""

from __future__ import annotations

import re
import secrets

import sqlite_utils

from simulator.accounts import passwords
from simulator.accounts.actor import Actor, UserRole
from simulator.accounts.audit import audit, write_audit
from simulator.accounts.errors import AccountError
from simulator.accounts.policy import (
    require_account_creator,
    require_admin,
)
from simulator.core.clock import now_iso
from simulator.core.db import Store

__all__ = ["AccountError", "ROLES", "MIN_PASSWORD", "create_user", "set_password", "check_password"]

MIN_PASSWORD = passwords.MIN_LENGTH
ROLES: tuple[UserRole, ...] = ("trainee", "supervisor", "researcher", "admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m002: users, sign-ins, cohorts and the audit log."""
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


def add_last_seen(db: sqlite_utils.Database) -> None:
    """Migration m017_last_seen: when each account was last used (for retention), kept after sign-out."""
    db["users"].add_column("last_seen_at", str)


def actor_of(row: dict) -> Actor:
    return Actor(id=row["id"], username=row["username"], role=row["role"])


def user_row(db: sqlite_utils.Database, username: str) -> dict | None:
    rows = list(db["users"].rows_where("username = ?", [username.strip().lower()]))
    return rows[0] if rows else None


def has_accounts(store: Store) -> bool:
    with store.db() as db:
        return db["users"].count > 0


def check_password(password: str, username: str = "", email: str | None = None) -> None:
    """At least 12 characters and not guessable (zxcvbn, with the username and email in mind)."""
    passwords.check_strength(password, username=username, email=email)


def end_sign_ins(db: sqlite_utils.Database, user_id: str, keep_family: str | None = None) -> int:
    """End every sign-in of `user_id` except `keep_family` (inside the caller's transaction)."""
    if keep_family:
        cur = db.execute("delete from logins where user_id = ? and family != ?", [user_id, keep_family])
        db.execute("delete from signin_handoffs where user_id = ? and family != ?", [user_id, keep_family])
    else:
        cur = db.execute("delete from logins where user_id = ?", [user_id])
        db.execute("delete from signin_handoffs where user_id = ?", [user_id])
    return cur.rowcount


def create_user(store: Store, actor: Actor | None, username: str, password: str, role: UserRole,
                email: str | None = None) -> Actor:
    """Create an account. Only an admin may, except for the very first account (an admin)."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError("A username is 2–40 characters: lower-case letters, digits, '.', '_' or '-'.")
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    check_password(password, username, email)
    password_hash = passwords.hash_password(password)  # before the write transaction, never inside
    with store.write() as db:
        first = db.execute("select count(*) from users").fetchone()[0] == 0
        if first and role != "admin":
            raise AccountError("The first account must be an admin.")
        require_account_creator(actor, first)
        if user_row(db, username):
            raise AccountError(f"The username {username!r} is taken.")
        row = {
            "id": secrets.token_hex(8), "username": username,
            "password_hash": password_hash, "role": role,
            "email": (email or "").strip().lower() or None, "active": 1, "consent": 0,
            "failed_logins": 0, "created_at": now_iso(),
        }
        db.execute(
            f"insert into users ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    audit(store, actor.id if actor else row["id"], "user.create", {"user_id": row["id"], "username": username, "role": role})
    return actor_of(row)


# -- administration -------------------------------------------------------------------------

def list_users(store: Store, actor: Actor | None) -> list[dict]:
    require_admin(actor)
    with store.db() as db:
        return [
            {k: r[k] for k in ("id", "username", "role", "email", "active", "consent", "created_at")}
            for r in db["users"].rows_where(order_by="username")
        ]


def set_role(store: Store, actor: Actor | None, user_id: str, role: UserRole) -> None:
    require_admin(actor)
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.")
    if user_id == actor.id and role != "admin":
        raise AccountError("You cannot remove your own admin role; ask another admin.")
    with store.db() as db:
        db["users"].update(user_id, {"role": role})
    audit(store, actor.id, "user.role", {"user_id": user_id, "role": role})


def set_active(store: Store, actor: Actor | None, user_id: str, active: bool) -> None:
    require_admin(actor)
    if user_id == actor.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    with store.db() as db:
        db["users"].update(user_id, {"active": int(active)})
        if not active:
            db.execute("delete from logins where user_id = ?", [user_id])
    audit(store, actor.id, "user.active", {"user_id": user_id, "active": active})


def set_password(store: Store, actor: Actor | None, user_id: str, password: str) -> int:
    """An admin resets someone's password: every sign-in of that account ends. Returns how many.

    People change their own password with simulator.accounts.signin.change_own_password, which
    asks for the current one.
    """
    require_admin(actor)
    with store.db() as db:
        row = db.execute("select username, email from users where id = ?", [user_id]).fetchone()
    if row is None:
        raise AccountError("There is no such account.")
    check_password(password, row[0], row[1])
    password_hash = passwords.hash_password(password)
    with store.write() as db:
        db.execute("update users set password_hash = ? where id = ?", [password_hash, user_id])
        ended = end_sign_ins(db, user_id)
        write_audit(db, actor.id, "password.reset", {"user_id": user_id, "sign_ins_ended": ended})
    return ended


def set_consent(store: Store, actor: Actor, consent: bool) -> None:
    """A trainee's own choice to be included in research exports; withdrawable at any time."""
    with store.db() as db:
        db["users"].update(actor.id, {"consent": int(consent), "consent_changed_at": now_iso()})
    audit(store, actor.id, "consent", {"consent": consent})


def consent_of(store: Store, user_id: str) -> bool:
    with store.db() as db:
        row = db.execute("select consent from users where id = ?", [user_id]).fetchone()
        return bool(row and row[0])


