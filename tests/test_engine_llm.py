"""The LLM engine against a real HTTP server on 127.0.0.1, through the real ChatOpenAI client."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from simulator.cbt.case import PatientCase
from simulator.cbt.engine import TurnRequest
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.interview import DisclosureState, Turn
from simulator.core.errors import EngineError
from simulator.core.settings import DATA_DIR, LLMSettings
from simulator.llm import client as llm
from simulator.llm.client import count_tokens, structured, structured_call

CASE = PatientCase.model_validate_json((DATA_DIR / "patients" / "tomas-herrera.json").read_text())


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)


def settings_for(server, **overrides) -> LLMSettings:
    values = dict(base_url=server.base_url, model="fake-model", timeout=5.0, max_retries=2)
    values.update(overrides)
    return LLMSettings(**values)


def request(*messages: str, replies: tuple[str, ...] = ()) -> TurnRequest:
    """A request whose transcript alternates therapist messages with the patient's replies."""
    turns: list[Turn] = []
    for i, text in enumerate(messages):
        turns.append(Turn(index=len(turns), role="therapist", text=text))
        if i < len(replies):
            turns.append(Turn(index=len(turns), role="patient", text=replies[i]))
    return TurnRequest(case=CASE, situation_index=0, style="plain", transcript=turns,
                       state=DisclosureState())


def drain(engine: LLMEngine, req: TurnRequest) -> list[str]:
    return list(engine.reply(req).chunks)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tokens_arrive_in_order_and_before_the_server_finishes(openai_server):
    openai_server.script.reply = "Work has been hard since the announcement on Monday."
    openai_server.script.chunk_delay = 0.08
    engine = LLMEngine(settings_for(openai_server))
    assert engine.label == "fake-model"

    chunks, finished_at_first_chunk = [], None
    for chunk in engine.reply(request("What brings you in today?")).chunks:
        if not chunks:
            finished_at_first_chunk = list(openai_server.stream_finished)
        chunks.append(chunk)

    assert finished_at_first_chunk == []  # the first words were shown while the server still sent
    assert len(chunks) > 1
    assert "".join(chunks) == "Work has been hard since the announcement on Monday."


def test_system_prompt_and_history_prefix_stay_byte_identical_across_turns(openai_server):
    engine = LLMEngine(settings_for(openai_server))
    therapist = ("Hello, what brings you here?", "What happened on Monday?", "How did you feel then?")
    replies = ("I can't sleep.", "They gave the job to someone else.")
    for n in range(1, 4):
        openai_server.script.reply = f"Reply {n}."
        drain(engine, request(*therapist[:n], replies=replies[:n - 1]))

    bodies = [r["messages"] for r in openai_server.requests]
    assert len(bodies) == 3
    assert bodies[0][0] == bodies[1][0] == bodies[2][0]
    assert bodies[0][0]["role"] == "system" and CASE.name in bodies[0][0]["content"]
    for earlier, later in zip(bodies, bodies[1:]):
        history = earlier[:-1]  # all but the per-turn note
        assert later[:len(history)] == history
    # The trainee speaks as the user, the patient as the assistant, and the note comes last.
    assert [m["role"] for m in bodies[2]] == [
        "system", "user", "assistant", "user", "assistant", "user", "system"]
    assert bodies[2][4]["content"] == "They gave the job to someone else."
    assert "Private note" in bodies[2][-1]["content"]


def test_two_429s_then_success_delivers_the_reply(openai_server):
    openai_server.script.reply = "Fine, I will talk."
    openai_server.script.fail_status, openai_server.script.fail_times = 429, 2
    engine = LLMEngine(settings_for(openai_server, max_retries=2))
    assert "".join(drain(engine, request("Hi."))) == "Fine, I will talk."
    assert len(openai_server.requests) == 3


def test_server_error_every_time_gives_a_clear_error_after_all_retries(openai_server):
    openai_server.script.fail_status = 500
    engine = LLMEngine(settings_for(openai_server, max_retries=2))
    with pytest.raises(EngineError) as err:
        drain(engine, request("Hi."))
    assert "The model returned an error (HTTP 500)" in err.value.user_message
    assert err.value.partial == ""
    assert len(openai_server.requests) == 3


def test_rejected_key_is_not_retried(openai_server):
    openai_server.script.fail_status = 401
    engine = LLMEngine(settings_for(openai_server, max_retries=2))
    with pytest.raises(EngineError) as err:
        drain(engine, request("Hi."))
    assert "refused the key" in err.value.user_message and "administrator" in err.value.user_message
    assert len(openai_server.requests) == 1


def test_refused_connection_names_the_server_address_in_the_log_never_to_the_trainee(caplog):
    base_url = f"http://127.0.0.1:{free_port()}/v1"
    engine = LLMEngine(LLMSettings(base_url=base_url, model="m", timeout=2.0, max_retries=1))
    with caplog.at_level(logging.WARNING, logger="simulator"), pytest.raises(EngineError) as err:
        drain(engine, request("Hi."))
    assert err.value.user_message.startswith("The model could not be reached.")
    assert "127.0.0.1" not in err.value.user_message and "http" not in err.value.user_message
    assert base_url in caplog.text


def test_slow_first_token_beyond_the_timeout(openai_server):
    openai_server.script.first_token_delay = 3.0  # headers come at once, the first token late
    engine = LLMEngine(settings_for(openai_server, timeout=0.5, max_retries=1))
    started = time.monotonic()
    with pytest.raises(EngineError) as err:
        drain(engine, request("Hi."))
    assert err.value.user_message.startswith("The model did not answer in time")
    assert len(openai_server.requests) == 2
    assert time.monotonic() - started < 2.5


def test_server_that_never_answers_times_out(openai_server):
    openai_server.script.hang = True
    engine = LLMEngine(settings_for(openai_server, timeout=0.5, max_retries=0))
    with pytest.raises(EngineError) as err:
        drain(engine, request("Hi."))
    assert err.value.user_message.startswith("The model did not answer in time")


def test_stream_cut_mid_reply_keeps_exactly_what_was_shown(openai_server):
    openai_server.script.chunks = ["I ", "went ", "to ", "the ", "fridge ", "and stayed."]
    openai_server.script.cut_after = 3
    engine = LLMEngine(settings_for(openai_server, max_retries=2))
    shown: list[str] = []
    with pytest.raises(EngineError) as err:
        for chunk in engine.reply(request("What did you do?")).chunks:
            shown.append(chunk)
    assert "".join(shown) == "I went to "
    assert err.value.partial == "I went to "
    assert "cut off" in err.value.user_message
    assert len(openai_server.requests) == 1  # text was on screen: no retry


def test_long_reply_is_cut_at_a_sentence_end_within_the_bound(openai_server):
    sentence = "The kitchen was loud and I kept thinking about the briefing that morning. "
    openai_server.script.reply = sentence * 60
    openai_server.script.chunk_delay = 0.005
    engine = LLMEngine(settings_for(openai_server, max_reply_tokens=40))
    text = "".join(drain(engine, request("Tell me everything.")))

    assert 0 < count_tokens(text) <= 40
    assert text.rstrip().endswith(".")
    body = openai_server.requests[0]
    assert body["max_tokens"] >= 40 and "max_completion_tokens" not in body
    # We closed the stream: the server did not get to send the whole reply.
    deadline = time.monotonic() + 3
    while openai_server.disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert openai_server.disconnects == 1 and openai_server.stream_finished == []


def test_short_reply_is_not_touched_by_the_bound(openai_server):
    openai_server.script.reply = "Maybe. I don't know"  # no final full stop: kept as sent
    engine = LLMEngine(settings_for(openai_server, max_reply_tokens=40))
    assert "".join(drain(engine, request("Is that so?"))) == "Maybe. I don't know"


class Mood(BaseModel):
    mood: str
    intensity: int = Field(ge=0, le=10)


def test_structured_output_falls_back_when_json_schema_is_refused(openai_server):
    openai_server.script.refuse_json_schema = True  # llama.cpp's answer to json_schema
    openai_server.script.structured_object = {"mood": "low", "intensity": 7}
    result = structured_call(settings_for(openai_server), Mood, [HumanMessage("How is he?")])

    assert result.value == Mood(mood="low", intensity=7)
    assert result.method == "function_calling"
    assert result.failures and result.failures[0].startswith("json_schema")
    first, second = openai_server.requests
    assert first["response_format"]["type"] == "json_schema"
    assert second["tools"][0]["function"]["name"] == "Mood"


def test_structured_output_rejects_objects_that_do_not_validate(openai_server):
    openai_server.script.structured_object = {"mood": "low", "intensity": 42}
    with pytest.raises(EngineError) as err:
        structured(settings_for(openai_server), Mood, [HumanMessage("How is he?")])
    assert "could not produce a valid answer in the required form" in err.value.user_message
    # Every method was tried; the last one, JSON mode, carried the schema in the prompt.
    assert len(openai_server.requests) == 3
    last = openai_server.requests[-1]
    assert last["response_format"]["type"] == "json_object"
    assert '"intensity"' in last["messages"][-1]["content"]


def test_structured_output_starts_with_the_configured_method(openai_server):
    openai_server.script.structured_object = {"mood": "calm", "intensity": 2}
    result = structured_call(settings_for(openai_server, structured_method="json_mode"), Mood,
                             [HumanMessage("How is he?")])
    assert result.method == "json_mode" and result.value.intensity == 2
    assert len(openai_server.requests) == 1


def test_the_turn_note_can_ride_in_the_last_user_message(openai_server):
    """For chat templates that accept a system message only at the start (some vLLM models)."""
    from simulator.cbt.engine import TurnRequest
    from simulator.cbt.engine_llm import LLMEngine
    from simulator.cbt.interview import DisclosureState, Turn
    from simulator.cbt.library import CaseLibrary
    from simulator.core.settings import DATA_DIR, LLMSettings

    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    engine = LLMEngine(LLMSettings(base_url=openai_server.base_url, model="m", api_key="x",
                                   note_placement="user"))
    transcript = [Turn(index=0, role="therapist", text="Hello."), Turn(index=1, role="patient", text="Hi."),
                  Turn(index=2, role="therapist", text="What brings you in?")]
    reply = engine.reply(TurnRequest(case=case, situation_index=0, style="plain", transcript=transcript,
                                     state=DisclosureState(turn=1), seed=1))
    assert "".join(reply.chunks)
    sent = openai_server.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == "Hello."
    assert sent[-1]["content"].startswith("What the therapist just said to you:\nWhat brings you in?")
    assert "Private note" in sent[-1]["content"]
