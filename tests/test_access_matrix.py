"""Every role against every operation, on its own work and on someone else's."""

from datetime import date

import pytest

from simulator.accounts import audit, cohorts, users
from simulator.accounts.policy import AccessDenied
from simulator.cbt import handover
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, LLMSettings
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.llm import access, usage
from simulator.migrations import migrate
from simulator.ops import erasure
from simulator.research import export
from simulator.supervision import reviews

PW = "a long enough password"
SCENARIOS = ScenarioLibrary.load()


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
    """Alice's DEAR MAN conversation, restructuring exercise and drill attempt."""
    from simulator.core.settings import Settings
    from simulator.dearman.practice import DearmanPractice
    from simulator.traps import drill
    from simulator.traps import restructuring as rs

    store, lib, people, cohort, sid = world
    alice = people["alice"]
    dm = DearmanPractice(store, Settings(), alice).start(next(iter(SCENARIOS)), None, seed=1)
    case = lib.get("tomas-herrera")
    rs_id, _ = rs.start(store, alice, case, rs.case_thoughts(case)[0], seed=1)
    item = drill.items()[0]
    drill.submit(store, alice, item.id, [item.patterns[0]], "It may not turn out as badly as I fear.")
    return {"dearman": dm.id, "restructuring": rs_id}


def op(world, work, who, name):
    from simulator.cbt.formulation.store import load_draft, save_draft
    from simulator.dearman.store import DearmanStore
    from simulator.supervision import authoring
    from simulator.traps import progress as traps_progress
    from simulator.traps import store as traps_store

    store, lib, people, cohort, sid = world
    actor = people[who]
    practice = Practice(store, lib, OfflineEngine(), actor=actor)
    new_case = {**lib.get("tomas-herrera").model_dump(mode="json"), "id": f"authored-by-{who.replace('_', '-')}"}
    ops = {
        "practise on own session": lambda: practice.say(practice.start("tomas-herrera", "plain", seed=3).id, "Hi."),
        "read formulation draft": lambda: load_draft(store, actor, sid),
        "save formulation draft": lambda: save_draft(store, actor, sid, {"situation": "At work."}),
        "read DEAR MAN talk": lambda: DearmanStore(store).session(actor, work["dearman"]),
        "write DEAR MAN talk": lambda: DearmanStore(store).session(actor, work["dearman"], "write"),
        "read restructuring": lambda: traps_store.session_row(store, actor, work["restructuring"]),
        "read drill results": lambda: traps_progress.summary(store, actor, owner=people["alice"].id),
        "author a case": lambda: authoring.save_case(store, actor, new_case, lib, new=True),
        "change a role": lambda: users.set_role(store, actor, people["bob"].id, "trainee"),
        "read transcript": lambda: practice.transcript(sid),
        "send message": lambda: practice.say(sid, "How are you feeling?"),
        "end session": lambda: practice.session(sid, "write"),
        "read comments": lambda: reviews.comments(store, actor, sid),
        "comment on turn": lambda: reviews.add_comment(store, actor, sid, 0, "Nice open question."),
        "grade session": lambda: reviews.grade(store, actor, sid, {i.id: 4 for i in reviews.competence_rubric().items}),
        "assign to cohort": lambda: reviews.assign(store, actor, "cbt", "tomas-herrera", date(2027, 1, 1),
                                                   cases=lib, scenarios=SCENARIOS, style="plain", cohort_id=cohort),
        "list accounts": lambda: users.list_users(store, actor),
        "create account": lambda: users.create_user(store, actor, f"new-{who}-x", PW, "trainee"),
        "read audit log": lambda: audit.audit_entries(store, actor),
        "export": lambda: export.collect(store, actor, "secret", export.Filters()),
        "erase an account (dry run)": lambda: erasure.erase(store, actor, "bob", dry_run=True),
        "see the next purge": lambda: erasure.next_purge(store, actor, 30),
        "read model usage": lambda: usage.summary(store, actor),
        "choose model use per exercise": lambda: access.set_llm_permission(store, actor, "traps", True),
        "confirm where text goes": lambda: access.acknowledge(store, actor, LLMSettings(base_url="https://m.example/v1")),
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
    "read formulation draft":  (True, False, True, False, False, True),
    "save formulation draft":  (True, False, False, False, False, False),
    "read DEAR MAN talk":      (True, False, True, False, False, True),
    "write DEAR MAN talk":     (True, False, False, False, False, False),
    "read restructuring":      (True, False, True, False, False, True),
    "read drill results":      (True, False, True, False, False, True),
    "author a case":           (False, False, True, True, False, True),
    "change a role":           (False, False, False, False, False, True),
    "read transcript":  (True,  False, True,  False,    False, True),
    "send message":     (True,  False, False, False,    False, False),
    "end session":      (True,  False, False, False,    False, False),
    "read comments":    (True,  False, True,  False,    False, True),
    "comment on turn":  (False, False, True,  False,    False, True),
    "grade session":    (False, False, True,  False,    False, True),
    "assign to cohort": (False, False, True,  False,    False, True),
    "list accounts":    (False, False, False, False,    False, True),
    "create account":   (False, False, False, False,    False, True),
    "read audit log":   (False, False, False, False,    False, True),
    "export":           (False, False, False, False,    True,  True),
    "erase an account (dry run)":    (False, False, False, False, False, True),
    "see the next purge":            (False, False, False, False, False, True),
    "read model usage":              (False, False, False, False, False, True),
    "choose model use per exercise": (False, False, False, False, False, True),
    "confirm where text goes":       (True, True, True, True, True, True),
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
    ownerless.say(old.id, "What brings you in?")
    list(ownerless.respond(old.id))
    submit(store, None, old.id, {"situation": "A setback at work", "emotions": ["hurt"]}, Settings())
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
