"""De-identified research export (JSONL or CSV) of consenting trainees' work, with an audit entry.

- Trainees appear only as a keyed-hash pseudonym, stable across exports made with the same secret;
  every record id (sessions, attempts) is keyed-hashed the same way, so no exported id matches
  an id in the app's database or its URLs.
- Timestamps are kept as the date the session started (UTC) and seconds since that start.
- Free text (messages, comments, notes, formulations, reframes, and the free-text parts of
  feedback and state) is left out unless the export asks for it; then it is scrubbed of person
  names, emails, phone numbers, street addresses and every account's names
  (simulator/research/scrub.py). Closed-list values (ratings, labels, core beliefs, emotions)
  are always kept.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import require_exporter
from simulator.cbt.interview import turn_number
from simulator.cbt.vocab import CORE_BELIEFS, EMOTIONS
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR
from simulator.dearman.scenarios import CUSTOM_SCENARIO
from simulator.research.scrub import Scrubber, ScrubberUnavailable

log = logging.getLogger(__name__)

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
    """One exported file: its columns, how to read its rows for the included trainees, which
    columns are free text, and which hold JSON that may carry free text."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[sqlite_utils.Database, dict[str, str], Filters, "Keys"], Iterable[dict]]
    text: tuple[str, ...] = ()
    json_text: tuple[str, ...] = ()


def pseudonym(secret: str, user_id: str) -> str:
    return "t_" + hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:16]


def keyed_id(secret: str, kind: str, record_id: str) -> str:
    """A record id as the export shows it: a keyed hash, prefixed by the kind of record."""
    digest = hmac.new(secret.encode(), f"{kind}:{record_id}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"{kind[0]}_{digest}"


class Keys:
    """Ids and times as exported: keyed hashes, and seconds since the session's start."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def id(self, kind: str, record_id: str | None) -> str | None:
        return keyed_id(self.secret, kind, record_id) if record_id else None

    @staticmethod
    def day(start: str | None) -> str | None:
        return datetime.fromisoformat(start).date().isoformat() if start else None

    @staticmethod
    def since(start: str | None, at: str | None) -> float | None:
        if not start or not at:
            return None
        return round((datetime.fromisoformat(at) - datetime.fromisoformat(start)).total_seconds(), 1)


def _in(ids: Iterable[str]) -> tuple[str, list[str]]:
    ids = list(ids)
    return ",".join("?" for _ in ids) or "NULL", ids


def _owned(sql: str, date_col: str, case_col: str | None, build: Callable[[dict, str, Keys], dict]):
    """Rows for the included trainees from a query whose owning table is aliased x.

    A case filter keeps only records tied to that case; records of exercises without a case
    (DEAR MAN, drills) are then left out.
    """
    def rows(db, people: dict[str, str], f: Filters, keys: Keys) -> Iterable[dict]:
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
            yield build(r, people[r["owner"]], keys)
    return rows


def _session_row(r, who, k: Keys, kind: str = "session", at: str = "created_at") -> dict:
    """The columns every row of a session's record shares: its hashed id, trainee and date."""
    return {"session_id": k.id(kind, r["session_id"]), "trainee": who, "date": k.day(r["start_at"]),
            "at_s": k.since(r["start_at"], r[at])}


# A CBT session's attempt (simulator.cbt.formulation.reveal): "graded" or "repeat" once its
# formulation is submitted; "repeat" while the reference of its case and situation has been seen;
# empty for an open session that would still be graded.
_ATTEMPT = ("coalesce((select f.attempt from formulation_submissions f where f.session_id = x.id), "
            "case when exists (select 1 from formulation_reveals r where r.owner is x.owner and "
            "r.case_id = x.case_id and r.situation_index = x.situation_index and r.session_id != x.id "
            "and (r.reset_at is null or r.reset_at > x.created_at)) then 'repeat' end)")

# Tables of the CBT practice sessions, filtered through their session (alias x).
_SESSION_TABLES = [
    ExportTable(
        "sessions",
        ("session_id", "trainee", "case_id", "situation", "style", "engine", "seed", "status", "attempt", "date",
         "ended_s", "final_state"),
        _owned(f"select x.*, {_ATTEMPT} as attempt from sessions x where {{where}} order by x.created_at",
               "created_at", "case_id",
               lambda r, who, k: {"session_id": k.id("session", r["id"]), "trainee": who, "case_id": r["case_id"],
                                  "situation": r["situation_index"] + 1, "style": r["style"], "engine": r["engine"],
                                  "seed": r["seed"], "status": r["status"], "attempt": r["attempt"],
                                  "date": k.day(r["created_at"]),
                                  "ended_s": k.since(r["created_at"], r["ended_at"]),
                                  "final_state": r["state_json"]}),
        json_text=("final_state",)),
    ExportTable(
        "turns",
        ("session_id", "trainee", "turn", "role", "text", "complete", "moves", "risk_aspects", "state_after", "date",
         "at_s"),
        _owned("select t.*, x.owner, x.created_at as start_at from turns t join sessions x on x.id = t.session_id "
               "where {where} order by t.session_id, t.idx", "created_at", "case_id",
               lambda r, who, k: {**_session_row(r, who, k), "turn": turn_number(r["idx"]), "role": r["role"],
                                  "text": r["text"], "complete": bool(r["complete"]), "moves": r["moves_json"],
                                  "risk_aspects": r.get("risk_aspects_json"), "state_after": r["state_json"]}),
        text=("text",), json_text=("state_after",)),
    ExportTable(
        "comments",
        ("session_id", "trainee", "turn", "author_role", "text", "date", "at_s"),
        _owned("select c.*, x.owner, x.created_at as start_at, u.role as author_role from comments c "
               "join sessions x on x.id = c.session_id join users u on u.id = c.author_id where {where} "
               "order by c.id", "created_at", "case_id",
               lambda r, who, k: {**_session_row(r, who, k), "turn": turn_number(r["turn_idx"]),
                                  "author_role": r["author_role"], "text": r["text"]}),
        text=("text",)),
    ExportTable(
        "grades",
        ("session_id", "trainee", "rubric_version", "scores", "total", "note", "date", "at_s"),
        _owned("select g.*, x.owner, x.created_at as start_at from grades g join sessions x on x.id = g.session_id "
               "where {where} order by g.id", "created_at", "case_id",
               lambda r, who, k: {**_session_row(r, who, k), "rubric_version": r.get("rubric_version", 1),
                                  "scores": r["scores_json"], "total": r["total"], "note": r["note"]}),
        text=("note",)),
    ExportTable(
        "interview_reports",
        ("session_id", "trainee", "engine", "rubric_version", "report_version", "report", "fallback_reason",
         "date", "at_s"),
        _owned("select i.*, i.created_at as at, x.owner, x.created_at as start_at from interview_reports i "
               "join sessions x on x.id = i.session_id where {where} order by i.created_at", "created_at", "case_id",
               lambda r, who, k: {**_session_row(r, who, k, at="at"), "engine": r["engine"],
                                  "rubric_version": r["rubric_version"], "report_version": r["report_version"],
                                  "report": r["report_json"], "fallback_reason": r["fallback_reason"]}),
        json_text=("report",)),
]


def _own_situation(r: dict) -> dict:
    """A situation the trainee described themselves: their own words, so free text (opt-in, scrubbed)."""
    if r["scenario_id"] != CUSTOM_SCENARIO:
        return {"own_situation": None, "own_goal": None}
    scenario = json.loads(r["scenario_json"])
    return {"own_situation": scenario.get("situation"), "own_goal": scenario.get("goal")}


TABLES: list[ExportTable] = [
    *_SESSION_TABLES,
    ExportTable(
        "formulations",
        ("session_id", "trainee", "case_id", "situation", "attempt", "date", "submitted_s", "formulation", "engine",
         "kind", "total", "result", "fallback_reason"),
        _owned("select x.*, ss.created_at as start_at, s.engine, s.kind, s.total, s.result_json, s.fallback_reason "
               "from formulation_submissions x left join sessions ss on ss.id = x.session_id "
               "left join formulation_scores s on s.submission_id = x.id where {where} order by x.id, s.id",
               "submitted_at", "case_id",
               lambda r, who, k: {"session_id": k.id("session", r["session_id"]), "trainee": who,
                                  "case_id": r["case_id"], "situation": r["situation_index"] + 1,
                                  "attempt": r["attempt"], "date": k.day(r["start_at"] or r["submitted_at"]),
                                  "submitted_s": k.since(r["start_at"], r["submitted_at"]),
                                  "formulation": r["data_json"], "engine": r["engine"], "kind": r["kind"],
                                  "total": r["total"], "result": r["result_json"],
                                  "fallback_reason": r["fallback_reason"]}),
        json_text=("formulation", "result")),
    ExportTable(
        "dearman_sessions",
        ("session_id", "trainee", "scenario_id", "engine", "seed", "status", "outcome", "emotions_before",
         "emotions_after", "final_state", "own_situation", "own_goal", "date", "ended_s"),
        _owned("select x.* from dearman_sessions x where {where} order by x.created_at", "created_at", None,
               lambda r, who, k: {"session_id": k.id("dearman", r["id"]), "trainee": who,
                                  "scenario_id": r["scenario_id"], "engine": r["engine"], "seed": r["seed"],
                                  "status": r["status"], "outcome": r["outcome"], "emotions_before": r["before_json"],
                                  "emotions_after": r["after_json"], "final_state": r["state_json"],
                                  **_own_situation(r), "date": k.day(r["created_at"]),
                                  "ended_s": k.since(r["created_at"], r["ended_at"])}),
        text=("own_situation", "own_goal"), json_text=("final_state",)),
    ExportTable(
        "dearman_turns",
        ("session_id", "trainee", "turn", "role", "text", "complete", "ratings", "rater", "checks",
         "counterpart_state", "engine", "date", "at_s"),
        _owned("select t.*, x.owner, x.created_at as start_at from dearman_turns t "
               "join dearman_sessions x on x.id = t.session_id where {where} order by t.session_id, t.idx",
               "created_at", None,
               lambda r, who, k: {**_session_row(r, who, k, "dearman"), "turn": r["idx"], "role": r["role"],
                                  "text": r["text"], "complete": bool(r["complete"]), "ratings": r["ratings_json"],
                                  "rater": r["rater"], "checks": r["checks"], "counterpart_state": r["state_json"],
                                  "engine": r["engine"]}),
        text=("text",), json_text=("ratings", "counterpart_state")),
    ExportTable(
        "drill_attempts",
        ("attempt_id", "trainee", "item_id", "thought", "picked", "correct", "pattern_score", "reframe",
         "feedback", "criteria_met", "strategy", "engine", "date"),
        _owned("select x.* from drill_attempts x where {where} order by x.created_at", "created_at", None,
               lambda r, who, k: {"attempt_id": k.id("attempt", r["id"]), "trainee": who, "item_id": r["item_id"],
                                  "thought": r["thought"], "picked": r["picked_json"], "correct": r["correct_json"],
                                  "pattern_score": r["pattern_score"], "reframe": r["reframe"],
                                  "feedback": r["feedback_json"], "criteria_met": r["criteria_met"],
                                  "strategy": r["strategy"], "engine": r["engine"], "date": k.day(r["created_at"])}),
        text=("reframe",), json_text=("feedback",)),
    ExportTable(
        "restructuring_sessions",
        ("session_id", "trainee", "case_id", "situation", "engine", "status", "state", "date", "ended_s"),
        _owned("select x.* from restructuring_sessions x where {where} order by x.created_at", "created_at",
               "case_id",
               lambda r, who, k: {"session_id": k.id("restructuring", r["id"]), "trainee": who,
                                  "case_id": r["case_id"], "situation": r["situation_index"] + 1,
                                  "engine": r["engine"], "status": r["status"], "state": r["state_json"],
                                  "date": k.day(r["created_at"]), "ended_s": k.since(r["created_at"], r["ended_at"])}),
        json_text=("state",)),
    ExportTable(
        "restructuring_turns",
        ("session_id", "trainee", "turn", "role", "text", "rules_text", "acts", "stage", "voice", "date", "at_s"),
        _owned("select t.*, x.owner, x.created_at as start_at from restructuring_turns t "
               "join restructuring_sessions x on x.id = t.session_id where {where} order by t.session_id, t.idx",
               "created_at", "case_id",
               lambda r, who, k: {**_session_row(r, who, k, "restructuring"), "turn": r["idx"], "role": r["role"],
                                  "text": r["text"], "rules_text": r["content"], "acts": r["acts_json"],
                                  "stage": r["stage"], "voice": r["voice"]}),
        text=("text", "rules_text")),
    ExportTable(
        "corrections",
        ("record_id", "trainee", "kind", "turn", "item", "scorer", "automatic", "corrected", "agrees",
         "author_role", "reason", "date"),
        _owned("select x.*, u.role as author_role from corrections x join users u on u.id = x.author_id "
               "where {where} order by x.id", "created_at", None,
               lambda r, who, k: {"record_id": k.id("attempt" if r["kind"] == "reframe_check" else
                                                    "dearman" if r["kind"] == "dearman_skill" else "session",
                                                    r["record_id"]),
                                  "trainee": who, "kind": r["kind"], "turn": r["turn"], "item": r["item"],
                                  "scorer": r["scorer"], "automatic": r["automatic_json"],
                                  "corrected": r["corrected_json"], "agrees": bool(r["agrees"]),
                                  "author_role": r["author_role"], "reason": r["reason"],
                                  "date": k.day(r["created_at"])}),
        text=("reason",)),
]

# -- free text ---------------------------------------------------------------------------------

# Keys whose string values are someone's words, even when a value is a single word.
FREE_TEXT_KEYS = frozenset({
    "text", "reason", "suggestion", "rewrite", "situation", "automatic_thoughts", "behavior",
    "intermediate_beliefs", "coping_strategies", "history", "last_reply", "reframe", "thought", "detail",
    "examples", "evidence_for", "evidence_against", "note", "changes", "quote", "goal",
})
_LABEL = re.compile(r"^[a-z0-9][a-z0-9_\-:.]{0,60}$")
_CLOSED = frozenset(CORE_BELIEFS) | frozenset(EMOTIONS)


def _is_closed(value: str, key: str | None) -> bool:
    """A value from a closed list (a label, a core belief, an emotion), not anyone's own words."""
    return value in _CLOSED or (key not in FREE_TEXT_KEYS and bool(_LABEL.match(value)))


def _walk(value, key: str | None, text: Callable[[str], str | None]):
    if isinstance(value, dict):
        return {k: _walk(v, k, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, key, text) for v in value]
    if isinstance(value, str) and not _is_closed(value, key):
        return text(value)
    return value


def json_free_text(raw: str | None, text: Callable[[str], str | None]) -> str | None:
    """A JSON column with every free-text string passed through text (scrub, or drop)."""
    if not raw:
        return raw
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        # Not JSON after all: treat the whole value as free text rather than let it through.
        log.warning("export: a JSON column did not parse (%s); treated as free text", err)
        return text(raw)
    return json.dumps(_walk(data, None, text), ensure_ascii=False)


def _account_names(db) -> list[str]:
    """Every account's username and email, and display name where accounts have one."""
    columns = [c for c in ("username", "email", "display_name") if c in db["users"].columns_dict]
    return [r[c] for r in db.query(f"select {', '.join(columns)} from users") for c in columns if r[c]]


def _scrubber(db) -> Scrubber:
    scrubber = Scrubber(accounts=_account_names(db))
    try:
        scrubber.check()
    except ScrubberUnavailable as err:
        log.error("export: free text requested but the scrubber cannot run: %s", err)
        raise ExportError(f"Free text cannot be included: {err}. Export without free text.") from err
    return scrubber


# Model usage of the included trainees (simulator/llm/usage.py), without error details.
TABLES.append(ExportTable(
    "model_usage",
    ("trainee", "date", "exercise", "model", "kind", "prompt_tokens", "completion_tokens", "cached_tokens",
     "estimated", "latency_ms", "first_token_ms", "outcome", "attempts"),
    _owned("select * from (select c.*, c.user_id as owner from llm_calls c) x where {where} order by x.id", "at",
           None,
           lambda r, who, k: {"trainee": who, "date": k.day(r["at"]), "exercise": r["exercise"], "model": r["model"],
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


def collect(store: Store, actor: Actor | None, secret: str | None, filters: Filters,
            free_text: bool = False) -> dict[str, list[dict]]:
    """Rows per exported table. Only researchers and admins export. Free text is left out (None)
    unless free_text is set; then it is scrubbed."""
    require_exporter(actor)
    if not secret:
        raise ExportError("Set PRACTICUM_EXPORT_SECRET (a long random string kept by the study team) "
                          "before exporting: it keys the trainee pseudonyms and record ids.")
    keys = Keys(secret)
    with store.db() as db:
        people_rows = _consenting(db, filters)
        people = {p["id"]: pseudonym(secret, p["id"]) for p in people_rows}
        # Anyone's name typed into a message, comment or note is masked, not just the consenting
        # trainees': supervisors and other trainees are named in text too.
        scrub = _scrubber(db) if free_text and people else None
        text: Callable[[str], str | None] = scrub if scrub is not None else (lambda v: None)
        out = {}
        for table in TABLES:
            rows = []
            for r in (table.rows(db, people, filters, keys) if people else []):
                row = {c: r.get(c) for c in table.columns}
                for c in table.text:
                    row[c] = text(row[c]) if isinstance(row[c], str) else row[c]
                for c in table.json_text:
                    row[c] = json_free_text(row[c], text)
                rows.append(row)
            out[table.name] = rows
    audit(store, actor.id, "export", {
        "filters": {"since": filters.since.isoformat() if filters.since else None,
                    "cohort": filters.cohort, "case": filters.case_id},
        "free_text": free_text, "trainees": len(people), "rows": {k: len(v) for k, v in out.items()},
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


DICTIONARY_FILE = f"{FILES_PREFIX}_data_dictionary.csv"


@lru_cache(maxsize=1)
def _dictionary() -> dict:
    return json.loads((DATA_DIR / "research" / "dictionary.json").read_text(encoding="utf-8"))


def dictionary_rows() -> list[dict]:
    """One line per column of every exported file: the file, the column and what it holds."""
    d = _dictionary()
    rows = []
    for table in TABLES:
        for column in table.columns:
            meaning = d["columns"].get(table.name, {}).get(column) or d["shared"].get(column)
            if meaning is None:
                raise KeyError(f"data/research/dictionary.json does not describe {table.name}.{column}")
            rows.append({"file": table.name, "column": column, "meaning": meaning,
                         "free_text": "yes" if column in table.text or column in table.json_text else "no"})
    return rows


def file_name(table: str, fmt: str) -> str:
    return f"{FILES_PREFIX}_{table}.{fmt}"


def zip_bytes(data: dict[str, list[dict]], fmt: str) -> bytes:
    """Every table in one zip with the data dictionary; the format is in each file's name."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in TABLES:
            zf.writestr(file_name(table.name, fmt), render(data.get(table.name, []), table.columns, fmt))
        zf.writestr(DICTIONARY_FILE, render(dictionary_rows(), ("file", "column", "meaning", "free_text"), "csv"))
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
        path = out_dir / file_name(table.name, fmt)
        path.write_text(render(data.get(table.name, []), table.columns, fmt), encoding="utf-8")
        written.append(path)
    path = out_dir / DICTIONARY_FILE
    path.write_text(render(dictionary_rows(), ("file", "column", "meaning", "free_text"), "csv"), encoding="utf-8")
    written.append(path)
    return written
