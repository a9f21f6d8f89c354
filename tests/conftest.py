"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.store import Store
from tests.openai_server import FakeOpenAIServer


@pytest.fixture
def store(tmp_path) -> Store:
    """A migrated SQLite file of the test's own."""
    s = Store(tmp_path / "practicum.db")
    s.migrate()
    return s


# -- LLM servers --

@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    """A scriptable OpenAI-compatible server on 127.0.0.1 (see tests/openai_server.py)."""
    server = FakeOpenAIServer().start()
    try:
        yield server
    finally:
        server.stop()
