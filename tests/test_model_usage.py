"""Model usage: every call an exercise makes is recorded (tokens as the server reported them, or
estimated, latency, outcome), summarised for the admin, and capped per account per day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from simulator.accounts import cohorts, users
from simulator.accounts.policy import AccessDenied
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core.clock import now_iso
from simulator.core.errors import EngineError
from simulator.core.settings import DATA_DIR, LLMSettings, Settings
from simulator.dearman.practice import DearmanPractice
from simulator.dearman.scenarios import ScenarioLibrary, custom_scenario
from simulator.llm import client as llm
from simulator.llm import usage
from simulator.llm.tokens import count_message_tokens
from simulator.modeluse import access, summary
from simulator.traps import drill

PW = "a long enough password"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)


@pytest.fixture
def people(store):
    admin = users.create_user(store, None, "ada", PW, "admin")
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    omar = users.create_user(store, admin, "omar", PW, "trainee")
    return admin, tess, omar


def llm_settings(server, **extra) -> LLMSettings:
    return LLMSettings(base_url=server.base_url, model="fake-model", timeout=5.0, max_retries=1, **extra)


def interview(store, server, actor, **extra) -> tuple[Practice, str]:
    p = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"),
                 engine=LLMEngine(llm_settings(server, **extra)), actor=actor)
    info = p.start("tomas-herrera", "plain", situation_index=0, seed=1)
    return p, info.id


def calls(store) -> list[dict]:
    with store.db() as db:
        return list(db["llm_calls"].rows_where(order_by="id"))


def test_a_streamed_reply_records_the_servers_token_counts_latency_and_who(store, people, openai_server):
    _, tess, _ = people
    openai_server.script.reply = "It has been a rough few weeks at work, honestly."
    openai_server.script.cached_tokens = 7
    p, sid = interview(store, openai_server, tess)
    p.say(sid, "What brings you in today?")
    assert "".join(p.respond(sid)) == "It has been a rough few weeks at work, honestly."

    assert openai_server.requests[-1]["stream_options"] == {"include_usage": True}
    [row] = calls(store)
    sent = openai_server.usage_sent[-1]
    assert (row["prompt_tokens"], row["completion_tokens"], row["cached_tokens"]) == (
        sent["prompt_tokens"], sent["completion_tokens"], 7)
    assert row["estimated"] == 0 and row["outcome"] == "ok" and row["attempts"] == 1
    assert row["user_id"] == tess.id and row["exercise"] == "interview" and row["model"] == "fake-model"
    assert row["kind"] == "stream" and row["day"] == now_iso()[:10]
    assert row["latency_ms"] > 0 and 0 < row["first_token_ms"] <= row["latency_ms"]


def test_a_server_that_reports_nothing_gets_an_estimate_marked_as_such(store, people, openai_server):
    _, tess, _ = people
    openai_server.script.report_usage = False
    p, sid = interview(store, openai_server, tess)
    p.say(sid, "What brings you in today?")
    reply = "".join(p.respond(sid))
    [row] = calls(store)
    assert row["estimated"] == 1
    prompt = [str(m["content"]) for m in openai_server.requests[-1]["messages"]]
    assert row["prompt_tokens"] == count_message_tokens(prompt)
    assert row["completion_tokens"] == llm.count_tokens(reply) > 0


def test_retried_cut_and_failed_calls_are_told_apart(store, people, openai_server):
    _, tess, _ = people
    p, sid = interview(store, openai_server, tess)

    openai_server.script.fail_status, openai_server.script.fail_times = 503, 1
    p.say(sid, "What brings you in today?")
    list(p.respond(sid))

    openai_server.script.reply = "Well, it started on Monday when my manager called me in and said"
    openai_server.script.cut_after = 4
    p.say(sid, "What happened then?")
    with pytest.raises(EngineError):
        list(p.respond(sid))

    openai_server.script.cut_after = None
    openai_server.script.fail_status, openai_server.script.fail_times = 500, -1
    with pytest.raises(EngineError):
        list(p.respond(sid))  # asks again; the interview has no offline stand-in

    retried, cut, failed = calls(store)
    assert (retried["outcome"], retried["attempts"]) == ("retried", 2)
    assert "server 503" in retried["detail"]
    assert cut["outcome"] == "cut" and cut["completion_tokens"] > 0 and cut["estimated"] == 1
    assert failed["outcome"] == "failed" and failed["attempts"] == 2
    assert failed["prompt_tokens"] == failed["completion_tokens"] == 0  # nothing came back: nothing spent


def test_structured_calls_record_method_fallbacks_and_offline_fallbacks(store, people, openai_server):
    _, tess, _ = people
    settings = Settings(engine="llm", llm=llm_settings(openai_server))
    openai_server.script.refuse_json_schema = True  # like llama.cpp
    openai_server.script.structured_object = {
        "addresses_thought": {"ok": True, "why": "It answers the thought."},
        "realistic": {"ok": True, "why": "Balanced."}, "keeps_context": {"ok": True, "why": "Same situation."},
        "honours_feeling": {"ok": True, "why": "Names the worry."}, "strategy": "neutralizing"}
    item = drill.items()[0]
    result = drill.submit(store, tess, item.id, item.patterns, "One bad day does not decide everything.", settings)
    assert result.feedback.engine == "fake-model"

    openai_server.script.fail_status = 401  # refuses the key: the offline checker answers
    result = drill.submit(store, tess, item.id, item.patterns, "It is one day, not every day.", settings)
    assert result.feedback.engine == "offline"

    method_fallback, offline = calls(store)
    assert method_fallback["kind"] == "structured" and method_fallback["exercise"] == "traps"
    assert method_fallback["outcome"] == "retried" and "json_schema" in method_fallback["detail"]
    assert method_fallback["completion_tokens"] == openai_server.usage_sent[-1]["completion_tokens"]
    assert offline["outcome"] == "fell_back" and offline["completion_tokens"] == 0


def test_dearman_own_situations_are_counted_apart_from_written_scenarios(store, people, openai_server):
    _, tess, _ = people
    settings = Settings(engine="llm", llm=llm_settings(openai_server))
    p = DearmanPractice(store=store, settings=settings, actor=tess)
    written = next(iter(ScenarioLibrary.load()))
    own = custom_scenario("My flatmate leaves dishes for days.", "Agree a rota.", "Sam")
    for scenario in (written, own):
        info = p.start(scenario, None, seed=3)
        openai_server.script.fail_status = 500  # the rater falls back offline: one recorded call
        p.send(info.id, "I need us to agree on the dishes by Friday.")
        openai_server.script.fail_status = None
        list(p.respond(info.id))
    assert [(c["exercise"], c["kind"]) for c in calls(store)] == [
        ("dearman", "structured"), ("dearman", "stream"), ("dearman_own", "structured"), ("dearman_own", "stream")]
    assert [c["outcome"] for c in calls(store)] == ["fell_back", "ok", "fell_back", "ok"]


def test_the_daily_cap_moves_a_trainee_to_the_offline_engine_with_a_plain_message(store, people, openai_server):
    _, tess, omar = people
    openai_server.script.reply = "I just feel stuck, like nothing I do at work is enough."
    p, sid = interview(store, openai_server, tess, daily_tokens_per_trainee=20)
    assert p.engine_status().engine == "llm"
    p.say(sid, "What brings you in today?")
    list(p.respond(sid))
    assert usage.tokens_used(store, tess.id) >= 20
    sent = len(openai_server.requests)

    assert p.engine_status().reason == "daily_cap"
    p.say(sid, "What went through your mind?")
    reply = "".join(p.respond(sid))
    assert reply and len(openai_server.requests) == sent  # answered, and nothing went to the model
    assert "today's share of the language model (20 tokens)" in p.notice and "offline engine" in p.notice

    # Another trainee still has their share; yesterday's use does not count today.
    other, other_sid = interview(store, openai_server, omar, daily_tokens_per_trainee=20)
    other.say(other_sid, "What brings you in today?")
    list(other.respond(other_sid))
    assert len(openai_server.requests) == sent + 1 and other.notice is None
    with store.db() as db:
        db.execute("update llm_calls set day = ? where user_id = ?",
                   [(date.fromisoformat(now_iso()[:10]) - timedelta(days=1)).isoformat(), tess.id])
    assert p.engine_status().engine == "llm"


def test_past_the_cap_dearman_feedback_and_counterpart_fall_back_and_say_why(store, people, openai_server):
    _, tess, _ = people
    settings = Settings(engine="llm", llm=llm_settings(openai_server, daily_tokens_per_trainee=1))
    with store.db() as db:
        db["llm_calls"].insert({"at": now_iso(), "day": now_iso()[:10], "user_id": tess.id, "exercise": "interview",
                                "model": "fake-model", "kind": "stream", "prompt_tokens": 5, "completion_tokens": 5,
                                "estimated": 0, "latency_ms": 1.0, "outcome": "ok", "attempts": 1})
    p = DearmanPractice(store=store, settings=settings, actor=tess)
    info = p.start(next(iter(ScenarioLibrary.load())), None, seed=3)
    rating = p.check(info.id, "I need the car back by six on Sunday.")
    assert rating.engine == "offline" and "today's share of the language model" in rating.fallback_reason
    p.send(info.id, "I need the car back by six on Sunday.", rating)
    assert "".join(p.respond(info.id))
    assert p.turns(info.id)[-1].engine == "offline"
    assert openai_server.requests == []
    assert p.engine_status(info.scenario).reason == "daily_cap"


def test_usage_summaries_per_day_exercise_and_cohort_for_admins_only(store, people, openai_server):
    admin, tess, omar = people
    north = cohorts.create_cohort(store, admin, "North")
    cohorts.add_member(store, admin, north, tess.id, "trainee")
    for actor in (tess, omar):
        p, sid = interview(store, openai_server, actor)
        p.say(sid, "What brings you in today?")
        list(p.respond(sid))
    settings = Settings(engine="llm", llm=llm_settings(openai_server))
    openai_server.script.structured_object = {"addresses_thought": {"ok": True, "why": "x"},
                                              "realistic": {"ok": True, "why": "x"},
                                              "keeps_context": {"ok": True, "why": "x"},
                                              "honours_feeling": {"ok": True, "why": "x"}, "strategy": None}
    item = drill.items()[0]
    drill.submit(store, tess, item.id, item.patterns, "It was one meeting, not my whole career.", settings)
    sent = openai_server.usage_sent
    total = sum(u["prompt_tokens"] + u["completion_tokens"] for u in sent)

    [today] = summary.summary(store, admin, by="day")
    assert today.key == now_iso()[:10] and today.calls == 3 and today.people == 2
    assert today.total_tokens == total and today.outcomes["ok"] == 3

    by_exercise = {r.key: r for r in summary.summary(store, admin, by="exercise")}
    assert set(by_exercise) == {"interview", "traps"} and by_exercise["interview"].calls == 2
    by_cohort = {r.key: r for r in summary.summary(store, admin, by="cohort")}
    assert by_cohort["North"].calls == 2 and by_cohort["North"].people == 1
    assert by_cohort[summary.NO_COHORT].calls == 1
    assert summary.summary(store, admin, by="day", since=date.today() + timedelta(days=2)) == []
    with pytest.raises(AccessDenied):
        summary.summary(store, tess)


def test_calls_outside_an_exercise_are_not_recorded_and_not_capped(store, openai_server):
    # The shell's batch tools (simulate, rate-dearman) have no account to count against.
    settings = llm_settings(openai_server, daily_tokens_per_trainee=1)
    assert "".join(llm.stream_text(llm.chat_model(settings), [], settings)) == openai_server.script.reply
    assert calls(store) == []
    assert access.refusal(store, settings, "interview", None) is None


def test_the_study_export_includes_model_usage_of_consenting_trainees_only(store, people, openai_server):
    from simulator.research import export

    admin, tess, omar = people
    users.set_consent(store, tess, True)
    for actor in (tess, omar):
        p, sid = interview(store, openai_server, actor)
        p.say(sid, "What brings you in today?")
        list(p.respond(sid))
    [row] = export.collect(store, admin, "k", export.Filters())["model_usage"]
    assert row["trainee"] == export.pseudonym("k", tess.id) and row["exercise"] == "interview"
    assert row["prompt_tokens"] == openai_server.usage_sent[0]["prompt_tokens"] and row["outcome"] == "ok"
    assert export.collect(store, admin, "k", export.Filters(case_id="tomas-herrera"))["model_usage"] == []
