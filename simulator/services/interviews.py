"""CBT interviews for the signed-in actor: the practice session plus the lists pages show."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts.audit import record_read
from simulator.accounts.policy import require, require_trainee_reader
from simulator.cbt.case import CaseCard, PatientCase
from simulator.cbt.formulation import reveal
from simulator.cbt.interview import SessionInfo, Turn
from simulator.cbt.moves import warm as warm_recogniser
from simulator.cbt.practice import Practice
from simulator.supervision import reviews


@dataclass
class SessionRow:
    info: SessionInfo
    messages: int
    attempt: reveal.Attempt | None = None  # graded attempt, repeat practice, or still open

    @property
    def attempt_label(self) -> str:
        return reveal.LABEL[self.attempt] if self.attempt else ""


@dataclass
class InterviewService(Practice):
    @staticmethod
    def warm() -> None:
        """Load the move recogniser in the background, so the first reply does not wait for it."""
        warm_recogniser()

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

    def open(self, session_id: str) -> tuple[SessionInfo, PatientCase, list[Turn]]:
        info, case, turns = super().open(session_id)
        record_read(self.store, self.actor, info.owner, "interview", session_id)
        reviews.mark_seen(self.store, self.actor, session_id, info.owner)  # its comments and grades are read now
        return info, case, turns

    def transcript(self, session_id: str) -> list[Turn]:
        info = self.session(session_id)
        record_read(self.store, self.actor, info.owner, "interview", session_id)
        return self.sessions.transcript(session_id)

    def attempts(self, session_ids: list[str]) -> dict[str, reveal.Attempt | None]:
        """Labels of sessions already read through this service (no content is returned)."""
        return reveal.labels(self.store, session_ids)

    def upcoming_attempt(self, case_id: str, situation_index: int) -> reveal.Attempt:
        """Whether a new session of this actor on the case and situation would be repeat practice."""
        return reveal.upcoming(self.store, self.actor.id if self.actor else None, case_id, situation_index)

    def seen_situations(self, case_id: str) -> list[int]:
        return reveal.seen_situations(self.store, self.actor.id if self.actor else None, case_id)
    def start_assignment(self, assignment_id: str, seed: int | None = None) -> SessionInfo:
        """Start the CBT interview an assignment asks for (it must be assigned to this actor)."""
        a = reviews.assigned_to(self.store, self.actor, assignment_id)
        if a.kind != "cbt":
            raise ValueError("That assignment is not a CBT interview.")
        return self.start(a.target_id, a.style, seed=seed, assignment_id=a.id)

    def end(self, session_id: str) -> None:
        require(self.store, self.actor, "write", self.sessions.session(session_id).owner)
        self.sessions.end_session(session_id)

    def _with_counts(self, infos: list[SessionInfo]) -> list[SessionRow]:
        ids = [s.id for s in infos]
        counts, labels = self.sessions.turn_counts(ids), reveal.labels(self.store, ids)
        return [SessionRow(info=s, messages=counts.get(s.id, 0), attempt=labels.get(s.id)) for s in infos]
