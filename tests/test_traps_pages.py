"""The drill and restructuring pages under AppTest: a trainee can use them end to end."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.accounts.actor import Actor
from simulator.core.db import Store
from simulator.core.settings import ROOT
from simulator.migrations import migrate
from simulator.traps import restructuring as rs
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
    thought = at.markdown[0].value if at.markdown else ""
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
    sessions = rs.sessions(Store(db), ALICE)
    assert len(sessions) == 1 and sessions[0]["status"] == "ended"


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
    rs.start(store, ALICE, case, rs.distorted_thoughts(case)[0], seed=1)
    at = AppTest.from_function(_progress_script, default_timeout=60).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Drill attempts"] == "2" and metrics["Patterns exactly right"] == "50%"
    assert any("They could all see" in m.value for m in at.markdown)
