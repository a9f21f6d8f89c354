"""Erasure on request and retention: removing everything a person made or that identifies them.

What goes, for an account (every table of every feature; `tests/test_erasure.py` checks that no
table is forgotten):

- their CBT interviews (sessions, turns), formulation drafts, submissions and scores; DEAR MAN
  conversations (turns, ratings, emotion ratings, their own situations); drill attempts;
  restructuring exercises; research consent (on the account); sign-ins; acknowledgements of
  where their text goes; cohort memberships; assignments given to them;
- what they wrote about other people's work (comments, grades) and assignments they gave;
- the account itself.

What stays, stripped of the person:

- comments and grades that *others* wrote on the person's interviews: the interview is emptied
  (no turns, no owner, fresh state, the erasure time as its dates) and the person's username and
  email are masked in those comments and notes;
- model usage rows (for the clinic's cost figures) with no account;
- authored case and scenario versions with no author; the admin's per-exercise model settings with
  no name;
- audit entries: the person's id, username and email are replaced by a mark.

The erasure writes one audit entry with the role, the counts and a one-way mark of the account's
random id (never the name, email or id): the live database no longer holds anything the mark
points to, but a restore of an older backup finds the account by it and erases it again
(`reapply_erasures`). Everything happens in one write transaction. A dry run (the admin page's
preview and next purge) goes through the same steps with SELECTs only, in a read transaction, so it
never waits for or holds the write lock; it remembers which rows the steps before would have taken,
so its counts are exactly what a real run removes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import sqlite_utils
from pydantic import BaseModel

from simulator.accounts import throttle
from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import require_admin
from simulator.accounts.users import AccountError
from simulator.cbt.interview import DisclosureState
from simulator.core import clock
from simulator.core.db import Store

log = logging.getLogger(__name__)

ERASED = "erased"  # owner and actor id of what is kept after an erasure; no account has this id
MASK = "[erased]"

# Every table, and what an erasure does to it. tests/test_erasure.py fails when a migration adds a
# table that is not listed here, so that each new table is thought about before it holds people.
TABLES: dict[str, str] = {
    "users": "the account: deleted",
    "logins": "deleted",
    "signin_handoffs": "deleted",
    "devices": "deleted (the browsers it signed in from)",
    "signin_throttle": "its username's and browsers' rows deleted (others' rows are keyed by address)",
    "formulation_reveals": "deleted; kept without the admin's name where they reset someone else's",
    "setup_code": "holds no person",
    "cohort_members": "deleted",
    "llm_acknowledgements": "deleted",
    "sessions": "deleted; emptied and kept when others commented on or graded them",
    "turns": "deleted",
    "formulation_drafts": "deleted",
    "formulation_submissions": "deleted",
    "formulation_scores": "deleted",
    "dearman_sessions": "deleted (emotion ratings and own situations are in them)",
    "dearman_turns": "deleted (ratings are in them)",
    "drill_attempts": "deleted",
    "restructuring_sessions": "deleted",
    "restructuring_turns": "deleted",
    "interview_reports": "deleted with their interviews",
    "corrections": "deleted: supervisors' corrections of their work, and the corrections they made",
    "feedback_seen": "deleted",
    "comments": "theirs deleted; others' on their interviews kept, names masked",
    "grades": "theirs deleted; others' on their interviews kept, names masked",
    "assignments": "those given to them or by them deleted",
    "llm_calls": "kept without the account",
    "authored": "kept without the author",
    "exercise_llm": "kept without the admin who chose",
    "audit_log": "kept; the person replaced by a mark",
    "cohorts": "holds no person",
    "_sqlite_migrations": "holds no person",
}

KEPT_SESSIONS = "interviews emptied but kept for what supervisors wrote on them"
KEPT_COMMENTS = "comments by others on those interviews (names masked)"
KEPT_GRADES = "grades by others on those interviews (names masked)"
KEPT_USAGE = "model-usage rows, no longer linked to anyone"
KEPT_AUTHORED = "authored case and scenario versions, author removed"
KEPT_SETTINGS = "per-exercise model settings, admin name removed"
KEPT_AUDIT = "audit entries with the person replaced by a mark"
KEPT_REVEALS = "reference reveals others had reset, the admin's name removed"


class ErasureReport(BaseModel):
    role: str
    dry_run: bool
    removed: dict[str, int]  # table -> rows deleted
    kept: dict[str, int]  # what stays, without the person -> rows

    @property
    def total_removed(self) -> int:
        return sum(self.removed.values())


def _count(cur) -> int:
    return max(cur.rowcount, 0)


def _marks(ids: list[str]) -> str:
    return ",".join("?" for _ in ids)


class _Steps:
    """Runs an erasure's deletes and updates, or (dry) finds with SELECTs the rows they would touch.

    A dry run changes nothing, so it remembers the rows earlier steps would have deleted and the
    audit entries they would have rewritten, and leaves them out of later steps as a real run's
    earlier statements would have. `table` and `where` always come from this module, never from input.
    """

    def __init__(self, db: sqlite_utils.Database, *, dry: bool) -> None:
        self.db, self.dry = db, dry
        self.gone: dict[str, set[int]] = defaultdict(set)
        self.audit: dict[int, tuple[str | None, str]] = {}  # rewritten (actor_id, details_json), dry

    def _hits(self, table: str, where: str, args: list) -> set[int]:
        found = {r for (r,) in self.db.execute(f"select rowid from {table} where {where}", args).fetchall()}
        return found - self.gone[table]

    def delete(self, table: str, where: str, args: list) -> int:
        if not self.dry:
            return _count(self.db.execute(f"delete from {table} where {where}", args))
        hits = self._hits(table, where, args)
        self.gone[table] |= hits
        return len(hits)

    def update(self, table: str, sets: str, set_args: list, where: str, args: list) -> int:
        if not self.dry:
            return _count(self.db.execute(f"update {table} set {sets} where {where}", [*set_args, *args]))
        return len(self._hits(table, where, args))

    def rows(self, table: str, columns: str, where: str, args: list) -> list[tuple]:
        """The columns of the rows a real run would still find."""
        found = self.db.execute(f"select rowid, {columns} from {table} where {where}", args).fetchall()
        return [r[1:] for r in found if r[0] not in self.gone[table]]


def _masker(words: list[str]):
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return lambda text: text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)
    return lambda text: pattern.sub(MASK, text) if isinstance(text, str) else text


def _remove_cbt_sessions(steps: _Steps, ids: list[str], words: list[str],
                         removed: Counter, kept: Counter) -> None:
    """Remove interviews with their formulation work; empty, not delete, those others wrote on."""
    if not ids:
        return
    m = _marks(ids)
    removed["formulation_scores"] += steps.delete("formulation_scores", f"submission_id in "
                                                  f"(select id from formulation_submissions where session_id in ({m}))", ids)
    for table in ("formulation_submissions", "formulation_drafts", "formulation_reveals", "turns",
                  "interview_reports", "feedback_seen"):
        removed[table] += steps.delete(table, f"session_id in ({m})", ids)
    reviewed = {r[0] for table in ("comments", "grades")
                for r in steps.rows(table, "session_id", f"session_id in ({m})", ids)}
    gone = [i for i in ids if i not in reviewed]
    if gone:
        removed["sessions"] += steps.delete("sessions", f"id in ({_marks(gone)})", gone)
    if reviewed:
        keep = sorted(reviewed)
        k = _marks(keep)
        now = clock.now_iso()
        kept[KEPT_SESSIONS] += steps.update(
            "sessions", "owner = ?, status = 'ended', state_json = ?, seed = 0, created_at = ?, updated_at = ?, "
            "ended_at = ?", [ERASED, DisclosureState().model_dump_json(), now, now, now], f"id in ({k})", keep)
        mask = _masker(words)
        for table, column, label in (("comments", "text", KEPT_COMMENTS), ("grades", "note", KEPT_GRADES)):
            rows = steps.rows(table, f"id, {column}", f"session_id in ({k})", keep)
            kept[label] += len(rows)
            for row_id, text in rows:
                if text and mask(text) != text:
                    steps.update(table, f"{column} = ?", [mask(text)], "id = ?", [row_id])


def _scrub(value, ids: set[str], words: set[str]):
    if isinstance(value, dict):
        return {k: _scrub(v, ids, words) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, ids, words) for v in value]
    if isinstance(value, str) and (value in ids or value.lower() in words):
        return MASK
    return value


def _scrub_audit(steps: _Steps, user_id: str, words: list[str]) -> int:
    """Replace the person in every audit entry that names them; return how many entries changed."""
    ids, lowered = {user_id}, {w.lower() for w in words if w}
    changed = 0
    for row_id, actor_id, details in steps.db.execute("select id, actor_id, details_json from audit_log").fetchall():
        actor_id, details = steps.audit.get(row_id, (actor_id, details))
        try:
            data = json.loads(details or "{}")
        except json.JSONDecodeError:
            log.warning("audit entry %s has unreadable details; masking the person in its text", row_id)
            data = details
        clean = _scrub(data, ids, lowered) if not isinstance(data, str) else _masker([user_id, *words])(data)
        new_details = json.dumps(clean, sort_keys=True) if not isinstance(clean, str) else clean
        new_actor = ERASED if actor_id == user_id else actor_id
        if new_actor != actor_id or clean != data:
            if steps.dry:
                steps.audit[row_id] = (new_actor, new_details)
            else:
                steps.db.execute("update audit_log set actor_id = ?, details_json = ? where id = ?",
                                 [new_actor, new_details, row_id])
            changed += 1
    return changed


def _erase_account(steps: _Steps, user: dict) -> tuple[Counter, Counter]:
    """Every row of this account, inside the caller's transaction."""
    uid = user["id"]
    words = [user["username"], user["email"] or ""]
    removed: Counter = Counter()
    kept: Counter = Counter()

    def run(table: str, where: str, args: list) -> None:
        removed[table] += steps.delete(table, where, args)

    # What they wrote about other people's work and gave to others.
    run("comments", "author_id = ?", [uid])
    run("grades", "author_id = ?", [uid])
    run("corrections", "owner = ? or author_id = ?", [uid, uid])
    run("feedback_seen", "owner = ?", [uid])
    run("assignments", "trainee_id = ? or created_by = ?", [uid, uid])
    # Their interviews and formulation work (also work handed to them on sessions they do not own).
    own = [r[0] for r in steps.rows("sessions", "id", "owner = ?", [uid])]
    _remove_cbt_sessions(steps, own, words, removed, kept)
    run("formulation_scores", "submission_id in (select id from formulation_submissions where owner = ?)", [uid])
    run("formulation_submissions", "owner = ?", [uid])
    run("formulation_drafts", "owner = ?", [uid])
    run("formulation_reveals", "owner = ?", [uid])
    kept[KEPT_REVEALS] += steps.update("formulation_reveals", "reset_by = null", [], "reset_by = ?", [uid])
    # DEAR MAN (ratings, emotion ratings and their own situations are in these rows) and traps.
    run("dearman_turns", "session_id in (select id from dearman_sessions where owner = ?)", [uid])
    run("dearman_sessions", "owner = ?", [uid])
    run("drill_attempts", "owner = ?", [uid])
    run("restructuring_turns", "session_id in (select id from restructuring_sessions where owner = ?)", [uid])
    run("restructuring_sessions", "owner = ?", [uid])
    # The account and everything that points at it.
    keys = [throttle.username_key(user["username"])] + [
        throttle.device_key(r[0]) for r in steps.rows("devices", "token_hash", "user_id = ?", [uid])]
    run("signin_throttle", f"key in ({_marks(keys)})", keys)
    for table in ("signin_handoffs", "devices", "logins", "cohort_members", "llm_acknowledgements"):
        run(table, "user_id = ?", [uid])
    kept[KEPT_USAGE] += steps.update("llm_calls", "user_id = null", [], "user_id = ?", [uid])
    kept[KEPT_AUTHORED] += steps.update("authored", "author_id = null", [], "author_id = ?", [uid])
    kept[KEPT_SETTINGS] += steps.update("exercise_llm", "changed_by = null", [], "changed_by = ?", [uid])
    kept[KEPT_AUDIT] += _scrub_audit(steps, uid, words)
    run("users", "id = ?", [uid])
    return removed, kept


def erasure_mark(user_id: str) -> str:
    """A one-way mark of an erased account's id, for erasing it again from a restored backup."""
    return hashlib.sha256(f"practicum-erased:{user_id}".encode()).hexdigest()[:32]


def erased_marks(db: sqlite_utils.Database) -> set[str]:
    """The marks of every account erased in this database (from its audit log)."""
    marks: set[str] = set()
    for (details,) in db.execute("select details_json from audit_log where action in "
                                 "('user.erase', 'retention.purge')").fetchall():
        try:
            marks.update(json.loads(details).get("marks", []))
        except (json.JSONDecodeError, AttributeError) as err:
            log.warning("an erasure entry of the audit log cannot be read (%s); skipped", err)
    return marks


def reapply_erasures(db: sqlite_utils.Database, marks: set[str]) -> tuple[int, dict[str, int]]:
    """Erase again, inside the caller's transaction, every account of `db` whose mark is in `marks`
    (a restored backup from before those erasures). Returns (accounts, rows removed)."""
    removed: Counter = Counter()
    accounts = 0
    steps = _Steps(db, dry=False)
    for user in list(db.query("select id, username, email, role from users")):
        if erasure_mark(user["id"]) in marks:
            gone, _ = _erase_account(steps, user)
            removed.update(gone)
            accounts += 1
    return accounts, _tidy(removed)


def _tidy(counter: Counter) -> dict[str, int]:
    return {k: v for k, v in sorted(counter.items()) if v}


def erase(store: Store, actor: Actor | None, username: str, *, dry_run: bool = False) -> ErasureReport:
    """Erase the account `username` and everything it made (see the module's docstring).

    Only an admin may. Refuses an admin's own account and the last active admin. With `dry_run`,
    reports exactly what would go and changes nothing.
    """
    require_admin(actor)
    # A dry run reads in a read transaction: a page showing it never takes or waits for the write lock.
    with store.snapshot() if dry_run else store.write() as db:
        rows = list(db["users"].rows_where("username = ?", [username.strip().lower()]))
        if not rows:
            raise AccountError(f"There is no account {username!r}.")
        user = rows[0]
        if user["id"] == actor.id:
            raise AccountError("You cannot erase your own account; ask another admin.")
        if user["role"] == "admin" and user["active"]:
            (admins,) = db.execute("select count(*) from users where role = 'admin' and active = 1").fetchone()
            if admins <= 1:
                raise AccountError("This is the last active admin account; add another admin first.")
        removed, kept = _erase_account(_Steps(db, dry=dry_run), user)
    report = ErasureReport(role=user["role"], dry_run=dry_run, removed=_tidy(removed), kept=_tidy(kept))
    if not dry_run:
        # No id, no name: the entry says that an account of this role was erased, and how much went.
        audit(store, actor.id, "user.erase", {"role": user["role"], "removed": report.removed,
                                              "kept": report.kept, "marks": [erasure_mark(user["id"])]})
        log.info("erased a %s account: %d rows removed", user["role"], report.total_removed)
    return report


# -- retention --------------------------------------------------------------------------------

# Every trace of a trainee's activity; the latest is their last activity.
_ACTIVITY = """
with activity(user_id, at) as (
    select id, created_at from users
    union all select id, last_seen_at from users
    union all select id, consent_changed_at from users
    union all select user_id, last_seen from logins
    union all select owner, updated_at from sessions
    union all select owner, updated_at from formulation_drafts
    union all select owner, submitted_at from formulation_submissions
    union all select owner, revealed_at from formulation_reveals
    union all select owner, updated_at from dearman_sessions
    union all select owner, created_at from drill_attempts
    union all select owner, updated_at from restructuring_sessions
    union all select user_id, acknowledged_at from llm_acknowledgements
    union all select user_id, at from llm_calls
)
select u.id, u.username, u.email, u.role, u.active, max(a.at) as last_active
from users u join activity a on a.user_id = u.id
where u.role = 'trainee' group by u.id having max(a.at) < ? order by last_active, u.username
"""


class PurgeCandidate(BaseModel):
    username: str
    last_active: str
    removed: dict[str, int]


class PurgePlan(BaseModel):
    retention_days: int | None
    cutoff: str | None  # trainees with no activity since this moment go
    dry_run: bool
    trainees: list[PurgeCandidate] = []
    ownerless: dict[str, int] = {}  # work from before accounts, untouched since the cutoff
    kept: dict[str, int] = {}

    @property
    def removed(self) -> dict[str, int]:
        total: Counter = Counter(self.ownerless)
        for t in self.trainees:
            total.update(t.removed)
        return _tidy(total)


def _purge_ownerless(steps: _Steps, cutoff: str, removed: Counter, kept: Counter) -> None:
    ids = [r[0] for r in steps.rows("sessions", "id", "owner is null and updated_at < ?", [cutoff])]
    _remove_cbt_sessions(steps, ids, [], removed, kept)
    for table, where in (
        ("dearman_turns", "session_id in (select id from dearman_sessions where owner is null and updated_at < ?)"),
        ("dearman_sessions", "owner is null and updated_at < ?"),
        ("drill_attempts", "owner is null and created_at < ?"),
        ("restructuring_turns",
         "session_id in (select id from restructuring_sessions where owner is null and updated_at < ?)"),
        ("restructuring_sessions", "owner is null and updated_at < ?"),
    ):
        removed[table] += steps.delete(table, where, [cutoff])


def purge(store: Store, actor: Actor | None, retention_days: int | None, *, dry_run: bool = False,
          now: datetime | None = None) -> PurgePlan:
    """Erase every trainee account inactive for `retention_days`, and work from before accounts
    untouched as long. Staff accounts (supervisors, researchers, admins) are never purged.

    With `dry_run` (what the admin page shows as the next purge), nothing changes and only a read
    transaction is taken.
    """
    require_admin(actor)
    if retention_days is None:
        return PurgePlan(retention_days=None, cutoff=None, dry_run=dry_run)
    cutoff = ((now or clock.now()) - timedelta(days=retention_days)).isoformat()
    plan = PurgePlan(retention_days=retention_days, cutoff=cutoff, dry_run=dry_run)
    kept: Counter = Counter()
    marks: list[str] = []
    with store.snapshot() if dry_run else store.write() as db:
        steps = _Steps(db, dry=dry_run)
        for user in list(db.query(_ACTIVITY, [cutoff])):
            marks.append(erasure_mark(user["id"]))
            removed, user_kept = _erase_account(steps, user)
            kept.update(user_kept)
            plan.trainees.append(PurgeCandidate(username=user["username"], last_active=user["last_active"],
                                                removed=_tidy(removed)))
        ownerless: Counter = Counter()
        _purge_ownerless(steps, cutoff, ownerless, kept)
        plan.ownerless = _tidy(ownerless)
        plan.kept = _tidy(kept)
    if not dry_run and (plan.trainees or plan.ownerless):
        audit(store, actor.id, "retention.purge", {"retention_days": retention_days, "trainees": len(plan.trainees),
                                                   "removed": plan.removed, "kept": plan.kept, "marks": marks})
        log.info("purge: %d trainee account(s) inactive for %d days erased", len(plan.trainees), retention_days)
    return plan


def next_purge(store: Store, actor: Actor | None, retention_days: int | None,
               now: datetime | None = None) -> PurgePlan:
    """What the next purge would remove, for the admin page (changes nothing)."""
    return purge(store, actor, retention_days, dry_run=True, now=now)
