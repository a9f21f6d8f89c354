"""Case formulations for the signed-in actor: drafts, submission, feedback and progress."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require
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

    def submit(self, session_id: str, data: dict) -> formulations.Submission:
        return formulations.submit(self.store, self.actor, session_id, data, self.settings)

    def submission(self, session_id: str) -> formulations.Submission:
        return formulations.submission(self.store, self.actor, session_id)

    def history(self, owner: str | None = None) -> list[formulations.HistoryPoint]:
        return formulations.history(self.store, self.actor, owner)
