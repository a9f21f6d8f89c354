"""Slowing password guessing down without ever locking anyone out.

Every failed sign-in raises a score on the attempt's throttle keys; the score halves every
`HALF_LIFE` seconds. After a failure the key waits `delay(score)` seconds: nothing after a single
slip, then 1 s doubling with each further failure, never more than `CAP`. An attempt under a key
that is still waiting is answered like a wrong password, without checking it and without adding
to the score, so an attacker can renew a wait of at most a minute, never a lock. The keys of an
attempt:

- the username, for a browser that has not signed in to that account before. Known and unknown
  usernames are keyed alike (a hash of the name), so a slowdown tells nothing about which
  accounts exist.
- the browser, for one that has (its device token from an earlier sign-in): someone guessing
  from elsewhere never slows the owner down in the browser they use.
- the client's address, only when a trusted proxy header names it (settings); Streamlit's own
  view of the address is not a security signal and is never used.

An attempt is counted as a failure *before* its password is hashed (`claim`, in a short write
transaction) and forgiven if the password was right, so a burst of simultaneous attempts cannot
all slip through the same free moment: the second already sees the first one's wait.

There is no global switch: nothing an attacker does slows down an account they do not name.
"""

from __future__ import annotations

import hashlib

import sqlite_utils

FREE_FAILURES = 1  # a typo costs nothing
BASE_DELAY = 1.0  # seconds after the first failure that counts
SLACK = 0.05  # scores decay continuously: a second slip within ~45 s still counts as a second
CAP = 60.0  # the longest wait
HALF_LIFE = 600.0  # seconds for a failure score to halve
FORGET_AFTER = 6 * HALF_LIFE  # rows this long without a failure are dropped


def create_tables(db: sqlite_utils.Database) -> None:
    db["signin_throttle"].create(
        {"key": str, "score": float, "updated_at": float, "next_at": float}, pk="key",
        not_null={"score", "updated_at", "next_at"},
    )


def delay(score: float) -> float:
    """Seconds to wait after a failure that left `score`."""
    if score < FREE_FAILURES + 1 - SLACK:
        return 0.0
    return min(CAP, BASE_DELAY * 2 ** max(0.0, score - FREE_FAILURES - 1))


def decayed(score: float, seconds: float) -> float:
    return score * 0.5 ** (max(0.0, seconds) / HALF_LIFE)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def username_key(username: str) -> str:
    return "u:" + _digest(username.strip().lower())


def device_key(device_hash: str) -> str:
    return "d:" + device_hash[:32]


def client_key(address: str) -> str:
    return "c:" + _digest(address.strip())


def wait_left(db: sqlite_utils.Database, keys: list[str], now: float) -> float:
    """Seconds until every key is free again (0 if all are)."""
    if not keys:
        return 0.0
    marks = ",".join("?" for _ in keys)
    (latest,) = db.execute(f"select max(next_at) from signin_throttle where key in ({marks})", keys).fetchone()
    return max(0.0, (latest or 0.0) - now)


def claim(db: sqlite_utils.Database, keys: list[str], now: float) -> float | None:
    """Inside the caller's write transaction: None if a key is still waiting (the attempt is
    slowed), else count the attempt as a failure on every key and return the wait it set."""
    if wait_left(db, keys, now) > 0:
        return None
    return record_failure(db, keys, now)


def forgive(db: sqlite_utils.Database, keys: list[str], now: float) -> None:
    """Take one claimed failure back from each key (a right password from a shared client)."""
    for key in keys:
        row = db.execute("select score, updated_at from signin_throttle where key = ?", [key]).fetchone()
        if row:
            score = max(0.0, decayed(row[0], now - row[1]) - 1.0)
            db.execute("update signin_throttle set score = ?, updated_at = ?, next_at = ? where key = ?",
                       [score, now, now + delay(score), key])


def record_failure(db: sqlite_utils.Database, keys: list[str], now: float) -> float:
    """Add a failure to each key (inside the caller's write transaction); the longest new wait."""
    longest = 0.0
    for key in keys:
        row = db.execute("select score, updated_at from signin_throttle where key = ?", [key]).fetchone()
        score = (decayed(row[0], now - row[1]) if row else 0.0) + 1.0
        wait = delay(score)
        longest = max(longest, wait)
        db.execute("insert into signin_throttle (key, score, updated_at, next_at) values (?, ?, ?, ?) "
                   "on conflict(key) do update set score = excluded.score, updated_at = excluded.updated_at, "
                   "next_at = excluded.next_at", [key, score, now, now + wait])
    db.execute("delete from signin_throttle where updated_at < ?", [now - FORGET_AFTER])
    return longest


def clear(db: sqlite_utils.Database, keys: list[str]) -> None:
    """A successful sign-in forgets the failures under its keys."""
    for key in keys:
        db.execute("delete from signin_throttle where key = ?", [key])
