"""Supervisors correct the machine: any automatic score can be marked wrong and given the right
value with a short reason (or marked right), stored with who and when.

Corrections never retrain anything. They are shown beside the automatic score (on Review and to
the trainee), exported, and counted: `agreement` gives, per automatic scorer and item, how often
supervisors agreed with it, over every corrected item and every graded interview-report item.
The evaluation commands report on them separately from the blind sets (`eval-corrections`).

What the automatic value was is looked up by the service that records a correction (from each
feature's own store), never taken from a page.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

import sqlite_utils
from pydantic import BaseModel

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import require, require_reviewer
from simulator.cbt.report.store import stored as stored_report
from simulator.core.clock import now_iso
from simulator.core.db import Store

Kind = Literal["formulation_field", "dearman_skill", "trap_label", "reframe_check", "interview_item"]
KINDS: dict[str, str] = {
    "formulation_field": "Formulation field level", "dearman_skill": "DEAR MAN skill rating",
    "trap_label": "Thinking-trap label", "reframe_check": "Reframe check",
    "interview_item": "Interview-report item",
}
MAX_REASON_CHARS = 500


class Correction(BaseModel):
    id: int
    kind: Kind
    owner: str | None  # whose work was scored
    record_id: str  # the session, or the drill attempt
    turn: int | None = None  # turn number, for scores of one turn
    item: str  # the field, skill, criterion or rubric item
    scorer: str  # the engine that gave the automatic score
    automatic: Any
    corrected: Any
    agrees: bool  # the supervisor marked the automatic score right
    reason: str
    author: str
    created_at: datetime


class AgreementRow(BaseModel):
    kind: str
    scorer: str
    item: str
    judged: int  # items a supervisor corrected, confirmed or graded
    agreed: int  # of those, where the automatic score was right
    within_one: int | None = None  # for 0-6 scores: off by at most one

    @property
    def share(self) -> float:
        return self.agreed / self.judged if self.judged else 0.0


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m014_corrections."""
    db["corrections"].create(
        {"id": int, "kind": str, "owner": str, "record_id": str, "turn": int, "item": str, "scorer": str,
         "automatic_json": str, "corrected_json": str, "agrees": int, "reason": str, "author_id": str,
         "created_at": str},
        pk="id", foreign_keys=[("author_id", "users", "id")],
        not_null={"kind", "record_id", "item", "scorer", "automatic_json", "corrected_json", "agrees",
                  "reason", "author_id", "created_at"},
    )
    db["corrections"].create_index(["record_id", "kind"])
    db["corrections"].create_index(["owner"])


def record_correction(store: Store, actor: Actor | None, *, kind: Kind, owner: str | None, record_id: str,
                      item: str, scorer: str, automatic: Any, corrected: Any, reason: str,
                      turn: int | None = None) -> Correction:
    """Store a supervisor's verdict on one automatic score (the service has checked the values)."""
    require_reviewer(store, actor, owner)
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of score {kind!r}.")
    reason = (reason or "").strip()
    agrees = corrected == automatic
    if not agrees and not reason:
        raise ValueError("Say in a few words why the automatic score is wrong.")
    if len(reason) > MAX_REASON_CHARS:
        raise ValueError(f"A reason is at most {MAX_REASON_CHARS} characters.")
    row = {"kind": kind, "owner": owner, "record_id": record_id, "turn": turn, "item": item, "scorer": scorer,
           "automatic_json": json.dumps(automatic), "corrected_json": json.dumps(corrected),
           "agrees": int(agrees), "reason": reason, "author_id": actor.id,
           "created_at": now_iso()}
    with store.db() as db:
        row["id"] = db["corrections"].insert(row).last_pk
    # Like a grade, a correction changes what a trainee is told about their work: the audit log keeps it.
    audit(store, actor.id, "correction", {"kind": kind, "record_id": record_id, "item": item, "turn": turn,
                                          "agrees": agrees, "user_id": owner})
    return _correction(row, actor.username)


def _correction(row: dict, author: str) -> Correction:
    return Correction(id=row["id"], kind=row["kind"], owner=row["owner"], record_id=row["record_id"],
                      turn=row["turn"], item=row["item"], scorer=row["scorer"],
                      automatic=json.loads(row["automatic_json"]), corrected=json.loads(row["corrected_json"]),
                      agrees=bool(row["agrees"]), reason=row["reason"], author=author,
                      created_at=row["created_at"])


def corrections(store: Store, actor: Actor | None, *, owner: str | None = None,
                record_id: str | None = None) -> list[Correction]:
    """Corrections of one person's work (the person, their supervisors and admins may read them),
    optionally of one record only; newest last."""
    require(store, actor, "read", owner)
    where, args = (["c.owner = ?"], [owner]) if owner is not None else (["c.owner is null"], [])
    if record_id is not None:
        where.append("c.record_id = ?")
        args.append(record_id)
    with store.db() as db:
        rows = list(db.query("select c.*, u.username from corrections c join users u on u.id = c.author_id "
                             "where " + " and ".join(where) + " order by c.id", args))
    return [_correction(row, row["username"]) for row in rows]


def latest(found: list[Correction]) -> dict[tuple[str, str, int | None, str], Correction]:
    """The newest verdict per (kind, record, turn, item): a later correction replaces an earlier one."""
    out: dict[tuple[str, str, int | None, str], Correction] = {}
    for c in found:
        out[(c.kind, c.record_id, c.turn, c.item)] = c
    return out


def agreement(store: Store, owners: list[str]) -> list[AgreementRow]:
    """Agreement between each automatic scorer and supervisors, per item, over the work of `owners`
    (the caller passes only people the actor may review): every corrected or confirmed score (the
    newest verdict counts), and every interview-report item of a session a supervisor graded
    (the newest grade against the kept report)."""
    if not owners:
        return []
    marks = ",".join("?" for _ in owners)
    tally: dict[tuple[str, str, str], list[int]] = {}
    with store.db() as db:
        rows = db.execute(f"select kind, record_id, turn, item, scorer, automatic_json, corrected_json, agrees "
                          f"from corrections where owner in ({marks}) order by id", owners).fetchall()
        graded = db.execute(
            f"select g.session_id, g.scores_json from grades g join sessions s on s.id = g.session_id "
            f"where s.owner in ({marks}) and g.id = (select max(id) from grades where session_id = g.session_id)",
            owners).fetchall()
    newest: dict[tuple, tuple] = {}
    for kind, record_id, turn, item, scorer, auto, corr, agrees in rows:
        newest[(kind, record_id, turn, item)] = (kind, item, scorer, json.loads(auto), json.loads(corr), agrees)
    corrected_items = {(k[1], k[3]) for k in newest if k[0] == "interview_item"}
    for kind, item, scorer, auto, corr, agrees in newest.values():
        t = tally.setdefault((kind, scorer, item), [0, 0, 0])
        t[0] += 1
        t[1] += int(bool(agrees))
        if kind == "interview_item" and isinstance(auto, int) and isinstance(corr, int):
            t[2] += int(abs(auto - corr) <= 1)
    for session_id, scores_json in graded:
        kept = stored_report(store, session_id)
        if kept is None:
            continue
        report = kept[0]
        for item, human in json.loads(scores_json).items():
            if item not in report.rubric.items or (session_id, item) in corrected_items:
                continue
            machine = report.rubric.items[item].score
            t = tally.setdefault(("interview_item", report.rubric.engine, item), [0, 0, 0])
            t[0] += 1
            t[1] += int(machine == human)
            t[2] += int(abs(machine - human) <= 1)
    return [AgreementRow(kind=k, scorer=s, item=i, judged=v[0], agreed=v[1],
                         within_one=v[2] if k == "interview_item" else None)
            for (k, s, i), v in sorted(tally.items())]
