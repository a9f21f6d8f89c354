"""Signing in and out: password checks with lockout, single sign-on by verified email, sign-in
tokens that expire when idle. Tokens are stored hashed, so a copy of the database holds no usable sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlite_utils
from argon2.exceptions import InvalidHashError, VerificationError

from simulator.accounts.actor import Actor
from simulator.accounts.users import (
    LOCK_MINUTES,
    MAX_FAILED_LOGINS,
    AccountError,
    actor_of,
    hasher,
    user_row,
)
from simulator.core import clock
from simulator.core.db import Store


def login(store: Store, username: str, password: str) -> tuple[Actor, str]:
    """Check a password; return the account and a new sign-in token, or raise AccountError.

    Five failed attempts lock the account for fifteen minutes, whatever the password then.
    """
    with store.db() as db, db.conn:
        db.execute("BEGIN IMMEDIATE")
        row = user_row(db, username)
        outcome = _check_login(db, row, password)
        if outcome is None:
            token = secrets.token_urlsafe(32)
            now = clock.now_iso()
            db["logins"].insert({"token_hash": _token_hash(token), "user_id": row["id"],
                                 "created_at": now, "last_seen": now})
            db.execute("update users set last_seen_at = ? where id = ?", [now, row["id"]])
    # Raised after the transaction commits, so a failed attempt is counted.
    if outcome is not None:
        raise outcome
    return actor_of(row), token


def _check_login(db: sqlite_utils.Database, row: dict | None, password: str) -> AccountError | None:
    """Record the attempt; return the error to raise, or None when the password is right."""
    if row is None or not row["active"]:
        hasher.hash(password)  # same work either way, so timing does not reveal usernames
        return AccountError("Wrong username or password.")
    now = clock.now()
    if row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now:
        until = datetime.fromisoformat(row["locked_until"])
        return AccountError(f"Too many failed sign-ins: this account is locked until {until:%H:%M} UTC.")
    try:
        hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        failed = row["failed_logins"] + 1
        if failed >= MAX_FAILED_LOGINS:
            until = (now + timedelta(minutes=LOCK_MINUTES)).isoformat()
            db.execute("update users set failed_logins = 0, locked_until = ? where id = ?", [until, row["id"]])
            return AccountError(f"Too many failed sign-ins: this account is locked for {LOCK_MINUTES} minutes.")
        db.execute("update users set failed_logins = ? where id = ?", [failed, row["id"]])
        return AccountError("Wrong username or password.")
    updates: dict = {"failed_logins": 0, "locked_until": None}
    if hasher.check_needs_rehash(row["password_hash"]):
        updates["password_hash"] = hasher.hash(password)
    db["users"].update(row["id"], updates)
    return None


def login_by_email(store: Store, email: str) -> tuple[Actor, str]:
    """Single sign-on: the identity provider verified the email; map it to an active account."""
    with store.db() as db:
        rows = list(db["users"].rows_where("email = ? and active = 1", [email.strip().lower()]))
        if not rows:
            raise AccountError(f"No Practicum account is linked to {email}. Ask an admin to add it.")
        token = secrets.token_urlsafe(32)
        now = clock.now_iso()
        db["logins"].insert({"token_hash": _token_hash(token), "user_id": rows[0]["id"],
                             "created_at": now, "last_seen": now})
        db.execute("update users set last_seen_at = ? where id = ?", [now, rows[0]["id"]])
        return actor_of(rows[0]), token


def _token_hash(token: str) -> str:
    # Stored hashed, so a copy of the database holds no usable sign-in.
    return hashlib.sha256(token.encode()).hexdigest()


def resume(store: Store, token: str | None, idle_minutes: int) -> Actor | None:
    """The account behind a sign-in token, or None if it is unknown or idle for too long."""
    if not token:
        return None
    now, key = clock.now(), _token_hash(token)
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
            db.execute("update users set last_seen_at = ? where id = ?", [now.isoformat(), rows[0]["id"]])
        return actor_of(rows[0])


def logout(store: Store, token: str | None) -> None:
    if token:
        with store.db() as db:
            db.execute("delete from logins where token_hash = ?", [_token_hash(token)])


