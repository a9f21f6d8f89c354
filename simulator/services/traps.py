"""Thinking traps for the signed-in actor: the drill, cognitive restructuring, progress, and the
traps marked in a transcript the actor is already reading."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts.actor import Actor
from simulator.cbt.case import PatientCase
from simulator.cbt.formulation import store as formulations
from simulator.cbt.interview import Turn
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.supervision import reviews
from simulator.traps import drill, progress
from simulator.traps import restructuring as rs
from simulator.traps.annotate import annotate_patient_lines


class RestructuringLocked(ValueError):
    """Restructuring on this case and situation would give away a formulation the trainee still
    owes; the message says why and how to unlock it."""


@dataclass
class TrapsService:
    store: Store
    settings: Settings
    actor: Actor | None

    # -- drill --
    def drill_round(self) -> drill.DrillRound:
        return drill.current_round(self.store, self.actor)

    def drill_submit(self, item_id: str, picked: list[str], reframe: str) -> drill.DrillResult:
        return drill.submit(self.store, self.actor, item_id, picked, reframe, self.settings)

    # -- restructuring --
    def restructuring_locks(self, case: PatientCase) -> dict[int, str]:
        """Situations of `case` this actor may not restructure now, each with the reason and the
        way to unlock it: an open assignment on the case (until a formulation on it is submitted),
        or an unsubmitted formulation draft on the situation (submit or discard it)."""
        if self.actor is None:
            return {}
        locks: dict[int, str] = {}
        submitted = [p.submitted_at for p in formulations.history(self.store, self.actor) if p.case_id == case.id]
        for a in reviews.assignments_for(self.store, self.actor):
            if a.kind == "cbt" and a.target_id == case.id and not any(t >= a.created_at for t in submitted):
                reason = (f"You have an open assignment on {case.name} (due {a.due:%Y-%m-%d}). Restructuring "
                          "would show the case's thoughts and beliefs, so it opens once you have submitted a "
                          "formulation on this case.")
                return dict.fromkeys(range(len(case.situations)), reason)
        for d in formulations.open_drafts(self.store, self.actor, case.id):
            locks.setdefault(d.situation_index, (
                f"You have an unsubmitted formulation draft on {case.name}, situation {d.situation_index + 1} "
                f"(last saved {d.updated_at:%Y-%m-%d %H:%M} UTC). Restructuring would show its thoughts and "
                "beliefs: submit the formulation or discard the draft (Formulation page) to unlock it."))
        return locks

    def start_restructuring(self, case: PatientCase, thought: rs.CaseThought, seed: int) -> str:
        """Start an exercise; raises RestructuringLocked while the trainee owes a formulation on it."""
        reason = self.restructuring_locks(case).get(thought.situation_index)
        if reason:
            raise RestructuringLocked(reason)
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
