"""LLM path: submit to first token on the page's code path, minus the test server's own delay.

Runs the real client (ChatOpenAI through Practice.say/respond, as the Practice page does) against
the project's OpenAI-compatible test server on 127.0.0.1, told to wait before its first token.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, LLMSettings
from simulator.migrations import migrate
from tests.openai_server import FakeOpenAIServer

TURNS = 30
SERVER_DELAY = 0.2  # seconds the server waits before its first content chunk


def run() -> dict:
    server = FakeOpenAIServer().start()
    server.script.first_token_delay = SERVER_DELAY
    server.script.reply = "I don't really know where to start, it has been a lot lately."
    try:
        settings = LLMSettings(base_url=server.base_url, model="bench-model", api_key="x", max_retries=0)
        lib = CaseLibrary.load(DATA_DIR / "patients")
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "bench.db")
            migrate(store)
            practice = Practice(store, lib, LLMEngine(settings))
            info = practice.start("tomas-herrera", "plain", situation_index=0, seed=1)
            overheads: list[float] = []
            first_turn_ms = None
            for n in range(TURNS + 1):
                start = time.perf_counter()
                practice.say(info.id, f"Can you tell me more about that? ({n})")
                stream = practice.respond(info.id)
                next(stream)
                overhead = (time.perf_counter() - start - SERVER_DELAY) * 1000
                if n == 0:  # the first request also opens the HTTP connection: reported apart
                    first_turn_ms = round(overhead, 3)
                else:
                    overheads.append(overhead)
                for _ in stream:
                    pass
    finally:
        server.stop()
    return {"llm_first_token_overhead_ms": {
        "turns": TURNS, "server_delay_ms": SERVER_DELAY * 1000,
        "first_turn_ms": first_turn_ms,
        "p50_ms": percentile(overheads, 50), "p95_ms": percentile(overheads, 95), "target_p95_ms": 30,
    }}
