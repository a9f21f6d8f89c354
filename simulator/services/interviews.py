"""CBT interviews for the signed-in actor: the practice session plus the lists pages show."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts.policy import require, require_trainee_reader
from simulator.cbt.case import CaseCard, PatientCase
from simulator.cbt.interview import SessionInfo
from simulator.cbt.practice import Practice


@dataclass
class SessionRow:
    info: SessionInfo
    messages: int


@dataclass
class InterviewService(Practice):
    @property
    def engine_label(self) -> str:
        """The badge: the model's name, or "offline" when the model may not be used for this account now."""
        return self.engine_status().label

    def cards(self) -> list[CaseCard]:
        return self.library.cards()

    def case(self, case_id: str) -> PatientCase:
        """A library case in full, for exercises built on it (never shown to a trainee as such)."""
        return self.library.get(case_id)

    def my_sessions_with_counts(self) -> list[SessionRow]:
        return self._with_counts(self.my_sessions())

    def sessions_of(self, trainee_id: str) -> list[SessionRow]:
        """A trainee's sessions, for the trainee, a supervisor of their cohort or an admin."""
        require_trainee_reader(self.store, self.actor, trainee_id)
        return self._with_counts(self.sessions.list_sessions(owner=trainee_id))

    def end(self, session_id: str) -> None:
        require(self.store, self.actor, "write", self.sessions.session(session_id).owner)
        self.sessions.end_session(session_id)

    def _with_counts(self, infos: list[SessionInfo]) -> list[SessionRow]:
        counts = self.sessions.turn_counts([s.id for s in infos])
        return [SessionRow(info=s, messages=counts.get(s.id, 0)) for s in infos]
