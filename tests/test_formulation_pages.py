"""The formulation, feedback and progress pages under AppTest, on a temporary database."""

import json
import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.cbt.formulation.store import load_draft
from simulator.core.settings import ROOT
from tests.formulation_helpers import FULL_SCRIPT, interviewed

FORM = str(ROOT / "views" / "formulation.py")
FEEDBACK = str(ROOT / "views" / "feedback.py")
PROGRESS = str(ROOT / "views" / "progress.py")
# Reference text of Tomás's first situation that the trainee has not typed.
SECRET = ["walk-in fridge", "younger cook from outside", "bakery", "never good enough"]


@pytest.fixture
def session(tmp_path, monkeypatch):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:6])  # six turns: enough to submit
    monkeypatch.setenv("PRACTICUM_DB", str(store.path))
    monkeypatch.setenv("PRACTICUM_ENGINE", "offline")
    st.cache_resource.clear()
    yield store, sid
    st.cache_resource.clear()


def open_page(path, sid):
    at = AppTest.from_file(path, default_timeout=60)
    at.query_params["session"] = sid
    return at.run()


def page_text(at) -> str:
    parts = [str(getattr(e, "value", "")) for e in at.main]
    for kind in ("markdown", "caption", "info", "error", "success", "text_area", "checkbox", "metric"):
        for e in getattr(at, kind):
            parts += [str(getattr(e, "value", "")), str(getattr(e, "label", ""))]
    return "\n".join(parts)


def test_the_form_never_shows_the_reference_and_the_draft_survives_a_reload(session):
    store, sid = session
    at = open_page(FORM, sid)
    assert not at.exception
    assert not any(s in page_text(at) for s in SECRET)
    assert not any(cb.value for cb in at.checkbox)  # nothing pre-ticked
    at.text_area(key=f"fm-{sid}-situation").input("Passed over for head chef at the Monday briefing.").run()
    at.checkbox(key=f"fm-{sid}-cb-helpless0").check().run()
    draft = load_draft(store, None, sid)
    assert draft.situation.startswith("Passed over") and draft.core_beliefs == ["I am incompetent."]
    again = open_page(FORM, sid)  # a reload: a new browser session
    assert again.text_area(key=f"fm-{sid}-situation").value.startswith("Passed over")
    assert again.checkbox(key=f"fm-{sid}-cb-helpless0").value is True


def test_feedback_is_refused_before_submit_and_shown_after(session):
    store, sid = session
    before = open_page(FEEDBACK, sid)
    assert "not been submitted" in page_text(before)
    assert not any(s in page_text(before) for s in SECRET)

    at = open_page(FORM, sid)
    at.text_area(key=f"fm-{sid}-behavior").input("He went to the walk-in fridge.").run()
    at.text_area(key=f"fm-{sid}-situation").input("Passed over for head chef at the briefing.").run()
    at.text_area(key=f"fm-{sid}-automatic_thoughts").input("I am not good enough for this.").run()
    at.checkbox(key=f"fm-{sid}-emo1").check().run()
    at.button(key="fm-submit").click().run()
    assert not at.exception
    assert "submitted this formulation" in page_text(at)
    assert "What you submitted" in page_text(at) and "He went to the walk\\-in fridge" in page_text(at)
    assert not at.text_area  # read-only once submitted

    after = open_page(FEEDBACK, sid)
    assert not after.exception
    text = page_text(after)
    assert "younger cook from outside" in text  # the reference, now
    assert "(#turn-" in text  # evidence quotes link to their turns
    assert "Never came up: an interview gap" in text  # the badge
    assert not re.search(r"\d\.\d{2,} / 2", text)  # a field's level is shown rounded ("1.3 / 2")
    assert "Next interview" in text and "never asked about it" in text  # advice from the coverage
    assert "_Offline feedback:_" in text  # the judge's per-field comments are shown

    progress = open_page(PROGRESS, sid)
    assert not progress.exception
    assert "Formulations charted" in page_text(progress)
    # Each field in its own panel, named above it: on one plot, fields at the same level hid one
    # another's points. Panels fill their page column (fixed widths ran off a narrow screen).
    specs = [json.loads(c.proto.spec) for c in progress.get("vega_lite_chart")]
    fields = [s["description"].rsplit(": ", 1)[1] for s in specs if "): " in s.get("description", "")]
    assert len(fields) == 8 and fields[:2] == ["Situation", "Automatic thoughts"] and "Relevant history" in fields
    assert all(s.get("width") != 220 for s in specs)  # no fixed-width panels
