"""Supervision for the signed-in actor: whose work they may review, comments, grades, assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from simulator.accounts import cohorts
from simulator.accounts.actor import Actor
from simulator.cbt.formulation import reveal
from simulator.cbt.library import CaseLibrary
from simulator.core.db import Store
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.supervision import reviews


@dataclass
class SupervisionService:
    store: Store
    actor: Actor | None
    library: CaseLibrary
    scenarios: ScenarioLibrary

    def trainees(self) -> list[dict]:
        """Trainees whose work this actor may review: their cohorts' trainees, or all for an admin."""
        if self.actor is None or self.actor.role not in ("supervisor", "admin"):
            return []
        return cohorts.supervised_trainees(self.store, self.actor)

    def cohorts(self) -> list[dict]:
        return cohorts.cohorts(self.store)

    def comments(self, session_id: str) -> list[reviews.Comment]:
        return reviews.comments(self.store, self.actor, session_id)

    def add_comment(self, session_id: str, turn_index: int, text: str) -> reviews.Comment:
        return reviews.add_comment(self.store, self.actor, session_id, turn_index, text)

    def grades(self, session_id: str) -> list[reviews.Grade]:
        return reviews.grades(self.store, self.actor, session_id)

    def grade(self, session_id: str, scores: dict[str, int], note: str = "") -> reviews.Grade:
        return reviews.grade(self.store, self.actor, session_id, scores, note)

    def reset_reveal(self, trainee_id: str, case_id: str) -> int:
        """Let a trainee's next formulation on this case count as a graded attempt again (audited)."""
        return reveal.reset(self.store, self.actor, trainee_id, case_id)

    @staticmethod
    def rubric() -> reviews.CompetenceRubric:
        return reviews.competence_rubric()

    def assign(self, kind: str, target_id: str, due: date, *, style: str | None = None,
               cohort_id: str | None = None, trainee_id: str | None = None, note: str = "") -> reviews.Assignment:
        return reviews.assign(self.store, self.actor, kind, target_id, due, cases=self.library,
                              scenarios=self.scenarios, style=style, cohort_id=cohort_id,
                              trainee_id=trainee_id, note=note)

    def my_assignments(self) -> list[reviews.Assignment]:
        return reviews.assignments_for(self.store, self.actor) if self.actor else []

    def assignments_set(self) -> list[reviews.Assignment]:
        return reviews.assignments_by(self.store, self.actor) if self.actor else []
