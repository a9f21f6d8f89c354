"""Interview reports in the database: one per session, kept with the engine that scored its rubric.

A session's report is built from what is stored (the transcript, the moves recorded on each of
the trainee's turns, the disclosure state after each patient turn) and kept once the session has
ended, so the scores a supervisor corrects are the scores the trainee saw.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require
from simulator.cbt.report import judge
from simulator.cbt.report.build import InterviewReport, interview_report
from simulator.cbt.report.competence import competence_rubric
from simulator.cbt.report.record import InterviewRecord, from_session
from simulator.cbt.sessions import SessionStore
from simulator.core.clock import now_iso
from simulator.core.db import Store
from simulator.modeluse import access
from simulator.core.settings import Settings

log = logging.getLogger(__name__)


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m013_interview_reports."""
    db["interview_reports"].create(
        {"session_id": str, "turns": int, "engine": str, "rubric_version": int, "report_version": int,
         "report_json": str, "fallback_reason": str, "created_at": str},
        pk="session_id", foreign_keys=[("session_id", "sessions", "id")],
        not_null={"turns", "engine", "rubric_version", "report_version", "report_json", "created_at"},
    )


def first_session(store: Store, session_id: str) -> bool:
    """Whether no earlier session of the same trainee was with the same case."""
    with store.db() as db:
        row = db.execute(
            "select count(*) from sessions s join sessions me on me.id = ? where s.case_id = me.case_id "
            "and s.created_at < me.created_at and (s.owner = me.owner or (s.owner is null and me.owner is null))",
            [session_id]).fetchone()
    return row[0] == 0


def record_of(store: Store, session_id: str) -> InterviewRecord:
    sessions = SessionStore(store)
    case = sessions.session_case(session_id)
    return from_session(sessions.transcript(session_id), sessions.states(session_id), case,
                        first_session(store, session_id))


def stored(store: Store, session_id: str) -> tuple[InterviewReport, int] | None:
    """The stored report and the number of turns it was built from."""
    with store.db() as db:
        row = db.execute("select report_json, turns from interview_reports where session_id = ?",
                         [session_id]).fetchone()
    return (InterviewReport.model_validate_json(row[0]), row[1]) if row else None


def report(store: Store, actor: Actor | None, session_id: str, settings: Settings) -> InterviewReport:
    """The session's report, if this actor may read the session.

    An ended session's report is built once (with the LLM judge when one is configured) and kept;
    an active session's is built afresh, offline, from what has been said so far.
    """
    info = SessionStore(store).session(session_id)
    require(store, actor, "read", info.owner)
    record = record_of(store, session_id)
    if info.status != "ended":
        return interview_report(record)
    kept = stored(store, session_id)
    if kept is not None and kept[1] == len(record.turns):
        return kept[0]
    rubric = competence_rubric()
    # The judge belongs to the interview exercise: the admin's choice, the notice and the daily cap
    # apply to it too; unlike the patient it has an offline stand-in.
    caller = replace(access.caller_for(store, "interview", info.owner), falls_back=True)
    built = judge.judged(settings, record, interview_report(record, rubric), rubric, caller)
    with store.db() as db:
        db["interview_reports"].upsert({
            "session_id": session_id, "turns": len(record.turns), "engine": built.rubric.engine,
            "rubric_version": built.rubric.rubric_version, "report_version": built.version,
            "report_json": built.model_dump_json(), "fallback_reason": built.rubric.fallback_reason,
            "created_at": now_iso(),
        }, pk="session_id")
    log.info("interview report for session %s kept (%d turns, rubric by %s)", session_id,
             len(record.turns), built.rubric.engine)
    return built


# Flags worked out from transcripts, by (database, session), with the (turn count, last turn id) they
# came from: Review lists every session on each rerun, and building a report is the slow part. Turns
# are only appended or erased, so the flag can change only when that pair does (the moves recorded
# on the trainee's turn after the reply are the reply's own, which the report reads already).
_flags: dict[tuple[str, str], tuple[tuple[int, int | None], bool]] = {}
_flags_lock = threading.Lock()
_FLAGS_KEPT = 20_000


def risk_flags(store: Store, session_ids: list[str]) -> dict[str, bool]:
    """Whether each session's report flags cues with no risk question: from the kept report, or
    for a session without one from the offline report of what is stored (the flag never depends on
    the rubric's engine), worked out again only when its transcript has changed. No access check:
    callers pass sessions the actor may already read."""
    if not session_ids:
        return {}
    marks = ",".join("?" for _ in session_ids)
    with store.db() as db:
        rows = db.execute(f"select session_id, json_extract(report_json, '$.risk.flag') from interview_reports "
                          f"where session_id in ({marks})", session_ids).fetchall()
        seen = {sid: (n, last) for sid, n, last in db.execute(
            f"select session_id, count(*), max(id) from turns where session_id in ({marks}) group by session_id",
            session_ids).fetchall()}
    flags = {sid: bool(flag) for sid, flag in rows}
    db_key = str(store.path.resolve())
    for sid in session_ids:
        if sid in flags:
            continue
        version = seen.get(sid, (0, None))
        with _flags_lock:
            cached = _flags.get((db_key, sid))
        if cached is not None and cached[0] == version:
            flags[sid] = cached[1]
            continue
        flags[sid] = interview_report(record_of(store, sid)).risk.flag
        with _flags_lock:
            if len(_flags) >= _FLAGS_KEPT:
                _flags.clear()  # a bound, not a policy: they are worked out again when next listed
            _flags[(db_key, sid)] = (version, flags[sid])
    return flags
