"""The LLM rater and counterpart against a real HTTP server: good answers used, bad ones replaced
by the offline path with a clear note, and the conversation intact."""

from __future__ import annotations

import logging

import pytest

from simulator.accounts import users
from simulator.accounts.actor import Actor
from simulator.core.db import Store
from simulator.core.settings import LLMSettings, Settings
from simulator.dearman import rater_llm
from simulator.dearman.practice import DearmanPractice
from simulator.dearman.rater_llm import LLMRater
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.dearman.schema import EmotionRatings, MessageContext
from simulator.llm import client as llm
from simulator.llm import destination
from simulator.migrations import migrate
from simulator.modeluse import access

CTX = MessageContext.checked("My sister keeps my car all weekend.", "Get my car back on Sunday evenings.",
                             "Please, sorry, maybe Sunday?")


def good_object() -> dict:
    item = {"rating": "strong", "reason": "Clear.", "suggestion": ""}
    state = {"rating": "yes", "reason": "On goal.", "suggestion": ""}
    return {"describe": item, "express": item, "assert": item, "reinforce": item, "negotiate": item,
            "mindful": state, "confident": state, "rewrite": "I need the car back on Sunday evenings."}


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)


def settings_for(server) -> LLMSettings:
    return LLMSettings(base_url=server.base_url, model="fake-model", timeout=5.0, max_retries=0)


def test_a_valid_structured_answer_is_used_and_carries_rubric_and_exemplars(openai_server):
    openai_server.script.structured_object = good_object()
    rating = LLMRater(settings_for(openai_server)).rate(CTX)
    assert rating.engine == "fake-model" and rating.fallback_reason is None
    assert rating.ratings.confident.rating == "yes"  # the model's verdict, not the offline one
    sent = " ".join(str(m.get("content")) for m in openai_server.requests[0]["messages"])
    assert "DEAR MAN" in sent and "Get my car back on Sunday evenings." in sent
    assert "- confident, " in sent and "- describe, " in sent  # nearest exemplars as demonstrations


@pytest.mark.parametrize("bad", [
    {"describe": "strong"},  # most fields missing
    {**good_object(), "assert": {"rating": "excellent", "reason": "x", "suggestion": ""}},  # not a level
])
def test_a_malformed_answer_falls_back_to_the_offline_rater_with_a_clear_note(openai_server, bad):
    openai_server.script.structured_object = bad
    rating = LLMRater(settings_for(openai_server)).rate(CTX)
    assert rating.engine == "offline"
    assert rating.fallback_reason.startswith("The model's feedback could not be used")
    assert rating.ratings.confident.rating == "no"  # the offline rater's verdict on the hedged draft


def test_a_server_error_falls_back_too(openai_server):
    openai_server.script.fail_status = 500
    rating = LLMRater(settings_for(openai_server)).rate(CTX)
    assert rating.engine == "offline" and "could not be used" in rating.fallback_reason


def llm_practice(tmp_path, server) -> DearmanPractice:
    store = Store(tmp_path / "llm.db")
    migrate(store)
    return DearmanPractice(store=store, settings=Settings(engine="llm", llm=settings_for(server)))


def test_the_llm_counterpart_streams_with_the_state_in_the_prompt(tmp_path, openai_server):
    openai_server.script.structured_object = good_object()
    p = llm_practice(tmp_path, openai_server)
    info = p.start(ScenarioLibrary.load().get("sister-borrowed-car"), EmotionRatings(anger=3, fear=1, sadness=2, disgust=1))
    p.send(info.id, "I need the car back by six on Sunday.")
    openai_server.script.reply = "Six? I'm usually still at Mum's then."
    chunks = list(p.respond(info.id))
    assert len(chunks) > 1 and "".join(chunks) == "Six? I'm usually still at Mum's then."
    turn = p.turns(info.id)[-1]
    assert turn.engine == "fake-model" and turn.state.turn == 1
    note = openai_server.requests[-1]["messages"][-1]["content"]
    assert "irritation" in note and "willingness" in note and "Nina" in openai_server.requests[-1]["messages"][0]["content"]


def test_a_failing_counterpart_server_falls_back_to_the_offline_reply(tmp_path, openai_server):
    openai_server.script.structured_object = {"oops": True}
    p = llm_practice(tmp_path, openai_server)
    info = p.start(ScenarioLibrary.load().get("sister-borrowed-car"), None)
    p.send(info.id, "I need the car back by six on Sunday.")
    openai_server.script.fail_status = 503
    text = "".join(p.respond(info.id))
    turns = p.turns(info.id)
    assert [t.role for t in turns] == ["trainee", "counterpart"]
    assert turns[0].rater == "offline"  # the malformed rating fell back and was still stored
    assert turns[1].engine == "offline" and turns[1].text == text and text


def test_a_stream_cut_midway_keeps_the_partial_reply_marked_incomplete(tmp_path, openai_server):
    openai_server.script.structured_object = good_object()
    p = llm_practice(tmp_path, openai_server)
    info = p.start(ScenarioLibrary.load().get("sister-borrowed-car"), None)
    p.send(info.id, "I need the car back by six on Sunday.")
    openai_server.script.reply = "Well I was going to say that is not going to work for me at all."
    openai_server.script.cut_after = 4
    text = "".join(p.respond(info.id))
    last = p.turns(info.id)[-1]
    assert last.role == "counterpart" and not last.complete and last.text == text.strip() and text


# -- admission: the model client's, once per call --

PW = "a long enough password"


@pytest.fixture
def admissions(monkeypatch) -> list[str]:
    """The exercises of every admission check made (each one reads the permission, the notice and the cap)."""
    made: list[str] = []
    real = access.refusal

    def counted(store, settings, exercise, user_id):
        made.append(exercise)
        return real(store, settings, exercise, user_id)

    monkeypatch.setattr(access, "refusal", counted)
    return made


def trainee_practice(store, server) -> tuple[DearmanPractice, Actor]:
    admin = users.create_user(store, None, "ada", PW, "admin")
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    return DearmanPractice(store=store, settings=Settings(engine="llm", llm=settings_for(server)), actor=tess), admin


def usage_rows(store) -> list[dict]:
    with store.db() as db:
        return list(db["llm_calls"].rows_where(order_by="id"))


def test_one_rating_is_admitted_once_and_recorded_once(store, openai_server, admissions):
    openai_server.script.structured_object = good_object()
    p, _ = trainee_practice(store, openai_server)
    info = p.start(ScenarioLibrary.load().get("sister-borrowed-car"), None)
    admissions.clear()  # starting asks which engine to show; the rating is what is counted here
    rating = p.check(info.id, "I need the car back by six on Sunday.")
    assert rating.engine == "fake-model" and rating.fallback_reason is None
    assert admissions == ["dearman"]
    assert [(r["exercise"], r["kind"], r["outcome"]) for r in usage_rows(store)] == [("dearman", "structured", "ok")]
    assert len(openai_server.requests) == 1


def test_a_refused_rating_shows_the_offline_rating_with_the_plain_reason(store, openai_server, admissions,
                                                                          monkeypatch, caplog):
    p, admin = trainee_practice(store, openai_server)
    access.set_llm_permission(store, admin, "dearman", False)
    info = p.start(ScenarioLibrary.load().get("sister-borrowed-car"), None)
    looked_up: list[str] = []
    real_examples = rater_llm.nearest_examples
    monkeypatch.setattr(rater_llm, "nearest_examples", lambda message, bank: looked_up.append(message)
                        or real_examples(message, bank))
    admissions.clear()
    caplog.set_level(logging.INFO, logger="simulator.dearman.rater_llm")
    rating = p.check(info.id, "Please, sorry, maybe Sunday?")
    assert rating.engine == "offline"
    assert rating.fallback_reason == destination.notices().exercise_offline  # plain words, not "could not be used"
    assert rating.ratings.confident.rating == "no"  # the offline rater's verdict on the hedged draft
    assert admissions == ["dearman"] and looked_up == []  # refused before the examples are looked up
    assert openai_server.requests == [] and usage_rows(store) == []
    assert any("offline rater" in r.getMessage() for r in caplog.records)
