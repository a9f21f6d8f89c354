"""Supervisors correct the machine; grades keep the rubric version they were given under."""

import json
from datetime import date

import pytest

from simulator.accounts import cohorts, users
from simulator.accounts.audit import audit_entries
from simulator.accounts.policy import AccessDenied
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, Settings
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.migrations import STEPS, migrate
from simulator.research import export
from simulator.services import Services
from simulator.supervision import reviews
from simulator.traps import drill
from tests import report_helpers as h

PW = "a long enough password"
SCENARIOS = ScenarioLibrary.load()


@pytest.fixture
def world(tmp_path, monkeypatch):
    store = Store(tmp_path / "c.db")
    migrate(store)
    admin = users.create_user(store, None, "admin", PW, "admin")
    people = {"admin": admin}
    for name, role in [("tess", "trainee"), ("sam", "supervisor"), ("res", "researcher")]:
        people[name] = users.create_user(store, admin, name, PW, role)
    cohort = cohorts.create_cohort(store, admin, "Spring")
    cohorts.add_member(store, admin, cohort, people["tess"].id, "trainee")
    cohorts.add_member(store, admin, cohort, people["sam"].id, "supervisor")
    _, sid = h.play(tmp_path, monkeypatch, [h.OPEN, h.SITUATION, h.FEELINGS, h.REFLECT], actor=people["tess"],
                    store=store, end=True)
    return store, people, cohort, sid


def svc(world, who) -> Services:
    store, people, cohort, sid = world
    return Services(store, Settings(export_secret="k"), people[who], CaseLibrary.load(DATA_DIR / "patients"),
                    SCENARIOS, OfflineEngine())


def test_a_correction_keeps_the_automatic_score_it_corrects_with_who_and_why(world):
    store, people, cohort, sid = world
    automatic = svc(world, "tess").reports.report(sid).rubric.items["empathy"].score
    right = 6 if automatic != 6 else 0
    with pytest.raises(ValueError, match="why the automatic score is wrong"):
        svc(world, "sam").supervision.correct_interview_item(sid, "empathy", right, "  ")
    c = svc(world, "sam").supervision.correct_interview_item(sid, "empathy", right, "Warm, accurate reflections.")
    assert (c.automatic, c.corrected, c.agrees, c.author, c.scorer) == (automatic, right, False, "sam", "offline")
    agenda = svc(world, "sam").reports.report(sid).rubric.items["agenda"].score
    confirmed = svc(world, "sam").supervision.correct_interview_item(sid, "agenda", agenda, "")
    assert confirmed.agrees  # marking a score right needs no reason
    mine = svc(world, "tess").supervision.my_corrections()
    assert [x.item for x in mine] == ["empathy", "agenda"] and mine[0].reason == "Warm, accurate reflections."
    logged = audit_entries(store, people["admin"], actions=["correction"])  # kept like a grade
    assert [(e["actor"], e["action"]) for e in logged] == [("sam", "correction")] * 2
    with pytest.raises(AccessDenied):
        svc(world, "tess").supervision.correct_interview_item(sid, "empathy", 6, "I was warm.")
    with pytest.raises(ValueError, match="whole number from 0 to 6"):
        svc(world, "sam").supervision.correct_interview_item(sid, "empathy", 7, "Off the scale.")


def test_agreement_counts_graded_and_corrected_items_per_scorer_and_item(world):
    store, people, cohort, sid = world
    sam = svc(world, "sam")
    report = sam.reports.report(sid)
    scores = {i.id: report.rubric.items[i.id].score for i in reviews.competence_rubric().items_of()}
    scores["pacing"] = (scores["pacing"] + 3) % 7  # one item the supervisor scores differently
    sam.supervision.grade(sid, scores, "Graded.")
    rows = {(r.kind, r.item): r for r in sam.supervision.agreement()}
    assert rows[("interview_item", "empathy")].judged == 1 and rows[("interview_item", "empathy")].agreed == 1
    assert rows[("interview_item", "pacing")].agreed == 0
    # A correction of an item replaces the grade's comparison for it, and counts once.
    sam.supervision.correct_interview_item(sid, "empathy", (scores["empathy"] + 2) % 7, "Less warm than scored.")
    rows = {(r.kind, r.item): r for r in sam.supervision.agreement()}
    assert rows[("interview_item", "empathy")].judged == 1 and rows[("interview_item", "empathy")].agreed == 0
    with pytest.raises(AccessDenied):
        svc(world, "tess").supervision.agreement()


def test_every_kind_of_automatic_score_can_be_corrected_and_is_exported(world, monkeypatch):
    store, people, cohort, sid = world
    tess, sam = svc(world, "tess"), svc(world, "sam")
    tess.accounts.set_consent(True)
    interview = tess.interviews.start("tomas-herrera", "plain", seed=2)
    for line in ("What brings you here?", "What happened?", "How did you feel?", "What did you do?",
                 "What went through your mind?", "What does that say about you?"):  # six turns before a submission
        tess.interviews.say(interview.id, line)
        list(tess.interviews.respond(interview.id))
    tess.formulations.submit(interview.id, {"situation": "At work, passed over for head chef.", "emotions": ["hurt"],
                                            "behavior": "He left the kitchen early that night.",
                                            "core_beliefs": ["I am incompetent."]})
    sub_sid = tess.interviews.my_sessions()[0].id
    talk = tess.dearman.start(next(iter(SCENARIOS)), None, seed=1)
    sent = tess.dearman.send(talk.id, "I paid last month. Please pay your half by Friday.")
    item = drill.items()[0]
    attempt = tess.traps.drill_submit(item.id, [item.patterns[0]], "It went badly once, not always.")
    made = [
        sam.supervision.correct_formulation_field(sub_sid, "situation", 2, "Specific enough."),
        sam.supervision.correct_dearman_skill(talk.id, sent.index + 1, "assert", "strong", "A clear ask with a date."),
        sam.supervision.correct_reframe_check(attempt.attempt_id, "realistic", True, "Balanced, not rosy."),
        sam.supervision.correct_trap_label(sid, 2, ["mind_reading"], "Assumes what the team thinks."),
    ]
    assert [c.kind for c in made] == ["formulation_field", "dearman_skill", "reframe_check", "trap_label"]
    assert made[1].automatic in ("strong", "weak", "none") and made[2].automatic in (True, False)
    with pytest.raises(ValueError, match="no rated message"):
        sam.supervision.correct_dearman_skill(talk.id, 99, "assert", "strong", "x")
    rows = export.collect(store, people["res"], "k", export.Filters())["corrections"]
    assert {r["kind"] for r in rows} == {"formulation_field", "dearman_skill", "reframe_check", "trap_label"}
    assert all(r["reason"] is None for r in rows)  # free text stays out unless asked for
    assert all(r["record_id"] not in (sid, sub_sid, talk.id, attempt.attempt_id) for r in rows)  # keyed ids
    sam.reports.report(sid)  # an ended session's report is kept on first reading
    reports_rows = export.collect(store, people["res"], "k", export.Filters())["interview_reports"]
    assert reports_rows and json.loads(reports_rows[0]["report"])["rubric"]["engine"] == "offline"


def test_grades_keep_the_rubric_version_they_were_given_under(tmp_path):
    store = Store(tmp_path / "old.db")
    old = [name for name, _ in STEPS][:7]  # the database as it was before this change
    with store.db() as db:
        db.enable_wal()
        for name, fn in STEPS[:7]:
            fn(db)
        db["_sqlite_migrations"].insert_all([{"migration_set": "practicum", "name": n, "applied_at": "2026-11-01"}
                                             for n in old], pk=("migration_set", "name"))
    admin = users.create_user(store, None, "admin", PW, "admin")
    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    v1 = {i.id: 4 for i in reviews.competence_rubric().items_of(1)}
    with store.db() as db:  # a session and a grade as the earlier code stored them
        db["sessions"].insert({"id": "old-session", "case_id": case.id, "case_json": case.model_dump_json(),
                               "situation_index": 0, "style": "plain", "engine": "offline", "seed": 1,
                               "status": "ended", "state_json": "{}", "owner": None,
                               "created_at": "2026-11-02T09:00:00+00:00", "updated_at": "2026-11-02T09:00:00+00:00"})
        db["grades"].insert({"session_id": "old-session", "author_id": admin.id, "scores_json": json.dumps(v1),
                             "total": 66.7, "note": "", "created_at": "2026-11-02T10:00:00+00:00"})
    migrate(store)  # m008 onwards
    (g,) = reviews.grades(store, admin, "old-session")
    assert g.rubric_version == 1 and set(g.scores) == set(v1) and len(v1) == 6
    partial = reviews.grade(store, admin, "old-session", v1)  # a new grade is given under version 2
    assert partial.rubric_version == 2 and set(partial.scores) == set(v1)  # items left unset are not scores
    with pytest.raises(ValueError, match="no item"):
        reviews.grade(store, admin, "old-session", {"not_an_item": 3})
    new = reviews.grade(store, admin, "old-session", {i.id: 3 for i in reviews.competence_rubric().items_of()})
    assert new.rubric_version == 2 and len(new.scores) == 11
    assert [x.rubric_version for x in reviews.grades(store, admin, "old-session")] == [2, 2, 1]


def test_an_assignment_can_allow_live_counts_and_only_its_author_changes_that(world):
    store, people, cohort, sid = world
    sam, tess = svc(world, "sam"), svc(world, "tess")
    a = sam.supervision.assign("cbt", "dale-hutchins", date(2027, 1, 1), style="plain", cohort_id=cohort)
    assert a.live_counts is False
    started = tess.interviews.start_assignment(a.id)
    assert started.assignment_id == a.id and not tess.reports.live_counts_allowed(started.id)
    with pytest.raises(AccessDenied):
        tess.supervision.set_live_counts(a.id, True)
    sam.supervision.set_live_counts(a.id, True)
    assert tess.reports.live_counts_allowed(started.id)
    free = tess.interviews.start("dale-hutchins", "plain", seed=1)
    assert tess.reports.live_counts_allowed(free.id)
    with pytest.raises(AccessDenied):
        svc(world, "res").interviews.start_assignment(a.id)


def _correction_form_script():
    import streamlit as st

    from views.corrections_view import correction_form

    saved = st.session_state.setdefault("saved", [])

    def save(value, reason):
        if value != 2 and not reason.strip():
            raise ValueError("Say in a few words why the automatic score is wrong.")
        saved.append((value, reason))

    correction_form("item", list(range(7)), 2, save)


def test_a_refused_correction_keeps_the_chosen_score_so_it_is_never_saved_as_agreement():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_correction_form_script, default_timeout=30).run()
    at.selectbox[0].set_value(4)
    at.button[0].click().run()  # no reason: refused
    assert "Say in a few words why" in at.error[0].value
    assert at.selectbox[0].value == 4  # what the supervisor chose is still there
    at.text_input[0].input("Two meaning questions in a row.")
    at.button[0].click().run()
    assert at.session_state["saved"] == [(4, "Two meaning questions in a row.")]
    assert at.selectbox[0].value == 2 and at.text_input[0].value == ""  # a new form after the save
