"""Which engine judges a thought or a reframe: the LLM judge when the settings ask for it, the
offline models otherwise and whenever the LLM fails (the reason is logged and shown in `note`).

The one place that knows both engines: detector and reframe never import the LLM judge, and the
LLM judge imports them only for their result types.
"""

from __future__ import annotations

from simulator.llm.fallback import with_fallback
from simulator.traps.detector import Detection, detect_offline
from simulator.traps.reframe import ReframeFeedback, check_reframe_offline, examples_for



def _wants_llm(settings) -> bool:
    return settings is not None and settings.uses_llm


def detect(text: str, settings=None, caller=None) -> Detection:
    """Patterns in `text` from the engine the settings choose.

    With a `caller` (simulator.modeluse.access.caller_for), the model is used only when that
    exercise may use it for that account now, and the call is recorded.
    """
    if not _wants_llm(settings):
        return detect_offline(text)
    from simulator.traps.llm_judge import detect_llm

    def offline(why: str) -> Detection:
        result = detect_offline(text)
        result.note = f"model unavailable, offline detector used ({why})"
        return result

    return with_fallback("thinking-trap detection", lambda: detect_llm(text, settings.llm, caller), offline)


def check_reframe(thought: str, reframe: str, context: str = "", item_id: str | None = None,
                  settings=None, caller=None) -> ReframeFeedback:
    """Feedback on a reframe from the engine the settings choose.

    With a `caller`, the model is used only when that exercise may use it for that account now;
    otherwise the note says why, plainly.
    """
    if not _wants_llm(settings):
        return check_reframe_offline(thought, reframe, context, item_id)
    from simulator.traps.llm_judge import reframe_llm

    def offline(why: str) -> ReframeFeedback:
        result = check_reframe_offline(thought, reframe, context, item_id)
        result.note = f"model unavailable, offline checker used ({why})"
        return result

    return with_fallback("reframe check",
                         lambda: reframe_llm(thought, reframe, context, examples_for(thought, item_id), settings.llm,
                                             caller),
                         offline)
