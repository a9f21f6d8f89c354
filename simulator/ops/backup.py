"""Backup and restore of the SQLite database while the app runs.

`backup` copies the database with SQLite's online backup API from inside one read transaction, so
the copy is one consistent moment of the database while the app goes on writing (WAL lets writers
continue past a reader). The row count of every table is taken in that same transaction; the copy
is then checked (`PRAGMA integrity_check`, `PRAGMA foreign_key_check`) and its counts must equal
them. The copy is written under a temporary name and renamed only when it passes, and it is a
single self-contained file (rollback-journal mode, no -wal beside it).

`restore` checks the file the same way, refuses a file from a newer Practicum (migrations this
code does not know), and refuses while any other process holds the database (simulator/core/
dblock.py: the app, a backup, a CLI command). It copies the file beside the database, migrates
the copy forward if it is older, checks it again, moves the current database aside
(`practicum.db-before-restore-<time>`, with its -wal and -shm) and renames the copy into place.
Accounts erased in the database being replaced are erased again in the copy first (an older
backup still holds them; simulator/ops/erasure.py keeps a one-way mark of each erased account).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from pathlib import Path

import sqlite_utils
from pydantic import BaseModel

from simulator.core import clock, dblock
from simulator.core.db import Store, applied

log = logging.getLogger(__name__)


class BackupError(RuntimeError):
    """A backup or restore could not be made or did not verify; the message says why."""


class Verification(BaseModel):
    path: str
    integrity: str  # "ok", or SQLite's first problems
    foreign_key_problems: int
    tables: dict[str, int]  # table -> rows
    migrations: list[str]  # applied, in order
    pending: list[str]  # this code's migrations the file lacks (it is older)
    unknown: list[str]  # migrations this code does not know (the file is newer)

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.foreign_key_problems == 0 and not self.unknown


class BackupReport(BaseModel):
    path: str
    bytes: int
    seconds: float
    verification: Verification


class RestoreReport(BaseModel):
    path: str  # the database restored into
    source: str
    migrated: list[str]  # migrations applied to bring the file forward
    moved_aside: str | None  # where the database that was there before went
    erased_again: int = 0  # accounts erased after the backup was made, erased again in it
    verification: Verification  # of the restored database


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")]


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in _tables(conn)}


def _check(conn: sqlite3.Connection, path: Path) -> Verification:
    from simulator.migrations import known

    problems = [r[0] for r in conn.execute("pragma integrity_check").fetchall()]
    fk = conn.execute("pragma foreign_key_check").fetchall()
    names = applied(sqlite_utils.Database(conn))
    pending, unknown = known(names)
    return Verification(path=str(path), integrity="; ".join(problems[:5]), foreign_key_problems=len(fk),
                        tables=_counts(conn), migrations=names, pending=pending, unknown=unknown)


def verify(path: Path | str) -> Verification:
    """Check a database file without changing it (opened read-only)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise BackupError(f"{path} cannot be opened as an SQLite database: {err}") from None
    try:
        if "_sqlite_migrations" not in _tables(conn):
            raise BackupError(f"{path} is not a Practicum database (it has no migrations table).")
        return _check(conn, path)
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{path} is not a readable SQLite database: {err}") from None
    finally:
        conn.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(store: Store, dest: Path | str, *, overwrite: bool = False) -> BackupReport:
    """A verified, consistent copy of the live database at `dest`; raises BackupError if it fails."""
    dest = Path(dest)
    if dest.exists() and not overwrite:
        raise BackupError(f"{dest} exists already; choose another name (or overwrite it on purpose).")
    if dest.resolve() == store.path.resolve():
        raise BackupError("The backup cannot be the database itself.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    with store.db() as db:
        conn = db.conn
        conn.execute("BEGIN")  # one read transaction: the counts and the copy see the same moment
        try:
            snapshot = _counts(conn)
            target = sqlite3.connect(partial)
            try:
                conn.backup(target)
                target.execute("pragma journal_mode = delete")  # one file, nothing beside it
                target.commit()
            finally:
                target.close()
        finally:
            conn.rollback()
    try:
        result = verify(partial)
        if not result.ok:
            raise BackupError(f"the copy failed its check: integrity {result.integrity!r}, "
                              f"{result.foreign_key_problems} foreign-key problem(s)")
        differ = {t: (n, result.tables.get(t)) for t, n in snapshot.items() if result.tables.get(t) != n}
        if differ or set(result.tables) != set(snapshot):
            raise BackupError(f"the copy's row counts differ from the database's: {differ}")
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    finally:
        partial.unlink(missing_ok=True)
    result = result.model_copy(update={"path": str(dest)})
    log.info("backup of %s to %s: %d rows in %d tables", store.path, dest, sum(result.tables.values()),
             len(result.tables))
    return BackupReport(path=str(dest), bytes=dest.stat().st_size, seconds=round(time.monotonic() - started, 3),
                        verification=result)


def restore(source: Path | str, db_path: Path | str) -> RestoreReport:
    """Put the backup `source` in place of the database at `db_path` (see the module's docstring).

    Raises BackupError if the file does not verify, or dblock.DatabaseBusy while another process
    holds the database.
    """
    from simulator.migrations import apply_migrations

    source, db_path = Path(source), Path(db_path)
    if source.resolve() == db_path.resolve():
        raise BackupError("The backup to restore is the database itself.")
    checked = verify(source)
    if checked.unknown:
        raise BackupError(f"{source} comes from a newer Practicum (migrations {', '.join(checked.unknown)} "
                          "are unknown here); upgrade Practicum first.")
    if not checked.ok:
        raise BackupError(f"{source} failed its check: integrity {checked.integrity!r}, "
                          f"{checked.foreign_key_problems} foreign-key problem(s); nothing was changed.")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with dblock.exclusive(db_path):
        work = db_path.with_name(db_path.name + "-restoring")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(work) + suffix).unlink(missing_ok=True)
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        dst = sqlite3.connect(work)
        try:
            src.backup(dst)
        finally:
            src.close()
        try:
            migrated = apply_migrations(sqlite_utils.Database(dst))
            dst.execute("pragma foreign_keys = on")
            erased_again, erased_rows = _erase_again(dst, db_path)
            result = _check(dst, db_path)
        finally:
            dst.close()  # the last connection: SQLite folds the WAL back into the file
        if not result.ok or result.pending:
            raise BackupError(f"the restored copy failed its check (integrity {result.integrity!r}, "
                              f"pending {result.pending}); the database was not changed.")
        expected = {t: n - erased_rows.get(t, 0) for t, n in checked.tables.items()}
        if erased_again:
            expected["audit_log"] += 1  # the entry saying so
        lost = {t: (n, result.tables.get(t)) for t, n in expected.items()
                if result.tables.get(t) != n and t != "_sqlite_migrations"}  # that one grows by `migrated`
        if lost:
            raise BackupError(f"the restored copy's row counts differ from the backup's: {lost}; "
                              "the database was not changed.")
        aside = None
        if db_path.exists():
            aside = Path(f"{db_path}-before-restore-{clock.now():%Y%m%dT%H%M%SZ}")
            for suffix in ("", "-wal", "-shm"):
                old = Path(str(db_path) + suffix)
                if old.exists():
                    os.replace(old, Path(str(aside) + suffix))
        os.replace(work, db_path)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(work) + suffix).unlink(missing_ok=True)
        _fsync_dir(db_path.parent)
    log.info("restored %s from %s (migrated: %s)", db_path, source, ", ".join(migrated) or "none")
    return RestoreReport(path=str(db_path), source=str(source), migrated=migrated,
                         moved_aside=str(aside) if aside else None, verification=result, erased_again=erased_again)


def _erase_again(copy: sqlite3.Connection, current: Path) -> tuple[int, dict[str, int]]:
    """Erase from the restored copy every account the database it replaces had erased.

    Returns (accounts, rows removed per table)."""
    from simulator.ops.erasure import erased_marks, reapply_erasures

    if not current.exists():
        return 0, {}
    old = sqlite3.connect(f"{current.resolve().as_uri()}?mode=ro", uri=True)
    try:
        marks = erased_marks(sqlite_utils.Database(old))
    except sqlite3.Error as err:
        log.warning("cannot read the erasures of %s (%s): erasures made after the backup are not re-applied",
                    current, err)
        return 0, {}
    finally:
        old.close()
    if not marks:
        return 0, {}
    db = sqlite_utils.Database(copy)
    with copy:
        db.execute("BEGIN IMMEDIATE")
        accounts, removed = reapply_erasures(db, marks)
        if accounts:
            db["audit_log"].insert({"at": clock.now_iso(), "actor_id": "restore", "action": "user.erase",
                                    "details_json": json.dumps({"reapplied": accounts, "removed": removed,
                                                                "marks": sorted(marks)}, sort_keys=True)})
    if accounts:
        log.info("restore: %d account(s) erased after the backup was made were erased again", accounts)
    return accounts, removed
