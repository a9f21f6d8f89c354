"""Thinking traps for the signed-in actor: the drill, cognitive restructuring, progress, and the
traps marked in a transcript the actor is already reading."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts.actor import Actor
from simulator.cbt.case import PatientCase
from simulator.cbt.interview import Turn
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.traps import drill, progress
from simulator.traps import restructuring as rs
from simulator.traps.annotate import annotate_patient_lines


@dataclass
class TrapsService:
    store: Store
    settings: Settings
    actor: Actor | None

    # -- drill --
    def drill_submit(self, item_id: str, picked: list[str], reframe: str) -> drill.DrillResult:
        return drill.submit(self.store, self.actor, item_id, picked, reframe, self.settings)

    # -- restructuring --
    def start_restructuring(self, case: PatientCase, thought: rs.CaseThought, seed: int) -> str:
        session_id, _ = rs.start(self.store, self.actor, case, thought, seed=seed, engine=self.settings.engine)
        return session_id

    def restructuring(self, session_id: str) -> tuple[PatientCase, rs.RestructuringState]:
        return rs.load(self.store, self.actor, session_id)

    def restructuring_say(self, session_id: str, message: str) -> rs.RestructuringState:
        return rs.say(self.store, self.actor, session_id, message, self.settings)

    def restructuring_finish(self, session_id: str) -> rs.RestructuringState:
        return rs.finish(self.store, self.actor, session_id)

    # -- progress --
    def summary(self, owner: str | None = None) -> dict:
        return progress.summary(self.store, self.actor, owner)

    @staticmethod
    def annotate(turns: list[Turn]) -> list[tuple[int, list]]:
        """Thinking traps in the patient's lines of turns the page has already read through a service."""
        return annotate_patient_lines(turns)
