"""Signing in and out: password checks that slow guessing down without locking anyone out,
single sign-on by verified email, and sign-ins that end when idle, after an absolute lifetime,
at sign-out, and when the password changes.

A sign-in is a *family* of tokens: the one the page that signed in keeps on the server, and the
one the browser's HttpOnly cookie carries (made from a one-time hand-over code, see `handoff`).
Tokens, hand-over codes and device tokens are stored hashed, so a copy of the database holds no
usable sign-in.

Password hashing never runs inside a database transaction: the attempt reads what it needs,
hashes in the bounded pool (simulator.accounts.passwords), then writes its outcome in one short
transaction. Unknown usernames, wrong passwords and slowed attempts all get `GENERIC` after the
same time.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from datetime import datetime, timedelta

import sqlite_utils

from simulator.accounts import passwords, throttle
from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit, write_audit
from simulator.accounts.errors import AccountError
from simulator.accounts.users import actor_of, end_sign_ins, user_row
from simulator.core import clock
from simulator.core.db import Store

log = logging.getLogger(__name__)

GENERIC = ("Wrong username or password, or too many recent attempts on this account: check them "
           "and try again in a minute.")
LIFETIME_HOURS = 12  # a sign-in ends this long after it began, whatever the activity
HANDOFF_SECONDS = 60  # a hand-over code is good for this long, once
DEVICE_DAYS = 180
MAX_USERNAME = 64
MAX_PASSWORD_INPUT = 4096


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m008: sign-in families, hand-over codes, known browsers, the throttle."""
    db["logins"].add_column("family", str)
    db["logins"].create_index(["family"])
    db["logins"].create_index(["user_id"])
    db.execute("update logins set family = token_hash where family is null")
    db["signin_handoffs"].create(
        {"code_hash": str, "family": str, "user_id": str, "created_at": str, "expires_at": float},
        pk="code_hash", not_null={"family", "user_id", "created_at", "expires_at"},
    )
    db["devices"].create(
        {"token_hash": str, "user_id": str, "created_at": str, "last_used": str},
        pk=("token_hash", "user_id"), foreign_keys=[("user_id", "users", "id")],
    )
    throttle.create_tables(db)
    db["audit_log"].create_index(["at"])


def _hash(token: str) -> str:
    # Stored hashed, so a copy of the database holds no usable sign-in.
    return hashlib.sha256(token.encode()).hexdigest()


def _new_login(db: sqlite_utils.Database, user_id: str, family: str | None = None,
               created_at: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    now = clock.now_iso()
    db["logins"].insert({"token_hash": _hash(token), "user_id": user_id, "created_at": created_at or now,
                         "last_seen": now, "family": family or _hash(token)})
    db.execute("update users set last_seen_at = ? where id = ?", [now, user_id])  # for retention
    return token


# -- password sign-in ---------------------------------------------------------------------

_slowed_noted: dict[str, float] = {}  # database and key -> end of the wait already in the audit log
_slowed_lock = threading.Lock()


def _device_hash(db: sqlite_utils.Database, device: str | None, user_id: str) -> str | None:
    """The stored hash of `device` if that browser has signed in to `user_id` before."""
    if not device:
        return None
    digest = _hash(device)
    found = db.execute("select 1 from devices where token_hash = ? and user_id = ?", [digest, user_id]).fetchone()
    return digest if found else None


def _keys(username: str, known_device: str | None, client: str | None) -> tuple[list[str], list[str], list[str]]:
    """(every throttle key of the attempt, the keys a success clears, the keys it only forgives)."""
    if known_device:
        key = throttle.device_key(known_device)
        return [key], [key], []
    account = throttle.username_key(username)
    shared = [throttle.client_key(client)] if client else []
    return [account, *shared], [account], shared


def login(store: Store, username: str, password: str, *, device: str | None = None,
          client: str | None = None) -> tuple[Actor, str]:
    """Check a password; return the account and a new sign-in token, or raise AccountError(GENERIC).

    `device` is the browser's device token (set at an earlier sign-in), `client` the client's
    address from a trusted proxy header; both are optional.
    """
    started = time.perf_counter()
    name = (username or "").strip().lower()[:MAX_USERNAME]
    password = (password or "")[:MAX_PASSWORD_INPUT]
    now = clock.now().timestamp()
    with store.db() as db:  # reads only: a slowed attempt writes nothing
        row = user_row(db, name) if name else None
        known = _device_hash(db, device, row["id"]) if row else None
        keys, clears, forgives = _keys(name, known, client)
        wait = throttle.wait_left(db, keys, now)
    claimed = None
    if wait == 0:
        with store.write() as db:  # counted before hashing; no lock is held while hashing
            claimed = throttle.claim(db, keys, now)
    if claimed is None:
        _note_slowed(store, keys, row, now + max(wait, 1.0))
        passwords.pad(started)
        raise AccountError(GENERIC)
    priority = passwords.PRIORITY_KNOWN if known else passwords.PRIORITY_OTHER
    right = passwords.verify(row["password_hash"] if row else None, password, priority)
    if not (right and row["active"]):
        about = {"user_id": row["id"]} if row else {"account": "unknown"}
        audit(store, None, "signin.failure", {**about, "wait_seconds": round(claimed, 1)})
        raise AccountError(GENERIC)
    upgraded = passwords.hash_password(password, priority) if passwords.needs_rehash(row["password_hash"]) else None
    with store.write() as db:
        throttle.clear(db, clears)
        throttle.forgive(db, forgives, now)
        token = _new_login(db, row["id"])
        if upgraded:
            db.execute("update users set password_hash = ? where id = ?", [upgraded, row["id"]])
        if known:
            db.execute("update devices set last_used = ? where token_hash = ? and user_id = ?",
                       [clock.now_iso(), known, row["id"]])
        write_audit(db, row["id"], "signin.success", {"user_id": row["id"], "known_browser": bool(known)})
    return actor_of(row), token


def _note_slowed(store: Store, keys: list[str], row: dict | None, until: float) -> None:
    """Write one audit entry per wait (not one per refused attempt: a storm must not write)."""
    key = f"{store.path}:{keys[0]}"
    with _slowed_lock:
        if _slowed_noted.get(key, 0) >= until - 0.001:
            return
        _slowed_noted[key] = until
        if len(_slowed_noted) > 10_000:
            _slowed_noted.clear()
    about = {"user_id": row["id"]} if row else {"account": "unknown"}
    audit(store, None, "signin.slowed", {**about, "wait_seconds": round(until - clock.now().timestamp(), 1)})


def login_by_email(store: Store, email: str) -> tuple[Actor, str]:
    """Single sign-on: the identity provider verified the email; map it to an active account."""
    with store.write() as db:
        rows = list(db["users"].rows_where("email = ? and active = 1", [email.strip().lower()]))
        if not rows:
            raise AccountError(f"No Practicum account is linked to {email}. Ask an admin to add it.")
        token = _new_login(db, rows[0]["id"])
        write_audit(db, rows[0]["id"], "signin.success", {"user_id": rows[0]["id"], "single_sign_on": True})
    return actor_of(rows[0]), token


# -- the browser's cookie -----------------------------------------------------------------

def handoff(store: Store, token: str) -> str:
    """A one-time code, good for a minute, that the browser exchanges for its own cookie token
    in the same sign-in (POST /auth/cookie). The page carries only this code, never a token."""
    code = secrets.token_urlsafe(24)
    with store.db() as db:
        row = db.execute("select user_id, family from logins where token_hash = ?", [_hash(token)]).fetchone()
        if row is None:
            raise AccountError("That sign-in has ended; please sign in again.")
        now = clock.now().timestamp()
        db.execute("delete from signin_handoffs where expires_at < ?", [now])
        db["signin_handoffs"].insert({"code_hash": _hash(code), "family": row[1], "user_id": row[0],
                                      "created_at": clock.now_iso(), "expires_at": now + HANDOFF_SECONDS})
    return code


def redeem(store: Store, code: str, *, old_token: str | None = None,
           device: str | None = None) -> tuple[str, str | None]:
    """Exchange a hand-over code for (a new cookie token, a device token to set or None).

    The code works once and for a minute. The cookie token is new (rotated at every sign-in) and
    belongs to the same sign-in, so it ends with it; a token the browser carried before, from an
    earlier sign-in, is ended. A browser without a device token for this account gets one.
    """
    now = clock.now().timestamp()
    with store.write() as db:
        row = db.execute("select family, user_id, expires_at from signin_handoffs where code_hash = ?",
                         [_hash(code or "")]).fetchone()
        db.execute("delete from signin_handoffs where code_hash = ? or expires_at < ?", [_hash(code or ""), now])
        if row is None or row[2] < now:
            raise AccountError("That sign-in link has expired; please sign in again.")
        family, user_id, _ = row
        began = db.execute("select min(created_at) from logins where family = ?", [family]).fetchone()[0]
        if began is None:
            raise AccountError("That sign-in has ended; please sign in again.")
        if old_token:
            db.execute("delete from logins where token_hash = ? and family != ?", [_hash(old_token), family])
        token = _new_login(db, user_id, family=family, created_at=began)
        new_device = None
        if _device_hash(db, device, user_id) is None:
            new_device = device if device and len(device) >= 32 else secrets.token_urlsafe(32)
            db["devices"].upsert({"token_hash": _hash(new_device), "user_id": user_id,
                                  "created_at": clock.now_iso(), "last_used": clock.now_iso()},
                                 pk=("token_hash", "user_id"))
        db.execute("delete from devices where last_used < ?",
                   [(clock.now() - timedelta(days=DEVICE_DAYS)).isoformat()])
    return token, new_device


# -- staying signed in, and ending ----------------------------------------------------------

def resume(store: Store, token: str | None, idle_minutes: int,
           lifetime_hours: float = LIFETIME_HOURS) -> Actor | None:
    """The account behind a sign-in token, or None if it is unknown, idle for too long, or older
    than the absolute lifetime."""
    if not token:
        return None
    now, key = clock.now(), _hash(token)
    with store.db() as db:
        rows = list(db.query("select u.*, l.last_seen, l.created_at as began from logins l "
                             "join users u on u.id = l.user_id where l.token_hash = ? and u.active = 1", [key]))
        if not rows:
            return None
        idle = now - datetime.fromisoformat(rows[0]["last_seen"])
        age = now - datetime.fromisoformat(rows[0]["began"])
        if idle > timedelta(minutes=idle_minutes) or age > timedelta(hours=lifetime_hours):
            db.execute("delete from logins where token_hash = ?", [key])
            return None
        # Every page interaction passes here: record activity at most once a minute, not per rerun.
        if idle > timedelta(minutes=1):
            db.execute("update logins set last_seen = ? where token_hash = ?", [now.isoformat(), key])
            db.execute("update users set last_seen_at = ? where id = ?", [now.isoformat(), rows[0]["id"]])
        return actor_of(rows[0])


def logout(store: Store, token: str | None) -> None:
    """End the whole sign-in this token belongs to (the page's token and the cookie's)."""
    if not token:
        return
    with store.write() as db:
        row = db.execute("select user_id, family from logins where token_hash = ?", [_hash(token)]).fetchone()
        if row is None:
            return
        db.execute("delete from logins where family = ?", [row[1]])
        write_audit(db, row[0], "signout", {"user_id": row[0]})


def family_of(store: Store, token: str | None) -> str | None:
    if not token:
        return None
    with store.db() as db:
        row = db.execute("select family from logins where token_hash = ?", [_hash(token)]).fetchone()
    return row[0] if row else None


# -- passwords ------------------------------------------------------------------------------

def change_own_password(store: Store, actor: Actor, current: str, new: str, token: str | None) -> int:
    """The signed-in person changes their password: the current one is checked (and slowed down
    like a sign-in), the new one must be strong; every other sign-in ends. Returns how many."""
    started = time.perf_counter()
    now = clock.now().timestamp()
    keys = [throttle.username_key(actor.username)]
    refused = ("Your current password is not right, or there were too many attempts just now: try "
               "again in a minute.")
    with store.db() as db:
        row = user_row(db, actor.username)
    if row is None or row["id"] != actor.id:
        raise AccountError("This account no longer exists.")
    passwords.check_strength(new, username=actor.username, email=row["email"])
    if new == current:
        raise AccountError("The new password is the same as the current one.")
    with store.write() as db:  # the current password is guessed at like a sign-in: slowed alike
        claimed = throttle.claim(db, keys, now)
    if claimed is None:
        passwords.pad(started)
        raise AccountError(refused)
    if not passwords.verify(row["password_hash"], (current or "")[:MAX_PASSWORD_INPUT], passwords.PRIORITY_KNOWN):
        audit(store, actor.id, "password.change_refused", {"user_id": actor.id})
        raise AccountError(refused)
    new_hash = passwords.hash_password(new, passwords.PRIORITY_KNOWN)
    keep = family_of(store, token)
    with store.write() as db:
        throttle.clear(db, keys)
        db.execute("update users set password_hash = ? where id = ?", [new_hash, actor.id])
        ended = end_sign_ins(db, actor.id, keep_family=keep)
        write_audit(db, actor.id, "password.change", {"user_id": actor.id, "other_sign_ins_ended": ended})
    log.info("password changed for an account; %d other sign-in(s) ended", ended)
    return ended
