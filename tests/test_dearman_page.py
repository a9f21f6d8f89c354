"""The DEAR MAN page and progress section under Streamlit's AppTest, on the offline engine."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.core.settings import ROOT

PAGE = str(ROOT / "views" / "dearman.py")
GOOD = ("I ordered the vegetarian curry and this plate has chicken in it. I feel uncomfortable eating it. "
        "Please bring a vegetarian curry and take this one off the bill.")


@pytest.fixture(autouse=True)
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICUM_DB", str(tmp_path / "page.db"))
    monkeypatch.setenv("PRACTICUM_ENGINE", "offline")
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


HEDGED = "sorry, maybe you could possibly bring another dish?"


def _rating_of(message: str, skill: str) -> str:
    from simulator.dearman.rater_offline import default_rater
    from simulator.dearman.scenarios import ScenarioLibrary
    from simulator.dearman.schema import MessageContext

    scenario = ScenarioLibrary.load().get("restaurant-wrong-order")
    ctx = MessageContext.checked(scenario.situation, scenario.goal, message, scenario.counterpart.opening)
    return default_rater().rate(ctx).get(skill).rating


def button(at, label):
    return next(b for b in at.button if b.label == label)


def texts(at):
    return " ".join(m.value for m in at.markdown) + " ".join(str(b.label) for b in at.get("badge"))


def start(at):
    at.button(key="dm-choose-restaurant-wrong-order").click().run()
    at.slider(key="dm-before-anger").set_value(5)
    at.button(key="dm-start-submit").click().run()
    assert not at.exception, at.exception
    return at


def test_check_revise_send_and_finish_with_after_ratings():
    at = start(AppTest.from_file(PAGE, default_timeout=90).run())
    assert "Suggested next skill: Describe" in " ".join(i.value for i in at.info)
    at.text_area(key="dm_draft").input(HEDGED)
    button(at, "Check my message").click().run()
    page = texts(at)
    # The page shows the rater's verdict on the draft (its accuracy is tests/test_dearman_rater.py's).
    assert "Appear confident: No" in page and f"Assert: {_rating_of(HEDGED, 'assert').title()}" in page
    assert "A rewrite using every skill" in page
    button(at, "Use the rewrite as my draft").click().run()
    assert "vegetarian" in at.text_area(key="dm_draft").value.lower()  # the rewrite is now the draft
    at.text_area(key="dm_draft").input(GOOD)
    button(at, "Send").click().run()
    assert not at.exception, at.exception
    chats = [m for m in at.chat_message]
    assert len(chats) == 3 and GOOD in chats[1].markdown[0].value.replace("\\", "")
    assert at.text_area(key="dm_draft").value == ""
    at.toggle(key="dm-see-state").set_value(True).run()
    assert any("Willingness" in str(p.proto.text) for p in at.get("progress"))
    button(at, "Give up").click().run()
    at.slider(key="dm-after-anger").set_value(2)
    at.button(key="dm-after-submit").click().run()
    assert not at.exception, at.exception
    assert any("Conversation finished" in s.value for s in at.success)
    assert any("How strongly you felt each emotion after the conversation" in m.value for m in at.markdown)
    after = {m.label: m for m in at.metric}
    assert after["Anger"].value == "2" and after["Anger"].delta == "-3 from 5"  # before 5, after 2
    assert after["Fear"].delta is None or after["Fear"].delta == ""  # unchanged: no "0" chip
    # The wrap-up: every skill over the one message sent, as the rater rated it, numbered as the page numbers it.
    assert any(c.value == "Your message 1" for c in at.caption)
    table = at.table[0].value
    assert list(table.index) == ["Describe", "Express", "Assert", "Reinforce", "Mindful", "Appear confident",
                                 "Negotiate"]
    for title, skill in zip(table.index, ["describe", "express", "assert", "reinforce", "mindful", "confident",
                                          "negotiate"]):
        strong = _rating_of(GOOD, skill) in ("strong", "yes")
        assert table.loc[title, "Strong (or met)"] == ("1 of 1" if strong else "0 of 1")
        assert table.loc[title, "First strong in your message"] == ("message 1" if strong else "never")
    unused = [t for t, s in [("Reinforce", "reinforce"), ("Negotiate", "negotiate")] if _rating_of(GOOD, s) == "none"]
    shown = [m.value.replace("\\", "") for m in at.markdown]
    assert unused and all(any(m.startswith(f"Not used: {t}. Next time:") for m in shown) for t in unused)


def test_an_empty_draft_gets_a_clear_warning_and_nothing_is_sent():
    at = start(AppTest.from_file(PAGE, default_timeout=90).run())
    button(at, "Send").click().run()
    assert any("message is empty" in w.value for w in at.warning)
    assert len(at.chat_message) == 1  # only the counterpart's opening line


def test_describe_your_own_rejects_an_empty_goal_and_starts_with_a_goal():
    at = AppTest.from_file(PAGE, default_timeout=90).run()
    at.text_area(key="dm-own-situation").input("My friend keeps borrowing my bike and returns it muddy.")
    at.text_input(key="dm-own-who").input("Sam")
    at.button(key="dm-own-submit").click().run()
    assert any("goal is empty" in e.value for e in at.error)
    at.text_area(key="dm-own-goal").input("Ask Sam to clean the bike before returning it.")
    at.button(key="dm-own-submit").click().run()
    assert not at.exception and "Your own situation" in at.title[0].value


def progress_app():
    from views.progress_dearman import dearman_progress

    dearman_progress()


def test_the_progress_section_charts_skills_and_emotion_changes():
    at = start(AppTest.from_file(PAGE, default_timeout=90).run())
    at.text_area(key="dm_draft").input(GOOD)
    button(at, "Send").click().run()
    button(at, "Give up").click().run()
    at.slider(key="dm-after-anger").set_value(2)
    at.button(key="dm-after-submit").click().run()
    progress = AppTest.from_function(progress_app, default_timeout=60).run()
    assert not progress.exception, progress.exception
    assert len(progress.get("arrow_line_chart")) + len(progress.get("vega_lite_chart")) >= 1
    assert any("anger 5→2" in m.value for m in progress.markdown)
    assert list(progress.dataframe[0].value["outcome"]) == ["you ended it"]  # words, not the stored code


def test_a_conversation_over_but_not_rated_is_listed_as_owing_its_ratings_not_in_progress():
    at = start(AppTest.from_file(PAGE, default_timeout=90).run())
    at.text_area(key="dm_draft").input(GOOD)
    button(at, "Send").click().run()
    button(at, "Give up").click().run()
    mine = AppTest.from_file(str(ROOT / "views" / "sessions.py"), default_timeout=60).run()
    assert not mine.exception, mine.exception
    line = next(m.value for m in mine.markdown if "DEAR MAN" in m.value)
    assert "you ended it" in line and "rate how you feel now to finish it" in line and "in progress" not in line
