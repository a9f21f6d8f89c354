"""Interview reports for the signed-in actor: the report of a session they may read, live counts
while they practise, and the risk flags of sessions on a list."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require
from simulator.cbt.report import store as reports
from simulator.cbt.report.build import InterviewReport
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.supervision.reviews import live_counts_allowed


@dataclass
class ReportService:
    store: Store
    settings: Settings
    actor: Actor | None

    def report(self, session_id: str) -> InterviewReport:
        """The interview report (kept once the session has ended; built afresh while it is active)."""
        return reports.report(self.store, self.actor, session_id, self.settings)

    def live_counts_allowed(self, session_id: str) -> bool:
        """Free practice may show live counts; an assigned session only if its supervisor allowed them."""
        info = SessionStore(self.store).session(session_id)
        require(self.store, self.actor, "read", info.owner)
        return live_counts_allowed(self.store, info.assignment_id)

    def risk_flags(self, session_ids: list[str]) -> dict[str, bool]:
        """Which of these sessions (each readable by the actor) were flagged for unasked risk cues."""
        sessions = SessionStore(self.store)
        for sid in session_ids:
            require(self.store, self.actor, "read", sessions.session(sid).owner)
        return reports.risk_flags(self.store, session_ids)
