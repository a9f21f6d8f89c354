"""Supervision for the signed-in actor: whose work they may review, comments, grades, assignments,
and corrections of automatic scores (with the automatic value looked up here, from each
feature's own store, never taken from the page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from simulator.accounts import cohorts
from simulator.accounts.actor import Actor
from simulator.accounts.audit import record_read
from simulator.accounts.policy import AccessDenied, require, require_trainee_reader
from simulator.cbt.formulation import reveal
from simulator.cbt.formulation import store as formulations
from simulator.cbt.formulation.rubric import FIELD_ORDER
from simulator.cbt.interview import turn_number
from simulator.cbt.library import CaseLibrary
from simulator.cbt.report import store as report_store
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.dearman.schema import SKILLS, STATES, DearmanSessionInfo, DearmanTurn
from simulator.dearman.store import DearmanStore
from simulator.supervision import corrections, reviews
from simulator.traps import store as traps_store
from simulator.traps.annotate import annotate_patient_lines
from simulator.traps.patterns import pattern_ids

REFRAME_CHECKS = ("addresses_thought", "realistic", "keeps_context", "honours_feeling")


@dataclass
class SupervisionService:
    store: Store
    actor: Actor | None
    library: CaseLibrary
    scenarios: ScenarioLibrary
    settings: Settings | None = None

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
               cohort_id: str | None = None, trainee_id: str | None = None, note: str = "",
               live_counts: bool = False) -> reviews.Assignment:
        return reviews.assign(self.store, self.actor, kind, target_id, due, cases=self.library,
                              scenarios=self.scenarios, style=style, cohort_id=cohort_id,
                              trainee_id=trainee_id, note=note, live_counts=live_counts)

    def set_live_counts(self, assignment_id: str, on: bool) -> reviews.Assignment:
        return reviews.set_live_counts(self.store, self.actor, assignment_id, on)

    def completions(self, assignment_id: str) -> list[reviews.Completion]:
        return reviews.completions(self.store, self.actor, assignment_id)

    def my_assignments(self) -> list[reviews.Assignment]:
        return reviews.assignments_for(self.store, self.actor) if self.actor else []

    def assignments_set(self) -> list[reviews.Assignment]:
        return reviews.assignments_by(self.store, self.actor) if self.actor else []

    # -- a trainee's other work, for review --

    def dearman_sessions_of(self, trainee_id: str) -> list[DearmanSessionInfo]:
        require_trainee_reader(self.store, self.actor, trainee_id)
        return DearmanStore(self.store).list_sessions(self.actor, trainee_id)

    def dearman_turns(self, session_id: str) -> list[DearmanTurn]:
        dearman = DearmanStore(self.store)
        turns = dearman.turns(self.actor, session_id)
        record_read(self.store, self.actor, dearman.session(self.actor, session_id).owner, "dearman", session_id)
        return turns

    def drill_attempts_of(self, trainee_id: str) -> list[dict]:
        require_trainee_reader(self.store, self.actor, trainee_id)
        attempts = traps_store.drill_attempts(self.store, self.actor, trainee_id)
        if attempts:
            record_read(self.store, self.actor, trainee_id, "drill", trainee_id)
        return attempts

    # -- corrections of automatic scores --

    def correct_interview_item(self, session_id: str, item: str, score: int, reason: str) -> corrections.Correction:
        info = SessionStore(self.store).session(session_id)
        kept = report_store.stored(self.store, session_id)
        if kept is None:
            raise ValueError("This session has no kept interview report yet (it appears once the session has ended).")
        rubric = kept[0].rubric
        if item not in rubric.items:
            raise ValueError(f"The report has no rubric item {item!r}.")
        _check_int(score, 0, 6)
        return corrections.record_correction(
            self.store, self.actor, kind="interview_item", owner=info.owner, record_id=session_id, item=item,
            scorer=rubric.engine, automatic=rubric.items[item].score, corrected=score, reason=reason)

    def correct_formulation_field(self, session_id: str, field: str, level: int, reason: str) -> corrections.Correction:
        if field not in FIELD_ORDER:
            raise ValueError(f"A formulation has no field {field!r}.")
        _check_int(level, 0, 2)
        sub = formulations.submission(self.store, self.actor, session_id)
        automatic = sub.score.field(field).level
        return corrections.record_correction(
            self.store, self.actor, kind="formulation_field", owner=sub.owner, record_id=session_id, item=field,
            scorer=sub.score.engine, automatic=int(round(automatic)), corrected=level, reason=reason)

    def correct_dearman_skill(self, session_id: str, turn: int, skill: str, rating: str,
                              reason: str) -> corrections.Correction:
        if skill not in SKILLS:
            raise ValueError(f"DEAR MAN has no skill {skill!r}.")
        allowed = ("yes", "no") if skill in STATES else ("strong", "weak", "none")
        if rating not in allowed:
            raise ValueError(f"{skill} is rated {' / '.join(allowed)}.")
        records = DearmanStore(self.store)
        info = records.session(self.actor, session_id)
        sent = next((t for t in records.turns(self.actor, session_id)
                     if turn_number(t.index) == turn and t.role == "trainee" and t.ratings), None)
        if sent is None:
            raise ValueError("There is no rated message at that turn.")
        return corrections.record_correction(
            self.store, self.actor, kind="dearman_skill", owner=info.owner, record_id=session_id, turn=turn,
            item=skill, scorer=sent.rater or "offline", automatic=sent.ratings.get(skill).rating,
            corrected=rating, reason=reason)

    def correct_trap_label(self, session_id: str, turn: int, patterns: list[str], reason: str) -> corrections.Correction:
        unknown = set(patterns) - set(pattern_ids())
        if unknown:
            raise ValueError(f"Unknown thinking traps: {sorted(unknown)}.")
        info = SessionStore(self.store).session(session_id)
        require(self.store, self.actor, "read", info.owner)
        line = [t for t in SessionStore(self.store).transcript(session_id)
                if turn_number(t.index) == turn and t.role == "patient"]
        if not line:
            raise ValueError("There is no patient line at that turn.")
        found = annotate_patient_lines(line)
        automatic = sorted(p.pattern for _, ps in found for p in ps)
        return corrections.record_correction(
            self.store, self.actor, kind="trap_label", owner=info.owner, record_id=session_id, turn=turn,
            item="patterns", scorer="offline", automatic=automatic, corrected=sorted(set(patterns)), reason=reason)

    def correct_reframe_check(self, attempt_id: str, check: str, ok: bool, reason: str) -> corrections.Correction:
        if check not in REFRAME_CHECKS:
            raise ValueError(f"A reframe has no check {check!r}.")
        try:
            attempt = traps_store.drill_attempt(self.store, self.actor, attempt_id)
        except traps_store.NotFound:
            raise ValueError("There is no such drill attempt.") from None
        return corrections.record_correction(
            self.store, self.actor, kind="reframe_check", owner=attempt["owner"], record_id=attempt_id, item=check,
            scorer=attempt["engine"], automatic=bool(attempt["feedback"][check]["ok"]), corrected=bool(ok),
            reason=reason)

    def corrections_of(self, owner: str | None, record_id: str | None = None) -> list[corrections.Correction]:
        """Corrections of a person's work: they, their supervisors and admins may read them."""
        return corrections.corrections(self.store, self.actor, owner=owner, record_id=record_id)

    def my_corrections(self) -> list[corrections.Correction]:
        return self.corrections_of(self.actor.id if self.actor else None)

    def agreement(self) -> list[corrections.AgreementRow]:
        """Agreement of each automatic scorer with supervisors over the trainees this actor reviews."""
        if self.actor is None or self.actor.role not in ("supervisor", "admin"):
            raise AccessDenied("Only supervisors and admins see how the automatic scores agree with supervisors.")
        return corrections.agreement(self.store, [t["id"] for t in self.trainees()])


def _check_int(value: int, lo: int, hi: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"The right score is a whole number from {lo} to {hi}.")
