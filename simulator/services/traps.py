"""Thinking traps for the signed-in actor: the drill, cognitive restructuring, progress, and the
traps marked in a transcript the actor is already reading."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from simulator.accounts.actor import Actor
from simulator.accounts.policy import AccessDenied, require, require_trainee_reader
from simulator.cbt.interview import Turn
from simulator.cbt.library import CaseLibrary
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.traps import drill, progress
from simulator.traps.annotate import annotate_patient_lines
from simulator.traps.restructuring.dialogue import CaseThought, distorted_thoughts
from simulator.traps.restructuring.practice import RestructuringPractice
from simulator.traps.restructuring.state import Dialogue, DialogueSummary, RestructuringState


@dataclass
class TrapsService:
    store: Store
    settings: Settings
    actor: Actor | None
    library: CaseLibrary

    # -- drill --
    def drill_submit(self, item_id: str, picked: list[str], reframe: str) -> drill.DrillResult:
        return drill.submit(self.store, self.actor, item_id, picked, reframe, self.settings)

    # -- restructuring --
    @cached_property
    def _restructuring(self) -> RestructuringPractice:
        return RestructuringPractice(self.store, self.settings, self.actor)

    def restructuring_thoughts(self, case_id: str) -> list[CaseThought]:
        """The automatic thoughts of a library case that show a thinking trap (loads the detector)."""
        return distorted_thoughts(self.library.get(case_id))

    def start_restructuring(self, case_id: str, thought: CaseThought, seed: int) -> str:
        """A new dialogue of the actor's own on one thought of a library case; returns its id."""
        return self._restructuring.start(self.library.get(case_id), thought, seed=seed)

    def restructuring(self, session_id: str) -> Dialogue:
        """A dialogue with every turn, for its owner, a supervisor of their cohort or an admin."""
        return self._restructuring.open(session_id)

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
