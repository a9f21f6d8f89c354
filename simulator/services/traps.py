"""Thinking traps for the signed-in actor: the drill, cognitive restructuring, progress, and the
traps marked in a transcript the actor is already reading."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from simulator.accounts.actor import Actor
from simulator.accounts.audit import record_read
from simulator.accounts.policy import AccessDenied, require, require_trainee_reader
from simulator.cbt.case import PatientCase
from simulator.cbt.formulation import store as formulations
from simulator.cbt.interview import Turn
from simulator.cbt.library import CaseLibrary
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.supervision import reviews
from simulator.traps import drill, progress
from simulator.traps.annotate import annotate_patient_lines
from simulator.traps.restructuring.dialogue import CaseThought, distorted_thoughts
from simulator.traps.restructuring.practice import RestructuringPractice
from simulator.traps.restructuring.state import (
    Dialogue,
    DialogueSummary,
    RestructuringState,
)


class RestructuringLocked(ValueError):
    """Restructuring on this case and situation would give away a formulation the trainee still
    owes; the message says why and how to unlock it."""


@dataclass
class TrapsService:
    store: Store
    settings: Settings
    actor: Actor | None
    library: CaseLibrary

    # -- drill --
    def drill_round(self) -> drill.DrillRound:
        return drill.current_round(self.store, self.actor)

    def drill_submit(self, item_id: str, picked: list[str], reframe: str) -> drill.DrillResult:
        return drill.submit(self.store, self.actor, item_id, picked, reframe, self.settings)

    # -- restructuring --
    @cached_property
    def _restructuring(self) -> RestructuringPractice:
        return RestructuringPractice(self.store, self.settings, self.actor)

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

    def restructuring_thoughts(self, case_id: str) -> list[CaseThought]:
        """The automatic thoughts of a library case that show a thinking trap (loads the detector)."""
        return distorted_thoughts(self.library.get(case_id))

    def start_restructuring(self, case_id: str, thought: CaseThought, seed: int) -> str:
        """A new dialogue of the actor's own on one thought of a library case; returns its id.
        Raises RestructuringLocked while the trainee owes a formulation on it."""
        case = self.library.get(case_id)
        reason = self.restructuring_locks(case).get(thought.situation_index)
        if reason:
            raise RestructuringLocked(reason)
        return self._restructuring.start(case, thought, seed=seed)

    def restructuring(self, session_id: str) -> Dialogue:
        """A dialogue with every turn, for its owner, a supervisor of their cohort or an admin
        (someone else's reading is logged)."""
        dialogue = self._restructuring.open(session_id)
        record_read(self.store, self.actor, dialogue.owner, "restructuring", session_id)
        return dialogue

    def can_continue(self, dialogue: Dialogue) -> bool:
        """Whether this actor may send to the dialogue: it is theirs and still open."""
        try:
            require(self.store, self.actor, "write", dialogue.owner)
        except AccessDenied:
            return False
        return dialogue.is_open

    def restructuring_say(self, session_id: str, message: str) -> RestructuringState:
        return self._restructuring.say(session_id, message)

    def restructuring_finish(self, session_id: str) -> RestructuringState:
        return self._restructuring.finish(session_id)

    def my_restructuring(self) -> list[DialogueSummary]:
        """The actor's own dialogues, most recent first (idle ones closed as abandoned)."""
        return self._restructuring.dialogues()

    def restructuring_of(self, trainee_id: str) -> list[DialogueSummary]:
        """A trainee's dialogues, for the trainee, a supervisor of their cohort or an admin."""
        require_trainee_reader(self.store, self.actor, trainee_id)
        return self._restructuring.dialogues(trainee_id)

    # -- progress --
    def summary(self, owner: str | None = None) -> dict:
        return progress.summary(self.store, self.settings, self.actor, owner)

    @staticmethod
    def annotate(turns: list[Turn]) -> list[tuple[int, list]]:
        """Thinking traps in the patient's lines of turns the page has already read through a service."""
        return annotate_patient_lines(turns)
