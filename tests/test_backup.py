"""Backup while the app writes, restore into a fresh directory with every row intact, refusals while
the app holds the database, and older backups brought forward by the migrations."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core import dblock
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, ROOT
from simulator.migrations import STEPS, migrations
from simulator.ops.backup import BackupError, backup, restore, verify


def cli(db: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PRACTICUM_DB": str(db)}, timeout=120)


def worker(*args) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.db_worker", *map(str, args)], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' "
                                         "and name not like 'sqlite_%' order by name")]
    out = {t: sorted(conn.execute(f'select * from "{t}"').fetchall(), key=repr) for t in tables}
    conn.close()
    return out


def sessions(store: Store, n: int) -> list[str]:
    p = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine())
    return [p.start("tomas-herrera", "plain", situation_index=0, seed=i).id for i in range(n)]


def turn_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from turns").fetchone()[0]
    finally:
        conn.close()


def test_backup_under_concurrent_writes_restores_into_a_fresh_directory_with_every_row_intact(store, tmp_path):
    ids = sessions(store, 4)
    stop = tmp_path / "stop"
    app = worker("talk", store.path, stop, *ids)  # another process, writing turns as fast as it can
    try:
        deadline = time.monotonic() + 30
        while turn_count(store.path) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        at_start = turn_count(store.path)
        out = cli(store.path, "backup", str(tmp_path / "nightly.db"))
        at_end = turn_count(store.path)
    finally:
        stop.touch()
        app.communicate(timeout=60)
    assert out.returncode == 0, out.stderr
    assert "integrity: ok; foreign-key problems: 0" in out.stdout

    copied = rows(tmp_path / "nightly.db")
    assert at_start <= len(copied["turns"]) <= at_end
    assert turn_count(store.path) > len(copied["turns"])  # the app went on writing past the copy
    printed = dict(line.split() for line in out.stdout.splitlines() if line.startswith("  ") and "total" not in line)
    assert {t: int(n.replace(",", "")) for t, n in printed.items()} == {t: len(r) for t, r in copied.items()}
    # One consistent moment: each session's turns are whole and its state matches its last turn.
    conn = sqlite3.connect(tmp_path / "nightly.db")
    conn.row_factory = sqlite3.Row
    for sid in ids:
        turns = conn.execute("select idx, created_at from turns where session_id = ? order by idx", [sid]).fetchall()
        assert [r["idx"] for r in turns] == list(range(len(turns)))
        updated = conn.execute("select updated_at from sessions where id = ?", [sid]).fetchone()["updated_at"]
        assert not turns or updated == turns[-1]["created_at"]  # updated_at is the last turn's time
    conn.close()
    assert not Path(str(tmp_path / "nightly.db") + "-wal").exists()  # one self-contained file

    fresh = tmp_path / "fresh" / "practicum.db"
    done = cli(fresh, "restore", str(tmp_path / "nightly.db"))
    assert done.returncode == 0, done.stderr
    assert rows(fresh) == copied  # every row, exactly
    assert verify(fresh).ok


def test_restore_refuses_while_an_app_process_holds_the_database(store, tmp_path):
    sessions(store, 2)
    saved = backup(store, tmp_path / "b.db")
    live = tmp_path / "live" / "practicum.db"
    app = worker("hold", live)  # opens (and so creates) the database, as an app process does
    try:
        with pytest.raises(dblock.DatabaseBusy, match=f"in use by a running process \\(pid {app.pid}"):
            restore(saved.path, live)
        refused = cli(live, "restore", saved.path)
        assert refused.returncode == 3 and "refused" in refused.stderr and f"pid {app.pid}" in refused.stderr
    finally:
        app.communicate(input="", timeout=30)
    assert "sessions" not in rows(live)  # unchanged: still the empty file the app made
    restored = restore(saved.path, live)  # the app has stopped
    aside = Path(restored.moved_aside)
    assert aside.exists() and aside.name.startswith("practicum.db-before-restore-")
    assert len(rows(live)["sessions"]) == 2
    # A process that has opened the database itself cannot restore it either.
    with pytest.raises(dblock.DatabaseBusy, match="this process has"):
        restore(saved.path, store.path)


def test_an_older_backup_is_brought_forward_and_a_newer_one_refused(tmp_path):
    old = tmp_path / "old.db"
    db = sqlite_utils.Database(old)
    migrations.apply(db, stop_before="m015_model_usage")  # as Practicum was before model usage
    db["users"].insert({"id": "u1", "username": "ada", "role": "admin", "active": 1, "consent": 0,
                        "failed_logins": 0, "created_at": "2026-01-01T00:00:00+00:00"})
    db.conn.commit()
    db.close()
    checked = verify(old)
    names = [name for name, _ in STEPS]
    assert checked.ok and checked.pending == names[names.index("m015_model_usage"):]

    target = tmp_path / "db" / "practicum.db"
    report = restore(old, target)
    assert report.migrated == checked.pending and report.verification.pending == []
    assert report.moved_aside is None
    restored = sqlite_utils.Database(target)
    assert restored["users"].count == 1 and restored["llm_calls"].exists()
    assert "last_seen_at" in restored["users"].columns_dict
    restored.close()

    newer = tmp_path / "newer.db"
    db = sqlite_utils.Database(newer)
    migrations.apply(db)
    db["_sqlite_migrations"].insert({"migration_set": "practicum", "name": "m999_from_the_future",
                                     "applied_at": "2030-01-01"})
    db.close()
    with pytest.raises(BackupError, match="newer Practicum"):
        restore(newer, tmp_path / "other" / "practicum.db")


def test_files_that_are_not_a_good_backup_change_nothing(store, tmp_path):
    sessions(store, 1)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    target = tmp_path / "t" / "practicum.db"
    with pytest.raises(BackupError, match="not a readable SQLite database|cannot be opened"):
        restore(junk, target)
    plain = tmp_path / "plain.db"
    sqlite_utils.Database(plain)["notes"].insert({"text": "hello"})
    with pytest.raises(BackupError, match="not a Practicum database"):
        restore(plain, target)
    assert not target.exists()
    with pytest.raises(BackupError, match="exists already"):
        backup(store, plain)
    assert backup(store, plain, overwrite=True).verification.tables["sessions"] == 1
    missing = cli(tmp_path / "none" / "p.db", "backup", str(tmp_path / "x.db"))
    assert missing.returncode == 2 and "no database" in missing.stderr


def test_a_process_starting_during_a_restore_waits_for_it(tmp_path):
    db = tmp_path / "practicum.db"
    code = "import sys; from simulator.core import dblock; dblock.hold_shared(sys.argv[1], wait=float(sys.argv[2]))"

    def start(wait: float) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", code, str(db), str(wait)], cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    with dblock.exclusive(db):
        impatient, patient = start(0.3), start(30)
        _, err = impatient.communicate(timeout=60)
        assert impatient.returncode != 0 and "being restored" in err
        time.sleep(0.5)
        assert patient.poll() is None  # still waiting
    _, err = patient.communicate(timeout=60)
    assert patient.returncode == 0, err
    assert dblock.holds(db) is None
