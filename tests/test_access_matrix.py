"""Every role against every operation, on its own work and on someone else's."""

from datetime import date

import pytest

from simulator.accounts import cohorts, users
from simulator.accounts.policy import AccessDenied
from simulator.cbt import handover
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, Settings
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.migrations import migrate
from simulator.research import export
from simulator.services import Services
from simulator.supervision import reviews
from simulator.traps import drill

PW = "a long enough password"
SCENARIOS = ScenarioLibrary.load()
INTERVIEW = ["What brings you in?", "What happened?", "How did you feel?", "What did you do then?",
             "What went through your mind?", "What does that say about you?"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("matrix") / "m.db")
    migrate(store)
    admin = users.create_user(store, None, "admin", PW, "admin")
    people = {"admin": admin}
    for name, role in [("alice", "trainee"), ("bob", "trainee"), ("sup", "supervisor"),
                       ("other_sup", "supervisor"), ("res", "researcher")]:
        people[name] = users.create_user(store, admin, name, PW, role)
    cohort = cohorts.create_cohort(store, admin, "Autumn")
    cohorts.add_member(store, admin, cohort, people["alice"].id, "trainee")
    cohorts.add_member(store, admin, cohort, people["sup"].id, "supervisor")
    lib = CaseLibrary.load(DATA_DIR / "patients")
    p = Practice(store, lib, OfflineEngine(), actor=people["alice"])
    session = p.start("tomas-herrera", "plain", situation_index=0, seed=1)
    p.say(session.id, "Hello, what brings you here?")
    list(p.respond(session.id))
    return store, lib, people, cohort, session.id


@pytest.fixture(scope="module")
def alices_other_work(world):
    """Alice's DEAR MAN conversation, restructuring dialogues (one to add to, one to finish), drill
    attempt and a session to end."""
    store, lib, people, cohort, sid = world
    alice = services_for(world, people["alice"])
    dm = alice.dearman.start(next(iter(SCENARIOS)), None, seed=1)
    thought = alice.traps.restructuring_thoughts("tomas-herrera")[0]
    rs_id = alice.traps.start_restructuring("tomas-herrera", thought, seed=1)
    rs_to_finish = alice.traps.start_restructuring("tomas-herrera", thought, seed=2)
    item = drill.items()[0]
    alice.traps.drill_submit(item.id, [item.patterns[0]], "It may not turn out as badly as I fear.")
    to_end = alice.interviews.start("tomas-herrera", "plain", seed=4)
    sent = alice.dearman.send(dm.id, "I paid the whole bill last month; please pay your half by Friday.")
    attempt = alice.traps.drill_submit(item.id, [item.patterns[0]], "This went badly once; that is not always.")
    reviewed = alice.interviews.start("tomas-herrera", "plain", seed=5)
    for line in ("What brings you here today?", "What happened?", "How did you feel?", "What did you do?",
                 "What went through your mind?", "What does that say about you?"):  # six turns before a submission
        alice.interviews.say(reviewed.id, line)
        list(alice.interviews.respond(reviewed.id))
    alice.formulations.submit(reviewed.id, {"situation": "Passed over at work for a younger cook.", "emotions": ["hurt"],
                                            "behavior": "He left the kitchen early that night.",
                                            "core_beliefs": ["I am incompetent."]})  # ends it
    alice.reports.report(reviewed.id)  # kept once the session has ended
    return {"dearman": dm.id, "restructuring": rs_id, "rs_to_finish": rs_to_finish, "to_end": to_end.id,
            "dearman_turn": sent.index + 1,
            "attempt": attempt.attempt_id, "reviewed": reviewed.id}


def services_for(world, actor) -> Services:
    store, lib, people, cohort, sid = world
    return Services(store, Settings(export_secret="secret"), actor, lib, SCENARIOS, OfflineEngine())


def op(world, work, who, name):
    """Run one real operation through the services a page would call, as `who`."""
    store, lib, people, cohort, sid = world
    svc = services_for(world, people[who])
    new_case = {**lib.get("tomas-herrera").model_dump(mode="json"), "id": f"authored-by-{who.replace('_', '-')}"}
    ops = {
        "practise on own session": lambda: svc.interviews.say(
            svc.interviews.start("tomas-herrera", "plain", seed=3).id, "Hi."),
        "list a trainee's sessions": lambda: svc.interviews.sessions_of(people["alice"].id),
        "read formulation draft": lambda: svc.formulations.load_draft(sid),
        "save formulation draft": lambda: svc.formulations.save_draft(sid, {"situation": "At work."}),
        "read DEAR MAN talk": lambda: svc.dearman.turns(work["dearman"]),
        "add a DEAR MAN turn": lambda: svc.dearman.send(work["dearman"], "I need the money back by Friday."),
        "read restructuring": lambda: svc.traps.restructuring(work["restructuring"]),
        "list a trainee's restructuring": lambda: svc.traps.restructuring_of(people["alice"].id),
        "add a restructuring turn": lambda: svc.traps.restructuring_say(work["restructuring"],
                                                                        "What went through your mind?"),
        "finish restructuring": lambda: svc.traps.restructuring_finish(work["rs_to_finish"]),
        # Situation 2: alice's formulation draft (saved above) locks situation 1 for her.
        "start restructuring": lambda: svc.traps.start_restructuring(
            "tomas-herrera", next(t for t in svc.traps.restructuring_thoughts("tomas-herrera")
                                  if t.situation_index == 1), seed=9),
        "read drill results": lambda: svc.traps.summary(owner=people["alice"].id),
        "author a case": lambda: svc.authoring.save_case(new_case, lib, new=True),
        "read authoring history": lambda: svc.authoring.history("case", "tomas-herrera"),
        "change a role": lambda: svc.accounts.set_role(people["bob"].id, "trainee"),
        "read transcript": lambda: svc.interviews.transcript(sid),
        "send message": lambda: svc.interviews.say(sid, "How are you feeling?"),
        "end session": lambda: svc.interviews.end(work["to_end"]),
        "read comments": lambda: svc.supervision.comments(sid),
        "comment on turn": lambda: svc.supervision.add_comment(sid, 0, "Nice open question."),
        "grade session": lambda: svc.supervision.grade(sid, {i.id: 4 for i in svc.supervision.rubric().items}),
        "assign to cohort": lambda: svc.supervision.assign("cbt", "tomas-herrera", date(2027, 1, 1), style="plain",
                                                           cohort_id=cohort),
        "list accounts": lambda: svc.accounts.list_users(),
        "list cohort members": lambda: svc.accounts.cohort_members(cohort),
        "create account": lambda: svc.accounts.create_user(f"new-{who}-x", PW, "trainee"),
        "read audit log": lambda: svc.accounts.audit_entries(),
        "export": lambda: svc.research.collect(export.Filters()),
        "preview an erasure": lambda: svc.clinic.erase_preview("bob"),
        "see the next purge": lambda: svc.clinic.next_purge(),
        "read model usage": lambda: svc.clinic.usage(),
        "choose model use per exercise": lambda: svc.clinic.set_llm_permission("traps", True),
        "read model use per exercise": lambda: svc.clinic.llm_permissions(),
        "confirm where text goes": lambda: svc.clinic.acknowledge(),
        "see the engine of an exercise": lambda: svc.clinic.engine_for("dearman_own"),
        "reset a trainee's reference": lambda: svc.supervision.reset_reveal(people["alice"].id, "tomas-herrera"),
        "read interview report": lambda: svc.reports.report(sid),
        "correct an interview-report score": lambda: svc.supervision.correct_interview_item(
            work["reviewed"], "empathy", 3, "Warmer than scored."),
        "correct a formulation level": lambda: svc.supervision.correct_formulation_field(
            work["reviewed"], "situation", 1, "Vague."),
        "correct a DEAR MAN rating": lambda: svc.supervision.correct_dearman_skill(
            work["dearman"], work["dearman_turn"], "describe", "weak", "No facts, only a request."),
        "correct a reframe check": lambda: svc.supervision.correct_reframe_check(
            work["attempt"], "realistic", False, "Too rosy."),
        "correct thinking-trap labels": lambda: svc.supervision.correct_trap_label(
            work["reviewed"], 2, ["catastrophizing"], "The worst case is given the most weight."),
        "read corrections of alice's work": lambda: svc.supervision.corrections_of(people["alice"].id),
        "see agreement with supervisors": lambda: svc.supervision.agreement(),
    }
    try:
        ops[name]()
        return True
    except AccessDenied:
        return False


# Expected: who may do what to alice's session (alice is in sup's cohort; bob and other_sup are not).
MATRIX = {
    #                    alice  bob    sup    other_sup res    admin
    "practise on own session": (True, True, True, True, True, True),
    "list a trainee's sessions": (True, False, True, False, False, True),
    "read formulation draft":  (True, False, True, False, False, True),
    "save formulation draft":  (True, False, False, False, False, False),
    "read DEAR MAN talk":      (True, False, True, False, False, True),
    "add a DEAR MAN turn":     (True, False, False, False, False, False),
    "read restructuring":      (True, False, True, False, False, True),
    "list a trainee's restructuring": (True, False, True, False, False, True),
    "add a restructuring turn": (True, False, False, False, False, False),
    "finish restructuring":    (True, False, False, False, False, False),
    "start restructuring":     (True, True, True, True, True, True),  # each on their own
    "read drill results":      (True, False, True, False, False, True),
    "author a case":           (False, False, True, True, False, True),
    "read authoring history":  (False, False, True, True, False, True),
    "change a role":           (False, False, False, False, False, True),
    "read transcript":  (True,  False, True,  False,    False, True),
    "send message":     (True,  False, False, False,    False, False),
    "end session":      (True,  False, False, False,    False, False),
    "read comments":    (True,  False, True,  False,    False, True),
    "comment on turn":  (False, False, True,  False,    False, True),
    "grade session":    (False, False, True,  False,    False, True),
    "assign to cohort": (False, False, True,  False,    False, True),
    "list accounts":    (False, False, False, False,    False, True),
    "list cohort members": (False, False, False, False, False, True),
    "create account":   (False, False, False, False,    False, True),
    "read audit log":   (False, False, False, False,    False, True),
    "export":           (False, False, False, False,    True,  True),
    "preview an erasure":            (False, False, False, False, False, True),
    "see the next purge":            (False, False, False, False, False, True),
    "read model usage":              (False, False, False, False, False, True),
    "choose model use per exercise": (False, False, False, False, False, True),
    "read model use per exercise":   (False, False, False, False, False, True),
    "confirm where text goes":       (True, True, True, True, True, True),
    "see the engine of an exercise": (True, True, True, True, True, True),
    "reset a trainee's reference": (False, False, True, False, False, True),
    "read interview report": (True, False, True, False,   False, True),
    "correct an interview-report score": (False, False, True, False, False, True),
    "correct a formulation level": (False, False, True, False, False, True),
    "correct a DEAR MAN rating": (False, False, True, False, False, True),
    "correct a reframe check": (False, False, True, False, False, True),
    "correct thinking-trap labels": (False, False, True, False, False, True),
    "read corrections of alice's work": (True, False, True, False, False, True),
    "see agreement with supervisors": (False, False, True, True, False, True),
}
WHO = ["alice", "bob", "sup", "other_sup", "res", "admin"]


@pytest.mark.parametrize("operation", list(MATRIX))
def test_access_matrix(world, alices_other_work, operation):
    got = tuple(op(world, alices_other_work, who, operation) for who in WHO)
    assert got == MATRIX[operation], dict(zip(WHO, got))


def test_a_trainee_sees_comments_and_grades_on_their_own_session(world):
    store, lib, people, cohort, sid = world
    reviews.add_comment(store, people["sup"], sid, 1, "Try reflecting the feeling here.")
    reviews.grade(store, people["sup"], sid, {i.id: 5 for i in reviews.competence_rubric().items}, "Good start")
    mine = reviews.comments(store, people["alice"], sid)
    assert any(c.text == "Try reflecting the feeling here." and c.author == "sup" for c in mine)
    assert reviews.grades(store, people["alice"], sid)[0].total == pytest.approx(83.3)
    assert not any(a.id for a in reviews.assignments_for(store, people["bob"]))
    assert reviews.assignments_for(store, people["alice"])  # the cohort assignment reaches her


def test_sessions_from_before_accounts_can_be_given_an_owner(world):
    store, lib, people, cohort, sid = world
    from simulator.cbt.formulation.store import history, submit
    from simulator.core.settings import Settings

    ownerless = Practice(store, lib, OfflineEngine(), actor=None)
    old = ownerless.start("tomas-herrera", "plain", seed=2)
    for line in INTERVIEW:  # a formulation is accepted after six trainee turns
        ownerless.say(old.id, line)
        list(ownerless.respond(old.id))
    submit(store, None, old.id, {"situation": "A setback at work today", "emotions": ["hurt"],
                                 "behavior": "He went home early", "automatic_thoughts": "I am not good enough"},
           Settings())
    assert any(s["id"] == old.id for s in handover.ownerless_sessions(store, people["admin"]))
    with pytest.raises(AccessDenied):
        handover.assign_session(store, people["sup"], old.id, people["bob"].id)
    handover.assign_session(store, people["admin"], old.id, people["bob"].id)
    assert Practice(store, lib, OfflineEngine(), actor=people["bob"]).session(old.id).owner == people["bob"].id
    assert [p.session_id for p in history(store, people["bob"])] == [old.id]  # the formulation came too
    with pytest.raises(users.AccountError, match="owner already"):
        handover.assign_session(store, people["admin"], old.id, people["alice"].id)


def test_an_assignment_names_something_that_exists(world):
    store, lib, people, cohort, sid = world
    sup, due = people["sup"], date(2027, 1, 1)
    with pytest.raises(ValueError, match="no case 'no-such-case'"):
        reviews.assign(store, sup, "cbt", "no-such-case", due, cases=lib, scenarios=SCENARIOS, style="plain",
                       cohort_id=cohort)
    with pytest.raises(ValueError, match="not written for the 'upset' style"):
        restricted = next(c for c in lib if "upset" not in c.styles)
        reviews.assign(store, sup, "cbt", restricted.id, due, cases=lib, scenarios=SCENARIOS, style="upset",
                       cohort_id=cohort)
    scenario = next(iter(SCENARIOS))
    a = reviews.assign(store, sup, "dearman", scenario.id, due, cases=lib, scenarios=SCENARIOS, style="plain",
                       trainee_id=people["alice"].id)
    assert a.kind == "dearman" and a.style is None
    assert any(x.target_id == scenario.id for x in reviews.assignments_for(store, people["alice"]))


def test_my_sessions_lists_every_kind_of_ones_own_work_and_nobody_elses(world, alices_other_work):
    store, lib, people, cohort, sid = world
    mine = services_for(world, people["alice"]).work.mine()
    kinds = {(i.kind, i.id) for i in mine}
    assert ("cbt", sid) in kinds and ("dearman", alices_other_work["dearman"]) in kinds
    assert ("restructuring", alices_other_work["restructuring"]) in kinds
    assert [i.updated_at for i in mine] == sorted((i.updated_at for i in mine), reverse=True)
    for other in ("bob", "sup", "admin"):  # a supervisor or admin reads alice's work in Review, not here
        assert not {i.id for i in services_for(world, people[other]).work.mine()} & {i.id for i in mine}, other
