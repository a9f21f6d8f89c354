"""The reference is earned, not harvested (issue 12): interview length and substance before the
reference, one graded attempt per case and situation, repeat practice shown and charted apart,
supervisor resets, and restructuring locked while a formulation is owed."""

from __future__ import annotations

from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.accounts import cohorts, signin, users
from simulator.accounts.policy import AccessDenied
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.formulation.errors import NotSubmitted
from simulator.cbt.formulation.reveal import NotReady
from simulator.cbt.library import CaseLibrary
from simulator.core.settings import DATA_DIR, ROOT, Settings
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.research import export
from simulator.services import Services
from simulator.services.traps import RestructuringLocked
from simulator.traps.restructuring import dialogue as rs
from tests.formulation_helpers import FULL_SCRIPT

PW = "a long enough password"
LIB = CaseLibrary.load(DATA_DIR / "patients")
SCENARIOS = ScenarioLibrary.load()
SUBSTANTIVE = {
    "situation": "At the Monday briefing the head chef job went to a younger cook from outside.",
    "automatic_thoughts": "They could all see I'm not good enough.",
    "emotions": ["sad, down, lonely, unhappy"],
    "behavior": "He hid in the walk-in fridge until the lunch rush.",
}
PERFECT = {**SUBSTANTIVE, "core_beliefs": ["I am incompetent.", "I am a failure, loser."]}


@pytest.fixture
def world(store):
    admin = users.create_user(store, None, "admin", PW, "admin")
    sup = users.create_user(store, admin, "sup", PW, "supervisor")
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    other_sup = users.create_user(store, admin, "other", PW, "supervisor")
    cohort = cohorts.create_cohort(store, admin, "Autumn")
    cohorts.add_member(store, admin, cohort, sup.id, "supervisor")
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    users.set_consent(store, tess, True)
    return store, {"admin": admin, "sup": sup, "tess": tess, "other": other_sup}, cohort


def svc(store, actor, **settings) -> Services:
    return Services(store, Settings(export_secret="k", **settings), actor, LIB, SCENARIOS, OfflineEngine())


def interview(s: Services, turns: int, situation: int = 0) -> str:
    info = s.interviews.start("tomas-herrera", "plain", situation_index=situation, seed=3)
    for line in FULL_SCRIPT[:turns]:
        s.interviews.say(info.id, line)
        list(s.interviews.respond(info.id))
    return info.id


def test_an_empty_or_early_submission_is_refused_and_shows_nothing(world):
    store, people, _ = world
    tess = svc(store, people["tess"])
    sid = interview(tess, 2)
    with pytest.raises(NotReady) as err:
        tess.formulations.submit(sid, {})
    assert "2 of your turns" in str(err.value) and "at least 6" in str(err.value)
    assert "nearly empty (0 of 8 parts" in str(err.value)
    with pytest.raises(NotSubmitted):
        tess.formulations.submission(sid)  # the reference stays hidden
    full = interview(tess, 6)
    with pytest.raises(NotReady, match="nearly empty"):
        tess.formulations.submit(full, {"situation": "work", "emotions": ["hurt"], "behavior": "left"})
    assert tess.formulations.submit(full, SUBSTANTIVE).reference.core_beliefs


def test_the_turn_threshold_is_a_setting(world):
    store, people, _ = world
    short = svc(store, people["tess"], reveal_min_turns=3)
    sid = interview(short, 3)
    assert short.formulations.submit(sid, SUBSTANTIVE).attempt == "graded"


def test_harvesting_the_reference_from_a_second_session_makes_the_assigned_one_repeat_practice(world):
    store, people, _ = world
    tess, sup = svc(store, people["tess"]), svc(store, people["sup"])
    assigned = interview(tess, 6)
    harvest = tess.interviews.start("tomas-herrera", "plain", situation_index=0, seed=9).id
    with pytest.raises(NotReady):
        tess.formulations.submit(harvest, {})  # the shortcut: refused outright
    for line in ["Hi.", "Ok.", "And?", "Go on.", "Right.", "Sure."]:
        tess.interviews.say(harvest, line)
        list(tess.interviews.respond(harvest))
    first = tess.formulations.submit(harvest, {"situation": "something at his work place",
                                               "behavior": "he did some things", "emotions": ["hurt"],
                                               "automatic_thoughts": "he thought some stuff"})
    assert first.attempt == "graded"  # the junk attempt is the graded one...
    assert tess.interviews.attempts([assigned]) == {assigned: "repeat"}  # ...and the open session is practice
    later = tess.formulations.submit(assigned, PERFECT)
    assert later.attempt == "repeat" and later.score.total > first.score.total
    rows = {r.info.id: r for r in sup.interviews.sessions_of(people["tess"].id)}  # what Review lists
    assert rows[harvest].attempt_label == "Graded attempt" and rows[assigned].attempt_label == "Repeat practice"
    points = {p.session_id: p.attempt for p in tess.formulations.history()}
    assert points == {harvest: "graded", assigned: "repeat"}
    data = svc(store, people["admin"]).research.collect(export.Filters())
    assert sorted(r["attempt"] for r in data["sessions"]) == ["graded", "repeat"]
    assert {r["attempt"] for r in data["formulations"]} == {"graded", "repeat"}
    other_situation = interview(tess, 6, situation=1)
    assert tess.formulations.submit(other_situation, SUBSTANTIVE).attempt == "graded"  # its own first


def test_a_new_session_after_the_reveal_is_repeat_practice_until_a_supervisor_resets(world):
    store, people, _ = world
    tess, sup = svc(store, people["tess"]), svc(store, people["sup"])
    tess.formulations.submit(interview(tess, 6), SUBSTANTIVE)
    assert tess.interviews.upcoming_attempt("tomas-herrera", 0) == "repeat"
    again = interview(tess, 6)
    assert tess.interviews.attempts([again]) == {again: "repeat"}
    with pytest.raises(AccessDenied):
        svc(store, people["other"]).supervision.reset_reveal(people["tess"].id, "tomas-herrera")
    with pytest.raises(AccessDenied):
        tess.supervision.reset_reveal(people["tess"].id, "tomas-herrera")
    assert sup.supervision.reset_reveal(people["tess"].id, "tomas-herrera") == 1
    assert tess.formulations.submit(again, SUBSTANTIVE).attempt == "repeat"  # it was open while seen
    fresh = interview(tess, 6)
    assert tess.interviews.attempts([fresh]) == {fresh: None}
    assert tess.formulations.submit(fresh, SUBSTANTIVE).attempt == "graded"
    assert [p.attempt for p in tess.formulations.history()] == ["graded", "repeat", "graded"]


# -- restructuring --------------------------------------------------------------------------

def first_thought(situation: int = 0) -> rs.CaseThought:
    return next(t for t in rs.case_thoughts(LIB.get("tomas-herrera")) if t.situation_index == situation)


def test_restructuring_is_locked_by_an_unsubmitted_draft_until_it_is_submitted_or_discarded(world):
    store, people, _ = world
    tess = svc(store, people["tess"])
    case = LIB.get("tomas-herrera")
    sid = interview(tess, 6)
    tess.formulations.save_draft(sid, {"situation": "A briefing at work"})
    with pytest.raises(RestructuringLocked) as err:
        tess.traps.start_restructuring(case.id, first_thought(0), seed=1)
    assert "unsubmitted formulation draft" in str(err.value) and "discard the draft" in str(err.value)
    assert tess.traps.start_restructuring(case.id, first_thought(1), seed=1)  # another situation is open
    assert tess.formulations.discard_draft(sid)
    assert tess.traps.start_restructuring(case.id, first_thought(0), seed=1)
    tess.formulations.save_draft(sid, {"situation": "A briefing at work"})
    tess.formulations.submit(sid, SUBSTANTIVE)
    assert tess.traps.start_restructuring(case.id, first_thought(0), seed=1)


def test_restructuring_is_locked_by_an_open_assignment_until_a_formulation_on_the_case(world):
    store, people, cohort = world
    tess, sup = svc(store, people["tess"]), svc(store, people["sup"])
    case = LIB.get("tomas-herrera")
    sup.supervision.assign("cbt", "tomas-herrera", date(2027, 1, 1), style="plain", cohort_id=cohort)
    locks = tess.traps.restructuring_locks(case)
    assert set(locks) == set(range(len(case.situations)))
    assert "open assignment" in locks[0] and "submitted a formulation" in locks[0]
    with pytest.raises(RestructuringLocked, match="open assignment"):
        tess.traps.start_restructuring(case.id, first_thought(0), seed=1)
    assert svc(store, people["admin"]).traps.restructuring_locks(case) == {}  # only the assigned trainee
    tess.formulations.submit(interview(tess, 6), SUBSTANTIVE)
    assert tess.traps.start_restructuring(case.id, first_thought(1), seed=1)


# -- pages ----------------------------------------------------------------------------------

@pytest.fixture
def app(world, monkeypatch):
    store = world[0]
    monkeypatch.setenv("PRACTICUM_DB", str(store.path))
    monkeypatch.setenv("PRACTICUM_ENGINE", "offline")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield world
    st.cache_resource.clear()


def open_as(store, username: str, page: str | None = None, session: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["auth_token"] = signin.login(store, username, PW)[1]
    if session:
        at.query_params["session"] = session
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def text_of(at) -> str:
    return " ".join(str(getattr(e, "value", "")) for kind in ("markdown", "caption", "info", "warning", "metric")
                    for e in getattr(at, kind))


def test_repeat_practice_is_labelled_on_the_pages_and_charted_apart(app):
    store, people, _ = app
    tess = svc(store, people["tess"])
    tess.formulations.submit(interview(tess, 6), SUBSTANTIVE)
    repeat = interview(tess, 6)
    practice = open_as(store, "tess", session=repeat)
    assert any("Repeat practice" in m.value for m in practice.markdown)  # the session's badge
    assert "Repeat practice" in text_of(open_as(store, "tess", "views/sessions.py"))
    tess.formulations.submit(repeat, PERFECT)
    progress = text_of(open_as(store, "tess", "views/progress.py"))
    assert "Graded attempts: total score" in progress and "Repeat practice: total score" in progress
    review = open_as(store, "sup", "views/review.py")
    labels = review.selectbox[1].options
    assert any("Repeat practice" in o for o in labels) and any("Graded attempt" in o for o in labels)


def test_the_restructuring_page_shows_why_and_lists_no_locked_thoughts(app):
    store, people, cohort = app
    svc(store, people["sup"]).supervision.assign("cbt", "tomas-herrera", date(2027, 1, 1), style="plain",
                                                  cohort_id=cohort)
    at = open_as(store, "tess", "views/restructuring.py")
    at.selectbox[0].select(next(c for c in LIB.cards() if c.id == "tomas-herrera")).run()
    assert any("open assignment" in w.value for w in at.warning)
    assert not any(b.label == "See this patient's automatic thoughts" for b in at.button)
    assert not at.radio
