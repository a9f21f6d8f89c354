"""Talking to any OpenAI-compatible chat endpoint: streaming with our own retries, a reply-length
bound every server honours, and structured output with a fallback across methods.

The client's own retries are off (`max_retries=0`): we retry only before the first token has been
shown, and we choose the backoff and the message the trainee sees.

A call made for an exercise (`caller`, built by simulator/modeluse/access.py) is first admitted
(the admin's choice for the exercise, the trainee's acknowledgement of where the text goes, the
daily token cap) and then recorded (simulator/llm/usage.py: tokens, latency, outcome).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import openai
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ValidationError

from simulator.core.errors import EngineError
from simulator.core.settings import LLMSettings
from simulator.core.text import SENTENCE_STOP
from simulator.llm.templates import json_mode_instruction
from simulator.llm.tokens import count_tokens
from simulator.llm.usage import Caller, CallMeter

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
        use_responses_api=False, streaming=True, stream_usage=settings.stream_usage,
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

_SENTENCE_END = re.compile(SENTENCE_STOP + r"(?=\s|$)")


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

def _texts(messages: list[BaseMessage]) -> list[str]:
    return [m.text if isinstance(m.content, list) else str(m.content) for m in messages]


Messages = list[BaseMessage] | Callable[[], list[BaseMessage]]


def _admitted(caller: Caller | None, settings: LLMSettings, messages: Messages) -> list[BaseMessage]:
    """Admit the call (when it is made for an exercise): the one admission a call gets. Messages
    given as a function are built only then, so nothing is prepared for a call that may not go out."""
    if caller is not None:
        caller.admit(settings)
    return messages() if callable(messages) else messages


def _meter(caller: Caller | None, settings: LLMSettings, kind, messages: list[BaseMessage]) -> CallMeter:
    """Start measuring an admitted call."""
    return CallMeter(caller=caller, settings=settings, kind=kind, prompt_texts=_texts(messages))


def _failed(caller: Caller | None) -> str:
    """The outcome of a call that failed before any text: did the exercise use its offline engine?"""
    return "fell_back" if caller is not None and caller.falls_back else "failed"


def stream_text(model: ChatOpenAI, messages: list[BaseMessage], settings: LLMSettings,
                caller: Caller | None = None) -> Iterator[str]:
    """Yield the reply as it streams. Raises EngineError with a message for the trainee.

    Retries (with backoff) only while nothing has been yielded; a stream cut after that raises
    EngineError whose `partial` is exactly the text yielded. With a `caller`, the call is admitted
    first (LLMUnavailable, an EngineError, if refused) and recorded whatever happens.
    """
    messages = _admitted(caller, settings, messages)
    meter = _meter(caller, settings, "stream", messages)
    shown: list[str] = []
    outcome = "cut"  # what a consumer that stops reading leaves behind
    try:
        while True:
            bound = LengthBound(settings.max_reply_tokens)
            shown = []
            finished = False
            stream = model.stream(messages)
            try:
                for chunk in stream:
                    meter.add_usage(getattr(chunk, "usage_metadata", None))
                    if chunk.response_metadata.get("finish_reason"):
                        finished = True
                    text = chunk.text
                    if not text:
                        continue
                    out = bound.feed(text)
                    if out:
                        meter.saw_text()
                        shown.append(out)
                        yield out
                    if bound.done:
                        finished = True
                        meter.details.append("cut at the reply-length bound")
                        break
                if not finished:
                    raise ConnectionError("the stream ended without a finish reason")
                rest = bound.flush()
                if rest:
                    meter.saw_text()
                    shown.append(rest)
                    yield rest
                if not shown:
                    raise EngineError(EMPTY_MESSAGE)
                outcome = "retried" if meter.attempts > 1 else "ok"
                return
            except EngineError as err:
                meter.details.append(err.user_message)
                outcome = _failed(caller)
                raise
            except Exception as exc:
                kind, code = classify(exc)
                meter.details.append(f"{kind}{f' {code}' if code else ''}: {type(exc).__name__}")
                if shown:
                    outcome = "cut"
                    raise EngineError(CUT_MESSAGE, partial="".join(shown)) from exc
                if kind in RETRYABLE and _may_retry(meter, settings):
                    log.warning("model call failed (%s), retrying: %s", kind, _detail(exc))
                    time.sleep(_backoff(meter.attempts - 1, exc))
                    meter.attempts += 1
                    continue
                outcome = _failed(caller)
                raise EngineError(user_message(kind, code, settings, exc)) from exc
            finally:
                stream.close()  # closes the HTTP response, so the server can stop generating
    finally:
        meter.finish(outcome, "".join(shown))


def _may_retry(meter: CallMeter, settings: LLMSettings) -> bool:
    return meter.attempts - 1 < settings.max_retries


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
                 method: str, meter: CallMeter) -> BaseModel:
    """One method, with retries on transient failures. Raises on refusal or a bad object."""
    with _model_cache_lock:
        model = _structured_model(settings.model_dump_json())
    if method == "json_mode":
        messages = [*messages, SystemMessage(json_mode_instruction(schema))]
    runnable = model.with_structured_output(schema, method=method, include_raw=True)
    retries = 0
    while True:
        try:
            result = runnable.invoke(messages)
            break
        except Exception as exc:
            kind, _ = classify(exc)
            if kind in STRUCTURED_RETRYABLE and retries < settings.max_retries:
                log.warning("structured call (%s) failed (%s), retrying: %s", method, kind, _detail(exc))
                time.sleep(_backoff(retries, exc))
                retries, meter.attempts = retries + 1, meter.attempts + 1
                continue
            raise
    raw = result.get("raw")
    meter.add_usage(getattr(raw, "usage_metadata", None))
    if raw is not None:
        meter.received.append(_raw_text(raw))
    if result.get("parsing_error") is not None:
        raise ValueError(f"unparseable answer: {result['parsing_error']}")
    parsed = result.get("parsed")
    if parsed is None:
        raise ValueError("no object in the answer")
    data = parsed.model_dump() if isinstance(parsed, BaseModel) else parsed
    return schema.model_validate(data)


def _raw_text(raw: Any) -> str:
    """The answer's text for a token estimate: its content, or its tool call's arguments."""
    calls = getattr(raw, "tool_calls", None) or []
    if calls:
        import json

        return "".join(json.dumps(c.get("args", {})) for c in calls)
    content = getattr(raw, "content", "")
    return content if isinstance(content, str) else str(content)


def structured_call(settings: LLMSettings, schema: type[BaseModel], messages: Messages,
                    caller: Caller | None = None) -> StructuredResult:
    """Ask for an object of `schema`, trying settings.structured_method first, then the others.

    With a `caller`, the call is admitted first (LLMUnavailable if refused) and recorded: "retried"
    when another method or a retry was needed. `messages` may be a function that builds them, called
    once the call is admitted (for prompts that are costly to prepare).
    """
    messages = _admitted(caller, settings, messages)
    meter = _meter(caller, settings, "structured", messages)
    failures: list[str] = []
    last: BaseException | None = None
    try:
        for method in _method_order(settings.structured_method):
            try:
                value = _invoke_once(settings, schema, messages, method, meter)
            except (ValueError, ValidationError) as exc:
                failures.append(f"{method}: {str(exc)[:200]}")
                log.warning("structured output by %s failed, trying the next method: %s", method, str(exc)[:200])
                last = exc
                continue
            except Exception as exc:
                kind, code = classify(exc)
                # A refusal of the method (llama.cpp answers 500 to json_schema) moves on to the next
                # method; a server that cannot be reached, or refuses us, fails them all alike.
                if kind in STRUCTURED_RETRYABLE or code in (401, 403, 404):
                    failures.append(f"{method}: {kind}{f' {code}' if code else ''}")
                    raise EngineError(user_message(kind, code, settings, exc)) from exc
                failures.append(f"{method}: {user_message(kind, code, settings, exc)}")
                log.warning("structured output by %s refused, trying the next method: %s", method, failures[-1])
                last = exc
                continue
            meter.details.extend(failures)
            meter.finish("retried" if failures or meter.attempts > 1 else "ok", "".join(meter.received))
            return StructuredResult(value=value, method=method, failures=failures)
        log.warning("no structured-output method produced a valid answer: %s", "; ".join(failures))
        raise EngineError("The model could not produce a valid answer in the required form.") from last
    finally:
        if not meter.finished:
            meter.details.extend(failures)
            # Tokens of answers that came back unusable were spent all the same.
            meter.finish(_failed(caller), "".join(meter.received))


def structured(settings: LLMSettings, schema: type[BaseModel], messages: Messages,
               caller: Caller | None = None) -> BaseModel:
    return structured_call(settings, schema, messages, caller).value
