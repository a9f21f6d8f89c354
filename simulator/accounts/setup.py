"""First start: the first admin account needs a one-time setup code from the server's log.

Anyone who can reach a fresh install could otherwise make themselves its admin. At start, while
there is no account, the server writes a new code to its log (stderr) and keeps only its hash;
whoever can read the log creates the first admin on the page with it. The code works once. The
command line (`python -m simulator users add --role admin`) needs no code: whoever runs it holds
the server already.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading

import sqlite_utils

from simulator.accounts import users
from simulator.accounts.actor import Actor
from simulator.accounts.errors import AccountError
from simulator.core.clock import now_iso
from simulator.core.db import Store

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: read from a terminal and typed by hand. 4 groups of 4 = 80 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LOG_LINE = "Practicum setup code for the first admin account: %s"
_issued: set[str] = set()
_lock = threading.Lock()


def create_tables(db: sqlite_utils.Database) -> None:
    db["setup_code"].create({"id": int, "code_hash": str, "created_at": str}, pk="id",
                            not_null={"code_hash", "created_at"})


def _normal(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def issue(store: Store) -> str | None:
    """Make a new code (replacing any earlier one) and write it to the log; None once an account exists."""
    if users.has_accounts(store):
        return None
    raw = "".join(secrets.choice(ALPHABET) for _ in range(16))
    code = "-".join(raw[i:i + 4] for i in range(0, 16, 4))
    with store.db() as db, db.conn:
        db.execute("delete from setup_code")
        db.execute("insert into setup_code (id, code_hash, created_at) values (1, ?, ?)", [_digest(code), now_iso()])
    # Deliberately logged: the log is where the person who started the server looks for it.
    log.warning(LOG_LINE, code)
    return code


def ensure_issued(store: Store) -> None:
    """Issue a code once per process and database while there is no account (called at start)."""
    key = str(store.path.resolve())
    with _lock:
        if key in _issued:
            return
        _issued.add(key)
    issue(store)


def create_first_admin(store: Store, code: str, username: str, password: str) -> Actor:
    """The first account, an admin, for whoever holds the setup code; the code is then spent."""
    with store.db() as db:
        row = db.execute("select code_hash from setup_code where id = 1").fetchone()
    if row is None or not hmac.compare_digest(row[0], _digest(code)):
        raise AccountError("That setup code is not right. The server writes it to its log when it "
                           "starts (a line beginning 'Practicum setup code'); a restart writes a new one.")
    actor = users.create_user(store, None, username, password, "admin")
    with store.db() as db, db.conn:
        db.execute("delete from setup_code")
    return actor
