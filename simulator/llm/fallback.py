"""The one way a model path falls back to the offline answer: log why, then carry on.

A failure of the model server (timeouts, refused connections, HTTP errors, unparseable output)
is expected: it is logged as a warning with its reason. Anything else is a programming error:
it is logged with its traceback, so it never hides behind "model unavailable".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import openai
from pydantic import ValidationError

from simulator.core.errors import EngineError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Failures that come from the model or its server rather than from our code.
MODEL_FAILURES: tuple[type[BaseException], ...] = (EngineError, openai.OpenAIError, ValidationError, OSError,
                                                   TimeoutError)


def reason(exc: BaseException) -> str:
    """A short account of why the model path failed, fit to show beside the offline answer."""
    if isinstance(exc, EngineError):
        return exc.user_message
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def record(what: str, exc: BaseException) -> str:
    """Log the failure of the model path of `what`; return its reason."""
    why = reason(exc)
    if isinstance(exc, MODEL_FAILURES):
        log.warning("%s: the model failed, using the offline answer (%s)", what, why)
    else:
        log.error("%s: unexpected error in the model path, using the offline answer", what, exc_info=exc)
    return why


def with_fallback(what: str, primary: Callable[[], T], fallback: Callable[[str], T]) -> T:
    """`primary()`, or `fallback(reason)` when it raises; the failure is logged either way."""
    try:
        return primary()
    except Exception as exc:  # noqa: BLE001 - every failure falls back; record() logs it with its kind
        return fallback(record(what, exc))
