"""De-identified research export (JSONL or CSV) of consenting trainees' work, with an audit entry.

Trainees appear only as a keyed-hash pseudonym, stable across exports made with the same secret;
usernames and emails never leave, and are masked where a trainee typed them into a message.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import AccessDenied
from simulator.core.db import Store

FILES_PREFIX = "practicum"


class ExportError(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    cohort: str | None = None  # cohort name or id
    case_id: str | None = None


@dataclass(frozen=True)
class ExportTable:
    """One exported file: its columns, and how to read its rows for the included trainees."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[sqlite_utils.Database, dict[str, str], Filters], Iterable[dict]]


def pseudonym(secret: str, user_id: str) -> str:
    return "t_" + hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:16]


def _in(ids: Iterable[str]) -> tuple[str, list[str]]:
    ids = list(ids)
    return ",".join("?" for _ in ids) or "NULL", ids


def _owned(sql: str, date_col: str, case_col: str | None, build: Callable[[dict, str], dict]):
    """Rows for the included trainees from a query whose owning table is aliased x.

    A case filter keeps only records tied to that case; records of exercises without a case
    (DEAR MAN, drills) are then left out.
    """
    def rows(db, people: dict[str, str], f: Filters) -> Iterable[dict]:
        if f.case_id and case_col is None:
            return
        marks, ids = _in(people)
        where, args = [f"x.owner in ({marks})"], list(ids)
        if f.since:
            where.append(f"x.{date_col} >= ?")
            args.append(f.since.isoformat())
        if f.case_id:
            where.append(f"x.{case_col} = ?")
            args.append(f.case_id)
        for r in db.query(sql.format(where=" and ".join(where)), args):
            yield build(r, people[r["owner"]])
    return rows


# Tables of the CBT practice sessions, filtered through their session (alias x).
_SESSION_TABLES = [
    ExportTable(
        "sessions",
        ("session_id", "trainee", "case_id", "situation", "style", "engine", "seed", "status", "created_at",
         "ended_at", "final_state"),
        _owned("select x.* from sessions x where {where} order by x.created_at", "created_at", "case_id",
               lambda r, who: {"session_id": r["id"], "trainee": who, "case_id": r["case_id"],
                               "situation": r["situation_index"] + 1, "style": r["style"], "engine": r["engine"],
                               "seed": r["seed"], "status": r["status"], "created_at": r["created_at"],
                               "ended_at": r["ended_at"], "final_state": r["state_json"]})),
    ExportTable(
        "turns",
        ("session_id", "trainee", "turn", "role", "text", "complete", "moves", "state_after", "created_at"),
        _owned("select t.*, x.owner from turns t join sessions x on x.id = t.session_id where {where} "
               "order by t.session_id, t.idx", "created_at", "case_id",
               lambda r, who: {"session_id": r["session_id"], "trainee": who, "turn": r["idx"], "role": r["role"],
                               "text": r["text"], "complete": bool(r["complete"]), "moves": r["moves_json"],
                               "state_after": r["state_json"], "created_at": r["created_at"]})),
    ExportTable(
        "comments",
        ("session_id", "trainee", "turn", "author_role", "text", "created_at"),
        _owned("select c.*, x.owner, u.role as author_role from comments c join sessions x on x.id = c.session_id "
               "join users u on u.id = c.author_id where {where} order by c.id", "created_at", "case_id",
               lambda r, who: {"session_id": r["session_id"], "trainee": who, "turn": r["turn_idx"],
                               "author_role": r["author_role"], "text": r["text"], "created_at": r["created_at"]})),
    ExportTable(
        "grades",
        ("session_id", "trainee", "scores", "total", "note", "created_at"),
        _owned("select g.*, x.owner from grades g join sessions x on x.id = g.session_id where {where} "
               "order by g.id", "created_at", "case_id",
               lambda r, who: {"session_id": r["session_id"], "trainee": who, "scores": r["scores_json"],
                               "total": r["total"], "note": r["note"], "created_at": r["created_at"]})),
]


TABLES: list[ExportTable] = [
    *_SESSION_TABLES,
    ExportTable(
        "formulations",
        ("session_id", "trainee", "case_id", "situation", "submitted_at", "formulation", "engine", "kind",
         "total", "result", "fallback_reason"),
        _owned("select x.*, s.engine, s.kind, s.total, s.result_json, s.fallback_reason from formulation_submissions x "
               "left join formulation_scores s on s.submission_id = x.id where {where} order by x.id, s.id",
               "submitted_at", "case_id",
               lambda r, who: {"session_id": r["session_id"], "trainee": who, "case_id": r["case_id"],
                               "situation": r["situation_index"] + 1, "submitted_at": r["submitted_at"],
                               "formulation": r["data_json"], "engine": r["engine"], "kind": r["kind"],
                               "total": r["total"], "result": r["result_json"],
                               "fallback_reason": r["fallback_reason"]})),
    ExportTable(
        "dearman_sessions",
        ("session_id", "trainee", "scenario_id", "engine", "seed", "status", "outcome", "emotions_before",
         "emotions_after", "final_state", "created_at", "ended_at"),
        _owned("select x.* from dearman_sessions x where {where} order by x.created_at", "created_at", None,
               lambda r, who: {"session_id": r["id"], "trainee": who, "scenario_id": r["scenario_id"],
                               "engine": r["engine"], "seed": r["seed"], "status": r["status"],
                               "outcome": r["outcome"], "emotions_before": r["before_json"],
                               "emotions_after": r["after_json"], "final_state": r["state_json"],
                               "created_at": r["created_at"], "ended_at": r["ended_at"]})),
    ExportTable(
        "dearman_turns",
        ("session_id", "trainee", "turn", "role", "text", "complete", "ratings", "rater", "checks",
         "counterpart_state", "engine", "created_at"),
        _owned("select t.*, x.owner from dearman_turns t join dearman_sessions x on x.id = t.session_id "
               "where {where} order by t.session_id, t.idx", "created_at", None,
               lambda r, who: {"session_id": r["session_id"], "trainee": who, "turn": r["idx"],
                               "role": r["role"], "text": r["text"], "complete": bool(r["complete"]),
                               "ratings": r["ratings_json"], "rater": r["rater"], "checks": r["checks"],
                               "counterpart_state": r["state_json"], "engine": r["engine"],
                               "created_at": r["created_at"]})),
    ExportTable(
        "drill_attempts",
        ("attempt_id", "trainee", "item_id", "thought", "picked", "correct", "pattern_score", "reframe",
         "feedback", "criteria_met", "strategy", "engine", "created_at"),
        _owned("select x.* from drill_attempts x where {where} order by x.created_at", "created_at", None,
               lambda r, who: {"attempt_id": r["id"], "trainee": who, "item_id": r["item_id"],
                               "thought": r["thought"], "picked": r["picked_json"], "correct": r["correct_json"],
                               "pattern_score": r["pattern_score"], "reframe": r["reframe"],
                               "feedback": r["feedback_json"], "criteria_met": r["criteria_met"],
                               "strategy": r["strategy"], "engine": r["engine"], "created_at": r["created_at"]})),
    ExportTable(
        "restructuring_sessions",
        ("session_id", "trainee", "case_id", "situation", "engine", "status", "state", "created_at"),
        _owned("select x.* from restructuring_sessions x where {where} order by x.created_at", "created_at",
               "case_id",
               lambda r, who: {"session_id": r["id"], "trainee": who, "case_id": r["case_id"],
                               "situation": r["situation_index"] + 1, "engine": r["engine"],
                               "status": r["status"], "state": r["state_json"], "created_at": r["created_at"]})),
]


# Model usage of the included trainees (simulator/llm/usage.py), without error details.
TABLES.append(ExportTable(
    "model_usage",
    ("trainee", "day", "exercise", "model", "kind", "prompt_tokens", "completion_tokens", "cached_tokens",
     "estimated", "latency_ms", "first_token_ms", "outcome", "attempts"),
    _owned("select * from (select c.*, c.user_id as owner from llm_calls c) x where {where} order by x.id", "at",
           None,
           lambda r, who: {"trainee": who, "day": r["day"], "exercise": r["exercise"], "model": r["model"],
                           "kind": r["kind"], "prompt_tokens": r["prompt_tokens"],
                           "completion_tokens": r["completion_tokens"], "cached_tokens": r["cached_tokens"],
                           "estimated": bool(r["estimated"]), "latency_ms": r["latency_ms"],
                           "first_token_ms": r["first_token_ms"], "outcome": r["outcome"],
                           "attempts": r["attempts"]}),
))


def _consenting(db, f: Filters) -> list[dict]:
    sql = "select id, username, email from users where role = 'trainee' and consent = 1 and active in (0, 1)"
    args: list = []
    if f.cohort:
        sql += (" and id in (select m.user_id from cohort_members m join cohorts c on c.id = m.cohort_id "
                "where (c.name = ? or c.id = ?) and m.role = 'trainee')")
        args += [f.cohort, f.cohort]
    return list(db.query(sql, args))


def _masker(people: list[dict]) -> Callable[[object], object]:
    words = sorted({w for p in people for w in (p["username"], p["email"]) if w and len(w) >= 3}, key=len, reverse=True)
    if not words:
        return lambda v: v
    # Whole words only: a username "tom" must not eat into "tomorrow".
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)
    return lambda v: pattern.sub("[redacted]", v) if isinstance(v, str) else v


def collect(store: Store, actor: Actor | None, secret: str | None, filters: Filters) -> dict[str, list[dict]]:
    """Rows per exported table. Only researchers and admins export."""
    if actor is None or actor.role not in ("researcher", "admin"):
        raise AccessDenied("Only researchers and admins can export.")
    if not secret:
        raise ExportError("Set PRACTICUM_EXPORT_SECRET (a long random string kept by the study team) "
                          "before exporting: it keys the trainee pseudonyms.")
    with store.db() as db:
        people_rows = _consenting(db, filters)
        people = {p["id"]: pseudonym(secret, p["id"]) for p in people_rows}
        # Anyone's username or email typed into a message, comment or note is masked, not just
        # the consenting trainees': supervisors and other trainees are named in text too.
        mask = _masker(list(db.query("select username, email from users")))
        out = {}
        for table in TABLES:
            rows = table.rows(db, people, filters) if people else []
            out[table.name] = [{c: mask(r.get(c)) for c in table.columns} for r in rows]
    audit(store, actor.id, "export", {
        "filters": {"since": filters.since.isoformat() if filters.since else None,
                    "cohort": filters.cohort, "case": filters.case_id},
        "trainees": len(people), "rows": {k: len(v) for k, v in out.items()},
    })
    return out


def render(rows: list[dict], columns: tuple[str, ...], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()  # headers even with no rows, so an empty export still loads
    writer.writerows(rows)
    return buf.getvalue()


def write(data: dict[str, list[dict]], out_dir: Path, fmt: str) -> list[Path]:
    """Write one file per table into out_dir; file names are fixed, never taken from the data."""
    if fmt not in ("jsonl", "csv"):
        raise ExportError("The format is jsonl or csv.")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} is a file, not a folder.")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES:
        path = out_dir / f"{FILES_PREFIX}_{table.name}.{fmt}"
        path.write_text(render(data.get(table.name, []), table.columns, fmt), encoding="utf-8")
        written.append(path)
    return written
