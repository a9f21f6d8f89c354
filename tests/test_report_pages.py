"""The interview report, corrections and live counts on the pages, under AppTest, on a database
seeded with one of everything (tests/browser/seed.py)."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.accounts.actor import Actor
from simulator.cbt.engine_offline import OfflineEngine
from simulator.core.db import Store
from simulator.core.settings import ROOT, Settings
from simulator.services import Services, case_library, scenario_library
from tests.browser.seed import seed


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    db = tmp_path_factory.mktemp("report-pages") / "app.db"
    ids = seed(db)
    return db, ids


@pytest.fixture(autouse=True)
def env(world, monkeypatch):
    monkeypatch.setenv("PRACTICUM_DB", str(world[0]))
    monkeypatch.setenv("PRACTICUM_ENGINE", "offline")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()


def actor(world, name: str) -> Actor:
    store = Store(world[0])
    with store.db() as db:
        row = next(db.query("select id, username, role from users where username = ?", [name]))
    return Actor(id=row["id"], username=row["username"], role=row["role"])


def services_for(world, name: str) -> Services:
    settings = Settings(db_path=world[0])
    return Services(Store(world[0]), settings, actor(world, name), case_library(settings),
                    scenario_library(settings), OfflineEngine())


def page(world, name: str, who: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "views" / name), default_timeout=120)
    at.session_state["actor"] = actor(world, who)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def text(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "error", "warning", "success", "metric", "subheader", "title"):
        for e in getattr(at, kind):
            parts += [str(getattr(e, "value", "")), str(getattr(e, "label", ""))]
    for df in at.dataframe:
        parts.append(df.value.to_string())
    return "\n".join(parts)


def test_the_trainee_sees_the_report_with_the_risk_step_after_an_ended_session(world):
    at = page(world, "practice.py", "tess", session=world[1]["interview"])
    assert not at.exception, at.exception
    shown = text(at)
    assert "How you interviewed" in shown and "Assessment coverage" in shown
    assert "never asked" in shown  # an area the seeded interview never asked about, with a question
    assert "Risk was not asked about" in shown  # screening expected in every first session
    assert "Competence rubric" in shown and "Risk screening" in shown


def test_a_supervisors_correction_shows_on_review_and_to_the_trainee(world):
    sam = services_for(world, "sam")
    sid = world[1]["interview"]
    report = sam.reports.report(sid)
    automatic = report.rubric.items["empathy"].score
    right = (automatic + 2) % 7
    sam.supervision.correct_interview_item(sid, "empathy", right, "Several reflections were accurate and warm.")

    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    assert "corrected this" in text(review) and "Several reflections were accurate" in text(review)

    practice = page(world, "practice.py", "tess", session=sid)
    assert not practice.exception
    assert "corrected this" in text(practice)
    mine = page(world, "sessions.py", "tess")
    assert not mine.exception
    assert "Corrections from your supervisors" in text(mine) and "Several reflections were accurate" in text(mine)


def test_review_lists_the_other_scores_a_supervisor_can_correct(world):
    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    shown = text(review)
    assert "Agreement with supervisors" in [t.label for t in review.tabs]
    assert "Describe: " in shown or "Describe" in shown  # DEAR MAN skill ratings
    assert "Addresses the thought" in shown  # the reframe checks of the drill


def test_live_counts_show_in_free_practice_and_are_off_for_an_assignment_that_did_not_allow_them(world):
    tess = services_for(world, "tess")
    free = world[1]["active_interview"]
    at = page(world, "practice.py", "tess", session=free)
    assert not at.exception, at.exception
    assert "Live counts" in text(at)
    assignment = tess.supervision.my_assignments()[0]
    assert assignment.live_counts is False
    assigned = tess.interviews.start_assignment(assignment.id, seed=3)
    tess.interviews.say(assigned.id, "Hello, what brings you here today?")
    list(tess.interviews.respond(assigned.id))
    at = page(world, "practice.py", "tess", session=assigned.id)
    assert not at.exception
    assert "Live counts" not in text(at) and not [t for t in at.toggle if t.label == "Show live counts"]
    services_for(world, "sam").supervision.set_live_counts(assignment.id, True)
    at = page(world, "practice.py", "tess", session=assigned.id)
    assert [t for t in at.toggle if t.label == "Show live counts"]


def test_cues_never_asked_about_are_flagged_first_on_review_and_on_the_trainees_report(world, monkeypatch, tmp_path):
    from tests import report_helpers as h

    tess = actor(world, "tess")
    store = Store(world[0])
    _, sid = h.play(tmp_path, monkeypatch, [h.OPEN, h.SITUATION, h.FEELINGS, h.REFLECT, h.THOUGHTS, h.VALIDATE,
                                            h.BEHAVIOUR], actor=tess, store=store, end=True)
    review = page(world, "review.py", "sam")  # the newest session is shown first
    assert not review.exception, review.exception
    banner = [e.value for e in review.error]
    assert banner and "Risk was not asked about after the patient gave a cue" in banner[0]
    assert "ask directly about thoughts of suicide" in banner[0]
    assert any("risk cues not asked about" in str(o) for o in review.selectbox[1].options)
    practice = page(world, "practice.py", "tess", session=sid)
    assert [e.value for e in practice.error][0] == banner[0]


def test_a_grade_saves_only_the_items_the_supervisor_set_and_the_trainee_sees_it_is_new(world):
    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    next(s for s in review.selectbox if s.label == "Session").set_value(world[1]["interview"]).run()
    assert "How tess interviewed" in text(review)  # the supervisor reads about the trainee, not "you"
    before = len(services_for(world, "sam").supervision.grades(world[1]["interview"]))
    review.radio(key="g-empathy").set_value(5)
    review.radio(key="g-agenda").set_value(2)
    next(b for b in review.button if b.label == "Save grade").click().run()
    assert not review.exception, review.exception
    assert any("Saved:" in s.value for s in review.success), [e.value for e in review.error]
    grades = services_for(world, "sam").supervision.grades(world[1]["interview"])
    assert len(grades) == before + 1
    graded = grades[0]
    assert graded.scores == {"empathy": 5, "agenda": 2}  # unset items are not scores
    assert graded.total == round(7 / 12 * 100, 1)

    mine = page(world, "sessions.py", "tess")
    assert "New from your supervisor" in " ".join(m.value for m in mine.markdown)
    page(world, "practice.py", "tess", session=world[1]["interview"])  # she reads it
    again = page(world, "sessions.py", "tess")
    assert "New from your supervisor" not in " ".join(m.value for m in again.markdown)
