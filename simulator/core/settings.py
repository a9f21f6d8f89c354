"""Settings from the environment, read once per call so tests and the CLI can override them.

Every setting has a default that runs offline with no key and no network.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
PROMPTS_DIR = ROOT / "prompts"


class LLMSettings(BaseModel):
    api_key: str = "not-needed"
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    # Bounded in the prompt and by cutting the stream: some servers ignore max_completion_tokens.
    max_reply_tokens: int = Field(default=300, ge=16)
    structured_method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema"
    # Where the per-turn disclosure note goes: a trailing system message (OpenAI, llama.cpp), or
    # folded into the trainee's last message for chat templates that allow only a leading system.
    note_placement: Literal["system", "user"] = "system"
    # Ask streaming servers for token counts (stream_options.include_usage); counts are estimated
    # with the offline tokenizer where a server sends none. Off for a server that refuses the field.
    stream_usage: bool = True
    # Tokens (prompt + completion) one account may use per UTC day; past it, exercises fall back to
    # the offline engine with a plain message. None: no cap.
    daily_tokens_per_trainee: int | None = Field(default=None, ge=1)


class Settings(BaseModel):
    engine: Literal["offline", "llm"] = "offline"
    db_path: Path = DATA_DIR / "practicum.db"
    cases_dir: Path = DATA_DIR / "patients"
    soft_limit_minutes: int = Field(default=50, ge=1)
    idle_minutes: int = Field(default=60, ge=1)  # a sign-in ends after this long unused
    session_hours: float = Field(default=12, gt=0)  # ...and this long after it began, whatever the use
    # The header a reverse proxy sets to the client's address (e.g. X-Forwarded-For). Only then
    # are sign-in attempts also slowed per client: the address Streamlit sees is not trusted.
    client_ip_header: str | None = None
    secure_cookie: Literal["auto", "always"] = "auto"  # auto: Secure when the request came by https
    reveal_min_turns: int = Field(default=6, ge=0)  # trainee turns before a formulation shows the reference
    # A restructuring dialogue untouched this long is closed as abandoned (with its feedback).
    restructuring_idle_days: int = Field(default=7, ge=1)
    export_secret: str | None = None  # key for research pseudonyms; required to export
    # A trainee inactive this many days is erased by `purge`; None: nothing expires.
    retention_days: int | None = Field(default=None, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    llm: LLMSettings = LLMSettings()

    @property
    def uses_llm(self) -> bool:
        """Whether a model is configured; every feature falls back to its offline engine otherwise."""
        return self.engine == "llm"


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def load_settings() -> Settings:
    llm = {
        "api_key": _env("PRACTICUM_LLM_API_KEY") or _env("OPENAI_API_KEY"),
        "base_url": _env("PRACTICUM_LLM_BASE_URL") or _env("OPENAI_BASE_URL"),
        "model": _env("PRACTICUM_LLM_MODEL"),
        "temperature": _env("PRACTICUM_LLM_TEMPERATURE"),
        "timeout": _env("PRACTICUM_LLM_TIMEOUT"),
        "max_retries": _env("PRACTICUM_LLM_MAX_RETRIES"),
        "max_reply_tokens": _env("PRACTICUM_LLM_MAX_REPLY_TOKENS"),
        "structured_method": _env("PRACTICUM_LLM_STRUCTURED_METHOD"),
        "note_placement": _env("PRACTICUM_LLM_NOTE_PLACEMENT"),
        "stream_usage": _env("PRACTICUM_LLM_STREAM_USAGE"),
        "daily_tokens_per_trainee": _env("PRACTICUM_LLM_DAILY_TOKENS"),
    }
    top = {
        "engine": _env("PRACTICUM_ENGINE"),
        "db_path": _env("PRACTICUM_DB"),
        "cases_dir": _env("PRACTICUM_CASES_DIR"),
        "soft_limit_minutes": _env("PRACTICUM_SOFT_LIMIT_MINUTES"),
        "idle_minutes": _env("PRACTICUM_IDLE_MINUTES"),
        "session_hours": _env("PRACTICUM_SESSION_HOURS"),
        "client_ip_header": _env("PRACTICUM_CLIENT_IP_HEADER"),
        "secure_cookie": _env("PRACTICUM_SECURE_COOKIE"),
        "reveal_min_turns": _env("PRACTICUM_REVEAL_MIN_TURNS"),
        "restructuring_idle_days": _env("PRACTICUM_RESTRUCTURING_IDLE_DAYS"),
        "export_secret": _env("PRACTICUM_EXPORT_SECRET"),
        "retention_days": _env("PRACTICUM_RETENTION_DAYS"),
        "log_level": (_env("PRACTICUM_LOG_LEVEL") or "").upper() or None,
    }
    return Settings(
        **{k: v for k, v in top.items() if v is not None},
        llm=LLMSettings(**{k: v for k, v in llm.items() if v is not None}),
    )
