"""Per-trainee DEAR MAN progress: each skill's ratings per session, and emotion changes."""

from __future__ import annotations

from simulator.accounts.actor import Actor
from simulator.core.db import Store
from simulator.dearman.schema import EMOTIONS, SKILLS
from simulator.dearman.store import DearmanStore

SCORE = {"strong": 1.0, "weak": 0.5, "none": 0.0, "yes": 1.0, "no": 0.0}


def skill_rows(store: Store, actor: Actor | None, owner: str | None = ...) -> list[dict]:
    """One row per session with sent messages: the mean score (0 to 1) of each skill over them."""
    records = DearmanStore(store)
    sessions = records.list_sessions(actor, owner)
    ratings = records.sent_ratings(actor, sessions)
    rows = []
    for n, info in enumerate(sessions, 1):
        sent = ratings[info.id]
        if not sent:
            continue
        row = {"session": n, "date": info.created_at.date().isoformat(), "scenario": info.scenario.title,
               "messages": len(sent), "outcome": info.outcome or "in progress"}
        for skill in SKILLS:
            row[skill] = round(sum(SCORE[r.get(skill).rating] for r in sent) / len(sent), 2)
        rows.append(row)
    return rows


def emotion_rows(store: Store, actor: Actor | None, owner: str | None = ...) -> list[dict]:
    """One row per session with both ratings: before, after and the change for each emotion."""
    rows = []
    for n, info in enumerate(DearmanStore(store).list_sessions(actor, owner), 1):
        if info.before is None or info.after is None:
            continue
        row = {"session": n, "scenario": info.scenario.title}
        for emotion in EMOTIONS:
            before, after = getattr(info.before, emotion), getattr(info.after, emotion)
            row[f"{emotion} before"], row[f"{emotion} after"] = before, after
            row[f"{emotion} change"] = after - before
        rows.append(row)
    return rows
