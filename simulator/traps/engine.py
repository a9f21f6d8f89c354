"""Which engine judges a thought or a reframe: the LLM judge when the settings ask for it, the
offline models otherwise and whenever the LLM fails (the reason is logged and shown in `note`).

The one place that knows both engines: detector and reframe never import the LLM judge, and the
LLM judge imports them only for their result types.
"""

from __future__ import annotations

import logging

from simulator.traps.detector import Detection, detect_offline
from simulator.traps.reframe import ReframeFeedback, check_reframe_offline, examples_for

log = logging.getLogger(__name__)


def _wants_llm(settings) -> bool:
    return settings is not None and settings.engine == "llm"


def detect(text: str, settings=None) -> Detection:
    """Patterns in `text` from the engine the settings choose."""
    if not _wants_llm(settings):
        return detect_offline(text)
    from simulator.traps.llm_judge import detect_llm

    try:
        return detect_llm(text, settings.llm)
    except Exception as exc:  # any failure of the model server: the offline answer always works
        log.warning("LLM pattern detection failed, using the offline detector: %s: %s", type(exc).__name__, exc)
        result = detect_offline(text)
        result.note = f"model unavailable, offline detector used ({type(exc).__name__})"
        return result


def check_reframe(thought: str, reframe: str, context: str = "", item_id: str | None = None,
                  settings=None) -> ReframeFeedback:
    """Feedback on a reframe from the engine the settings choose."""
    if not _wants_llm(settings):
        return check_reframe_offline(thought, reframe, context, item_id)
    from simulator.traps.llm_judge import reframe_llm

    try:
        return reframe_llm(thought, reframe, context, examples_for(thought, item_id), settings.llm)
    except Exception as exc:  # the offline checker always works
        log.warning("LLM reframe check failed, using the offline checker: %s: %s", type(exc).__name__, exc)
        result = check_reframe_offline(thought, reframe, context, item_id)
        result.note = f"model unavailable, offline checker used ({type(exc).__name__})"
        return result
