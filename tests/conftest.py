"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.core.db import Store
from simulator.migrations import migrate
from tests.openai_server import FakeOpenAIServer


@pytest.fixture
def store(tmp_path) -> Store:
    """A migrated SQLite file of the test's own."""
    s = Store(tmp_path / "practicum.db")
    migrate(s)
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
