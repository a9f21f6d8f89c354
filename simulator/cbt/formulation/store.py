"""Drafts, submissions and scores of formulations, in the sessions database.

A draft is saved as the trainee types and can be overwritten until the formulation is submitted.
A submission is final: it is stored with its scores in one transaction, and a second one for the
same session is refused (a unique index makes that hold even for two tabs submitting at once).
It is accepted only after a long enough interview and when it is substantive, and it is stored as
the graded attempt or as repeat practice (simulator.cbt.formulation.reveal).
Everything here checks access first: a formulation belongs to the owner of its session.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone

import sqlite_utils
from pydantic import BaseModel

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require
from simulator.cbt.formulation import reveal
from simulator.cbt.formulation.errors import ALREADY, AlreadySubmitted, NotSubmitted
from simulator.cbt.formulation.evidence import (
    EVIDENCE_VERSION,
    Interview,
    score_with_evidence,
)
from simulator.cbt.formulation.judge import (
    JudgeResult,
    Narrative,
    judge,
    offline_narrative,
)
from simulator.cbt.formulation.rubric import Rubric, load_rubric
from simulator.cbt.formulation.scoring import (
    Formulation,
    FormulationScore,
    parse_formulation,
    reference_for,
)
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import Settings, load_settings
from simulator.modeluse.access import caller_for

log = logging.getLogger(__name__)


def create_formulation_tables(db: sqlite_utils.Database) -> None:
    """Migration m003_formulations (registered in simulator/migrations.py)."""
    db["formulation_drafts"].create(
        {"session_id": str, "owner": str, "data_json": str, "updated_at": str},
        pk="session_id", foreign_keys=[("session_id", "sessions", "id")],
        not_null={"data_json", "updated_at"},
    )
    db["formulation_submissions"].create(
        {"id": int, "session_id": str, "owner": str, "case_id": str, "situation_index": int,
         "data_json": str, "submitted_at": str},
        pk="id", foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "case_id", "situation_index", "data_json", "submitted_at"},
    )
    db["formulation_submissions"].create_index(["session_id"], unique=True)
    db["formulation_submissions"].create_index(["owner", "submitted_at"])
    db["formulation_scores"].create(
        {"id": int, "submission_id": int, "kind": str, "engine": str, "total": float,
         "result_json": str, "fallback_reason": str, "created_at": str},
        pk="id", foreign_keys=[("submission_id", "formulation_submissions", "id")],
        not_null={"submission_id", "kind", "engine", "result_json", "created_at"},
    )
    db["formulation_scores"].create_index(["submission_id", "kind"], unique=True)


class Submission(BaseModel):
    """A submitted formulation with everything the feedback page shows."""

    session_id: str
    owner: str | None
    case_id: str
    situation_index: int
    submitted_at: datetime
    formulation: Formulation
    reference: Formulation
    score: FormulationScore
    narratives: list[JudgeResult]
    attempt: reveal.Attempt = "graded"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _owner(store: Store, session_id: str) -> str | None:
    return SessionStore(store).session(session_id).owner


def interview(store: Store, actor: Actor | None, session_id: str) -> Interview:
    """The transcript and the disclosure state stored with each patient turn."""
    require(store, actor, "read", _owner(store, session_id))
    return _interview(store, session_id)


def _interview(store: Store, session_id: str) -> Interview:
    sessions = SessionStore(store)
    info, case = sessions.session_with_case(session_id)
    return Interview(case=case, situation_index=info.situation_index, turns=sessions.transcript(session_id),
                     states=sessions.states(session_id))


def _submitted(db: sqlite_utils.Database, session_id: str) -> bool:
    return db.execute("select 1 from formulation_submissions where session_id = ?",
                      [session_id]).fetchone() is not None


def is_submitted(store: Store, actor: Actor | None, session_id: str) -> bool:
    require(store, actor, "read", _owner(store, session_id))
    with store.db() as db:
        return _submitted(db, session_id)


def load_draft(store: Store, actor: Actor | None, session_id: str) -> Formulation | None:
    require(store, actor, "read", _owner(store, session_id))
    with store.db() as db:
        row = db.execute("select data_json from formulation_drafts where session_id = ?",
                         [session_id]).fetchone()
    return Formulation.model_validate_json(row[0]) if row else None


def save_draft(store: Store, actor: Actor | None, session_id: str, data) -> Formulation:
    """Validate and save the draft (replacing the previous one). Refused after submission."""
    require(store, actor, "write", owner := _owner(store, session_id))
    formulation = parse_formulation(data)
    with store.write() as db:
        if _submitted(db, session_id):
            raise AlreadySubmitted(ALREADY)
        db.execute("insert into formulation_drafts (session_id, owner, data_json, updated_at) "
                   "values (?, ?, ?, ?) on conflict(session_id) do update set "
                   "data_json = excluded.data_json, updated_at = excluded.updated_at",
                   [session_id, owner, formulation.model_dump_json(), _now()])
    return formulation


def score_session(store: Store, actor: Actor | None, session_id: str, formulation: Formulation,
                  rubric: Rubric | None = None) -> tuple[Formulation, FormulationScore]:
    """Score `formulation` against the session's case with evidence from its transcript (no writes)."""
    talk = interview(store, actor, session_id)  # checks that this actor may read the session
    reference = reference_for(talk.case, talk.situation_index)
    return reference, score_with_evidence(formulation, reference, talk, rubric)


def submit(store: Store, actor: Actor | None, session_id: str, data,
           settings: Settings | None = None) -> Submission:
    """Score and store the final formulation of a session, with both judges' results.

    Scoring (and the LLM judge, which may take seconds) runs before any write; the submission,
    its scores and the end of the session are then written in one transaction. A second submit
    raises AlreadySubmitted and changes nothing; so does any failure before the commit.
    """
    settings = settings or load_settings()
    info = SessionStore(store).session(session_id)
    require(store, actor, "write", info.owner)
    formulation = parse_formulation(data)
    if is_submitted(store, actor, session_id):
        raise AlreadySubmitted(ALREADY)
    reveal.check_ready(store, session_id, formulation, settings.reveal_min_turns)
    rubric = load_rubric()
    reference, score = score_session(store, actor, session_id, formulation, rubric)
    caller = caller_for(store, "formulation", actor.id if actor else None)
    narratives = judge(settings, formulation, reference, score, rubric, caller)
    now = _now()
    try:
        with store.write() as db:
            attempt = reveal.decide(db, session_id, now)  # in the same transaction: one graded attempt
            cur = db.execute(
                "insert into formulation_submissions (session_id, owner, case_id, situation_index, "
                "data_json, submitted_at, attempt) values (?, ?, ?, ?, ?, ?, ?)",
                [session_id, info.owner, info.case_id, info.situation_index,
                 formulation.model_dump_json(), now, attempt])
            sub_id = cur.lastrowid
            rows = [("score", "offline", score.total, score.model_dump_json(), None)]
            rows += [(f"narrative:{n.engine}", n.engine, None, n.narrative.model_dump_json(),
                      n.fallback_reason) for n in narratives]
            for kind, engine, total, result, reason in rows:
                db.execute("insert into formulation_scores (submission_id, kind, engine, total, "
                           "result_json, fallback_reason, created_at) values (?, ?, ?, ?, ?, ?, ?)",
                           [sub_id, kind, engine, total, result, reason, now])
            db.execute("delete from formulation_drafts where session_id = ?", [session_id])
            # Submitting is the end of the interview: the reference is about to be shown.
            db.execute("update sessions set status = 'ended', ended_at = coalesce(ended_at, ?), "
                       "updated_at = ? where id = ?", [now, now, session_id])
    except sqlite3.IntegrityError as err:
        if "formulation_submissions.session_id" in str(err):
            raise AlreadySubmitted(ALREADY) from None
        raise
    return submission(store, actor, session_id)


def submission(store: Store, actor: Actor | None, session_id: str) -> Submission:
    """The submitted formulation with its scores. Raises NotSubmitted before the submit."""
    info, case = SessionStore(store).session_with_case(session_id)
    require(store, actor, "read", info.owner)
    with store.db() as db:
        rows = list(db["formulation_submissions"].rows_where("session_id = ?", [session_id]))
        if not rows:
            raise NotSubmitted("This formulation has not been submitted yet; the reference and "
                               "the feedback appear once it is.")
        row = rows[0]
        scores = list(db["formulation_scores"].rows_where("submission_id = ?", [row["id"]],
                                                          order_by="id"))
    score = next(FormulationScore.model_validate_json(s["result_json"]) for s in scores
                 if s["kind"] == "score")
    narratives = [JudgeResult(engine=s["engine"], fallback_reason=s["fallback_reason"],
                                  narrative=Narrative.model_validate_json(s["result_json"]))
                  for s in scores if s["kind"].startswith("narrative:")]
    formulation = Formulation.model_validate_json(row["data_json"])
    if score.evidence is not None and score.evidence.version < EVIDENCE_VERSION:
        score, narratives = _upgrade(store, row["id"], session_id, formulation, score, narratives)
    return Submission(
        session_id=session_id, owner=row["owner"], case_id=row["case_id"],
        situation_index=row["situation_index"], submitted_at=row["submitted_at"],
        formulation=formulation,
        reference=reference_for(case, row["situation_index"]),
        score=score, narratives=narratives, attempt=row["attempt"] or "graded",
    )


def discard_draft(store: Store, actor: Actor | None, session_id: str) -> bool:
    """Throw away the unsubmitted draft of a session (the owner only); whether there was one."""
    require(store, actor, "write", _owner(store, session_id))
    with store.db() as db, db.conn:
        cur = db.execute("delete from formulation_drafts where session_id = ?", [session_id])
    return cur.rowcount > 0


class OpenDraft(BaseModel):
    session_id: str
    case_id: str
    situation_index: int
    updated_at: datetime


def open_drafts(store: Store, actor: Actor | None, case_id: str) -> list[OpenDraft]:
    """The actor's own unsubmitted drafts on a case, newest first."""
    owner = actor.id if actor else None
    with store.db() as db:
        rows = db.execute(
            "select d.session_id, s.case_id, s.situation_index, d.updated_at from formulation_drafts d "
            "join sessions s on s.id = d.session_id where s.owner is ? and s.case_id = ? "
            "order by d.updated_at desc", [owner, case_id]).fetchall()
    return [OpenDraft(session_id=r[0], case_id=r[1], situation_index=r[2], updated_at=r[3]) for r in rows]
def _upgrade(store: Store, submission_id: int, session_id: str, formulation: Formulation,
             score: FormulationScore, narratives: list[JudgeResult]) -> tuple[FormulationScore, list[JudgeResult]]:
    """Evidence stored before one verdict per element (version 1: statuses that could contradict
    each other, transcript indices for turns): rebuilt from the transcript once, and kept. The
    score itself does not change; the offline narrative is rebuilt from the new evidence."""
    talk = _interview(store, session_id)  # the caller has checked that the actor may read it
    reference = reference_for(talk.case, talk.situation_index)
    fresh = score_with_evidence(formulation, reference, talk)
    score = score.model_copy(update={"evidence": fresh.evidence})
    rebuilt = []
    for n in narratives:
        if n.engine == "offline":
            n = n.model_copy(update={"narrative": offline_narrative(formulation, score, load_rubric())})
        rebuilt.append(n)
    with store.db() as db, db.conn:
        db.execute("update formulation_scores set result_json = ? where submission_id = ? and kind = 'score'",
                   [score.model_dump_json(), submission_id])
        for n in rebuilt:
            if n.engine == "offline":
                db.execute("update formulation_scores set result_json = ? where submission_id = ? "
                           "and kind = 'narrative:offline'", [n.narrative.model_dump_json(), submission_id])
    log.info("formulation evidence of session %s rebuilt to version %d", session_id, EVIDENCE_VERSION)
    return score, rebuilt


class HistoryPoint(BaseModel):
    session_id: str
    case_id: str
    submitted_at: datetime
    total: float
    fields: dict[str, float]  # field -> level 0-2
    attempt: reveal.Attempt = "graded"


def history(store: Store, actor: Actor | None, owner: str | None = None) -> list[HistoryPoint]:
    """Every submitted formulation of `owner` (default: the actor), oldest first."""
    owner = owner if owner is not None else (actor.id if actor else None)
    require(store, actor, "read", owner)
    with store.db() as db:
        where = "s.owner = ?" if owner is not None else "s.owner is null"
        rows = db.execute(
            "select s.session_id, s.case_id, s.submitted_at, f.result_json, s.attempt "
            "from formulation_submissions s join formulation_scores f on f.submission_id = s.id "
            f"and f.kind = 'score' where {where} order by s.submitted_at",
            [owner] if owner is not None else []).fetchall()
    out = []
    for session_id, case_id, submitted_at, result_json, attempt in rows:
        raw = json.loads(result_json)
        out.append(HistoryPoint(session_id=session_id, case_id=case_id, submitted_at=submitted_at,
                                total=raw["total"], fields={f["field"]: f["level"] for f in raw["fields"]},
                                attempt=attempt or "graded"))
    return out
