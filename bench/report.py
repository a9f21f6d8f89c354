"""Interview report: time to build the report of an 80-turn session (40 scripted trainee lines and
the offline patient's replies), warm, from the database as the app does, and from the record alone.

Target (issue 14): at most 200 ms warm, offline. A kept report of an ended session is read, not
rebuilt; this measures the build."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.cbt.report import store as reports
from simulator.cbt.report.build import interview_report
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, Settings
from simulator.migrations import migrate

SCRIPT = Path(__file__).with_name("script_40.txt")
RUNS = 30


def run() -> dict:
    lines = [ln for ln in SCRIPT.read_text(encoding="utf-8").splitlines() if ln.strip()]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        migrate(store)
        practice = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine())
        settings = Settings(db_path=store.path)
        for case_id in ("dale-hutchins", "tomas-herrera"):
            info = practice.start(case_id, "plain", situation_index=0, seed=1)
            for line in lines:
                practice.say(info.id, line)
                "".join(practice.respond(info.id))
            reports.report(store, None, info.id, settings)  # warm: data files, patterns, wording
            from_db, built = [], []
            for _ in range(RUNS):
                t = time.perf_counter()
                report = reports.report(store, None, info.id, settings)  # active: built afresh each time
                from_db.append((time.perf_counter() - t) * 1000)
            record = reports.record_of(store, info.id)
            for _ in range(RUNS):
                t = time.perf_counter()
                interview_report(record)
                built.append((time.perf_counter() - t) * 1000)
            out[case_id] = {
                "turns": len(record.turns),
                "report_from_database_ms": {"p50": percentile(from_db, 50), "p95": percentile(from_db, 95)},
                "report_from_record_ms": {"p50": percentile(built, 50), "p95": percentile(built, 95)},
                "risk_cues": len(report.risk.cues), "rubric_total": report.rubric.total,
            }
    return {"interview_report": out, "target_warm_ms": 200}
