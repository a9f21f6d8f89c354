"""Case formulations for the signed-in actor: drafts, submission, feedback and progress."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require
from simulator.cbt.formulation import reveal
from simulator.cbt.formulation import store as formulations
from simulator.cbt.formulation.scoring import Formulation
from simulator.cbt.interview import SessionInfo
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import Settings


@dataclass
class FormulationService:
    store: Store
    settings: Settings
    actor: Actor | None

    def session(self, session_id: str) -> SessionInfo:
        info = SessionStore(self.store).session(session_id)
        require(self.store, self.actor, "read", info.owner)
        return info

    def is_submitted(self, session_id: str) -> bool:
        return formulations.is_submitted(self.store, self.actor, session_id)

    def load_draft(self, session_id: str) -> Formulation | None:
        return formulations.load_draft(self.store, self.actor, session_id)

    def save_draft(self, session_id: str, data: dict) -> Formulation:
        return formulations.save_draft(self.store, self.actor, session_id, data)

    def discard_draft(self, session_id: str) -> bool:
        return formulations.discard_draft(self.store, self.actor, session_id)

    def attempt(self, session_id: str) -> reveal.Attempt | None:
        """Graded attempt, repeat practice, or None (open, and would still be graded)."""
        self.session(session_id)
        return reveal.labels(self.store, [session_id]).get(session_id)

    def readiness(self, session_id: str) -> tuple[int, int]:
        """(the trainee's turns in this interview, the turns needed before submitting)."""
        self.session(session_id)
        return reveal.trainee_turns(self.store, session_id), self.settings.reveal_min_turns

    def submit(self, session_id: str, data: dict) -> formulations.Submission:
        return formulations.submit(self.store, self.actor, session_id, data, self.settings)

    def submission(self, session_id: str) -> formulations.Submission:
        return formulations.submission(self.store, self.actor, session_id)

    def history(self, owner: str | None = None) -> list[formulations.HistoryPoint]:
        return formulations.history(self.store, self.actor, owner)
