"""Model usage: one row per call to the model, and the summaries an admin reads.

Every call made for an exercise (`Caller`) is recorded by the client (simulator/llm/client.py):
model, prompt and completion tokens (and cached prompt tokens where the server reports them),
latency, and the outcome:

- ok: answered at the first attempt;
- retried: answered after retries (timeouts, 429, 5xx) or after another structured-output method;
- cut: a streamed reply stopped before its end (the connection was lost, or the trainee moved on);
- fell_back: the call failed before any text and the exercise used its offline engine instead;
- failed: the call failed before any text and the exercise has no offline stand-in (the interview
  shows the error and offers to ask again).

Token counts come from the server when it sends them (`estimated` = 0); otherwise they are
counted with the offline tokenizer from the messages and the text received (`estimated` = 1).
A call that failed before any text counts no tokens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlite_utils

from simulator.core.clock import now_iso
from simulator.core.db import Store
from simulator.core.settings import LLMSettings
from simulator.llm.tokens import count_message_tokens, count_tokens

log = logging.getLogger(__name__)

Outcome = Literal["ok", "retried", "cut", "fell_back", "failed"]
OUTCOMES: tuple[str, ...] = ("ok", "retried", "cut", "fell_back", "failed")


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m015_model_usage (registered in simulator/migrations.py)."""
    db["llm_calls"].create(
        {
            "id": int, "at": str, "day": str, "user_id": str, "exercise": str, "model": str,
            "endpoint": str, "kind": str, "prompt_tokens": int, "completion_tokens": int,
            "cached_tokens": int, "estimated": int, "latency_ms": float, "first_token_ms": float,
            "outcome": str, "attempts": int, "detail": str,
        },
        pk="id",
        not_null={"at", "day", "exercise", "model", "kind", "prompt_tokens", "completion_tokens",
                  "estimated", "latency_ms", "outcome", "attempts"},
    )
    db["llm_calls"].create_index(["user_id", "day"])
    db["llm_calls"].create_index(["day"])


@dataclass(frozen=True)
class Caller:
    """Who a model call is made for: the exercise, the account (None from a shell), the database.

    Built by simulator.modeluse.access.caller_for: `gate` raises (an EngineError with a plain
    message) when the call may not go out, and `falls_back` says whether the exercise has an
    offline stand-in when a call fails.
    """

    store: Store
    exercise: str
    user_id: str | None = None
    falls_back: bool = True
    gate: Callable[[LLMSettings], None] | None = field(default=None, compare=False)

    def admit(self, settings: LLMSettings) -> None:
        """Raise if this call may not go to the model now."""
        if self.gate is not None:
            self.gate(settings)


@dataclass
class CallMeter:
    """Collects one call's figures as it runs; `finish` writes the row (when there is a caller)."""

    caller: Caller | None
    settings: LLMSettings
    kind: Literal["stream", "structured"]
    prompt_texts: list[str]
    started: float = field(default_factory=time.monotonic)
    attempts: int = 1
    first_token: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int | None = None
    reported: bool = False  # the server sent token counts
    details: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)  # structured answers' text, for an estimate
    finished: bool = False

    def saw_text(self) -> None:
        if self.first_token is None:
            self.first_token = time.monotonic()

    def add_usage(self, usage: dict[str, Any] | None) -> None:
        """Add the counts of one response (langchain's usage_metadata), if the server sent any."""
        if not usage:
            return
        self.reported = True
        self.prompt_tokens += int(usage.get("input_tokens") or 0)
        self.completion_tokens += int(usage.get("output_tokens") or 0)
        cached = (usage.get("input_token_details") or {}).get("cache_read")
        if cached is not None:
            self.cached_tokens = (self.cached_tokens or 0) + int(cached)

    def finish(self, outcome: Outcome, received: str = "") -> None:
        """Record the call once. `received` is the reply text, for an estimate when the server sent no counts."""
        if self.finished:
            return
        self.finished = True
        if self.caller is None:  # nothing to record, so nothing to count
            log.debug("model call outside an exercise (%s, %s): not recorded", self.kind, outcome)
            return
        latency = (time.monotonic() - self.started) * 1000
        estimated = not self.reported and bool(received)
        prompt, completion = self.prompt_tokens, self.completion_tokens
        if estimated:
            prompt, completion = count_message_tokens(self.prompt_texts), count_tokens(received)
        from simulator.llm.destination import endpoint_key

        row = {
            "at": now_iso(), "user_id": self.caller.user_id, "exercise": self.caller.exercise,
            "model": self.settings.model, "endpoint": endpoint_key(self.settings), "kind": self.kind,
            "prompt_tokens": prompt, "completion_tokens": completion, "cached_tokens": self.cached_tokens,
            "estimated": int(estimated), "latency_ms": round(latency, 1),
            "first_token_ms": round((self.first_token - self.started) * 1000, 1) if self.first_token else None,
            "outcome": outcome, "attempts": self.attempts, "detail": "; ".join(self.details)[:500] or None,
        }
        row["day"] = row["at"][:10]
        try:
            with self.caller.store.db() as db:
                db["llm_calls"].insert(row)
        except Exception:  # noqa: BLE001 - the reply matters more than its bookkeeping; logged with its traceback
            log.exception("could not record a model call for %s", self.caller.exercise)


def tokens_used(store: Store, user_id: str, day: str | None = None) -> int:
    """Prompt plus completion tokens this account used on `day` (UTC, default today)."""
    day = day or now_iso()[:10]
    with store.db() as db:
        (total,) = db.execute("select coalesce(sum(prompt_tokens + completion_tokens), 0) from llm_calls "
                              "where user_id = ? and day = ?", [user_id, day]).fetchone()
    return int(total)
