"""Everything a trainee has practised, of every kind, in one list: CBT interviews, DEAR MAN
conversations and cognitive-restructuring dialogues, each to resume (while open) or to read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from simulator.services.dearman import DearmanService
from simulator.services.interviews import InterviewService
from simulator.services.traps import TrapsService
from simulator.supervision import reviews

Kind = Literal["cbt", "dearman", "restructuring"]


@dataclass
class WorkItem:
    kind: Kind
    id: str
    subject: str  # the patient's name, or the DEAR MAN scenario's title
    status: str  # active, ended, or abandoned (restructuring left idle)
    messages: int
    engine: str
    created_at: datetime
    updated_at: datetime
    situation: int | None = None  # CBT: which situation (1-based)
    style: str | None = None  # CBT: the conversational style
    outcome: str | None = None  # DEAR MAN: agreed, gave_up, turn_limit
    thought: str | None = None  # restructuring: the first thought worked on
    attempt_label: str = ""  # CBT: graded attempt or repeat practice, once known
    new_feedback: int = 0  # CBT: comments and grades that arrived since the trainee last opened it

    @property
    def resumable(self) -> bool:
        return self.status == "active"


@dataclass
class WorkService:
    interviews: InterviewService
    dearman: DearmanService
    traps: TrapsService

    def mine(self) -> list[WorkItem]:
        """The actor's own work of every kind, most recently touched first."""
        items = [WorkItem(kind="cbt", id=r.info.id, subject=r.info.case_name, status=r.info.status,
                          messages=r.messages, engine=r.info.engine, created_at=r.info.created_at,
                          updated_at=r.info.updated_at, situation=r.info.situation_index + 1, style=r.info.style,
                          attempt_label=r.attempt_label)
                 for r in self.interviews.my_sessions_with_counts()]
        news = reviews.unseen_feedback(self.interviews.store, self.interviews.actor, [i.id for i in items])
        for item in items:
            item.new_feedback = news.get(item.id, 0)
        items += [WorkItem(kind="dearman", id=s.id, subject=s.scenario.title, status=s.status, messages=n,
                           engine=s.engine, created_at=s.created_at, updated_at=s.updated_at, outcome=s.outcome)
                  for s, n in self.dearman.my_sessions_with_counts()]
        items += [WorkItem(kind="restructuring", id=d.id, subject=d.case_name, status=d.status, messages=d.messages,
                           engine=d.engine, created_at=d.created_at, updated_at=d.updated_at, thought=d.thought)
                  for d in self.traps.my_restructuring()]
        return sorted(items, key=lambda i: i.updated_at, reverse=True)
