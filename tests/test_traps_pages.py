"""The drill and restructuring pages under AppTest: a trainee can use them end to end, and a
restructuring dialogue survives a reload and a new sign-in."""

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.accounts.actor import Actor
from simulator.core.db import Store
from simulator.core.settings import ROOT, Settings
from simulator.migrations import migrate
from simulator.traps.restructuring import dialogue as rs
from simulator.traps.restructuring.practice import RestructuringPractice
from simulator.traps.store import drill_attempts

ALICE = Actor(id="u-alice", username="alice", role="trainee")


@pytest.fixture(autouse=True)
def db(tmp_path, monkeypatch):
    path = tmp_path / "pages.db"
    monkeypatch.setenv("PRACTICUM_DB", str(path))
    monkeypatch.setenv("PRACTICUM_ENGINE", "offline")
    st.cache_resource.clear()
    yield path
    st.cache_resource.clear()


def page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "views" / name), default_timeout=60)
    at.session_state["actor"] = ALICE
    return at


def test_drill_shows_a_thought_grades_and_stores_the_attempt(db):
    at = page("traps_drill.py")
    at.run()
    assert not at.exception, at.exception
    thought = next((m.value for m in at.markdown if "badge[" not in m.value), "")
    at.multiselect[0].set_value(["mind_reading"])
    at.text_area[0].input("Maybe it's not as bad as it seems, and I can take it one step at a time.")
    at.button[0].click().run()  # the form's Check button
    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "Example reframes" in " ".join(h.value for h in at.subheader)
    assert "Addresses the thought" in shown and "Strategy:" in shown
    feedback = " ".join(x.value for x in [*at.success, *at.error])
    assert "You picked Mind reading" in feedback  # it names what the trainee picked
    rows = drill_attempts(Store(db), ALICE)
    assert len(rows) == 1 and rows[0]["picked"] == ["mind_reading"] and thought
    at.button[0].click().run()  # Next thought
    assert not at.exception
    following = at.markdown[0].value
    assert following != thought and "1 of" in " ".join(c.value for c in at.caption)

    again = page("traps_drill.py").run()  # a reload, or a new sign-in: the drill resumes where it was
    assert again.markdown[0].value == following
    assert any(e.label == "Your last answer" for e in again.expander)


def test_restructuring_page_tracks_the_stage_and_gives_feedback(db):
    at = page("restructuring.py").run()
    assert not at.exception, at.exception
    assert not at.radio  # nothing analysed (no model loaded) until the trainee asks
    next(b for b in at.button if b.label == "See this patient's automatic thoughts").click().run()
    assert at.radio and not at.exception
    next(b for b in at.button if b.label == "Start").click().run()  # the first thought
    assert not at.exception, at.exception
    at.chat_input[0].set_value("What went through your mind at that moment?").run()
    at.chat_input[0].set_value("If that were true, what would it mean?").run()
    assert not at.exception, at.exception
    bar = " ".join(m.value for m in at.markdown)
    assert "Intermediate belief **(now)**" in bar
    assert len(at.chat_message) == 5
    at.button[0].click().run()  # Finish and get feedback
    assert "Feedback by stage" in [h.value for h in at.subheader]
    sessions = RestructuringPractice(Store(db), Settings(), ALICE).dialogues()
    assert len(sessions) == 1 and sessions[0].status == "ended"


def _progress_script():
    import streamlit as st

    from simulator.accounts.actor import Actor
    from views.progress_traps import traps_progress

    st.session_state["actor"] = Actor(id="u-alice", username="alice", role="trainee")
    traps_progress()


def test_progress_section_shows_drill_and_restructuring_results(db):
    from simulator.cbt.library import CaseLibrary
    from simulator.core.settings import DATA_DIR
    from simulator.traps import drill

    store = Store(db)
    migrate(store)
    empty = AppTest.from_function(_progress_script, default_timeout=60).run()
    assert "No thinking-traps exercises yet." in [c.value for c in empty.caption]
    drill.submit(store, ALICE, "d05", ["overgeneralization"], "This interview didn't lead to an offer; I can ask for feedback.")
    drill.submit(store, ALICE, "d09", ["labeling"], "I ran the whole distance with one walk break.")
    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    RestructuringPractice(store, Settings(), ALICE).start(case, rs.distorted_thoughts(case)[0], seed=1)
    at = AppTest.from_function(_progress_script, default_timeout=60).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Drill attempts"] == "2" and metrics["Patterns exactly right"] == "50%"
    assert re.fullmatch(r"\d(\.\d)? of 4", metrics["Reframe checks"])  # a count of four, not "2.0"
    assert any("They could all see" in m.value for m in at.markdown)


def start_on_the_page() -> tuple[AppTest, str]:
    at = page("restructuring.py").run()
    next(b for b in at.button if b.label == "See this patient's automatic thoughts").click().run()
    next(b for b in at.button if b.label == "Start").click().run()
    at.chat_input[0].set_value("What went through your mind at that moment?").run()
    assert not at.exception, at.exception
    return at, at.query_params["rs"][0] if isinstance(at.query_params["rs"], list) else at.query_params["rs"]


def chat(at) -> list[str]:
    return [m.markdown[0].value for m in at.chat_message]


def test_a_dialogue_in_progress_survives_a_reload(db):
    at, sid = start_on_the_page()
    before = chat(at)
    assert len(before) == 3
    reloaded = page("restructuring.py")  # a new run of the page, with only the address to go on
    reloaded.query_params["rs"] = sid
    reloaded.run()
    assert not reloaded.exception, reloaded.exception
    assert chat(reloaded) == before and reloaded.chat_input
    reloaded.chat_input[0].set_value("If that were true, what would it mean?").run()
    assert len(chat(reloaded)) == 5
    assert "Intermediate belief **(now)**" in " ".join(m.value for m in reloaded.markdown)


def test_a_new_sign_in_is_offered_the_open_dialogue_to_resume(db):
    at, sid = start_on_the_page()
    before = chat(at)
    fresh = page("restructuring.py").run()  # a new sign-in: nothing in the address or the tab
    assert not fresh.exception, fresh.exception
    assert "Continue a dialogue" in [h.value for h in fresh.subheader]
    fresh.button(key=f"rs-resume-{sid}").click().run()
    assert not fresh.exception, fresh.exception
    assert chat(fresh) == before and sid in str(fresh.query_params["rs"])
    next(b for b in fresh.button if b.label == "Finish and get feedback").click().run()
    again = page("restructuring.py").run()
    assert "Continue a dialogue" not in [h.value for h in again.subheader]  # finished: nothing to resume


def test_someone_elses_dialogue_in_the_address_is_refused(db):
    _, sid = start_on_the_page()
    bob = AppTest.from_file(str(ROOT / "views" / "restructuring.py"), default_timeout=60)
    bob.session_state["actor"] = Actor(id="u-bob", username="bob", role="trainee")
    bob.query_params["rs"] = sid
    bob.run()
    assert not bob.exception, bob.exception
    assert any("belongs to someone else" in e.value for e in bob.error)
    assert not bob.chat_message and not bob.chat_input
