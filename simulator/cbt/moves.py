"""Recognise what the trainee is doing in one message (the cue patterns live in data/offline/moves.json)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import get_args

from pydantic import BaseModel

from simulator.cbt.interview import Move, RiskAspect
from simulator.core.settings import DATA_DIR

MOVES: tuple[str, ...] = get_args(Move)

# Short replies that keep the patient talking: not curt, even though they are two words long.
_ENCOURAGERS = {
    "ok", "okay", "i see", "right", "yes", "yeah", "mm", "mm-hmm", "mhm", "uh-huh", "hmm", "sure",
    "go on", "say more", "tell me more", "and then", "of course", "got it", "i understand",
}
_QUESTION_WORDS = {"what", "how", "where", "when", "who", "which"}
_POLITE = re.compile(r"\b(please|could you|would you|can you|if you|would it|i wonder|i'm curious)\b")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, list[re.Pattern[str]]]:
    raw = json.loads((DATA_DIR / "offline" / "moves.json").read_text(encoding="utf-8"))
    unknown = set(raw) - set(MOVES) - {"_about"}
    if unknown:
        raise ValueError(f"data/offline/moves.json names unknown moves: {sorted(unknown)}")
    return {m: [re.compile(p, re.IGNORECASE) for p in raw.get(m, [])] for m in MOVES}


def _normalise(message: str) -> str:
    text = message.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2014", " - ").replace("\u2013", " - ")
    return re.sub(r"\s+", " ", text).strip().lower()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+(?:-[a-z0-9']+)*", text)


def _is_abrupt(text: str, found: set[str]) -> bool:
    """Curt commands and rapid interrogation, beyond what single patterns catch."""
    words = _words(text)
    bare = " ".join(words)
    if bare in _ENCOURAGERS or found & {"greeting", "closing", "validate", "reflect", "summarise"}:
        return False
    if text.count("?") >= 3 and len(words) <= 6 * text.count("?"):
        return True  # several closed questions fired at once
    # A bare one- or two-word demand ("Feelings?", "Explain.") with no softening.
    if not words or words[0] in _QUESTION_WORDS:
        return False
    return len(words) <= 2 and not _POLITE.search(text) and bool(found & {
        "ask_thoughts", "ask_feelings", "ask_behavior", "ask_situation", "ask_meaning",
        "ask_history", "ask_coping",
    })


class Recognition(BaseModel):
    """What the trainee does in one message: moves in canonical order, and for a risk question
    which aspects of risk it asks about."""

    moves: list[Move]
    risk_aspects: list[RiskAspect] = []


def recognise(message: str, previous: str = "") -> Recognition:
    """The trainee's moves in `message`, read against the patient's `previous` reply."""
    return Recognition(moves=classify(message))


def classify(message: str, previous: str = "") -> list[Move]:
    """The trainee's moves in this message, in the canonical order of `Move`; ["other"] if none."""
    text = _normalise(message)
    if not text:
        return ["other"]
    found = {m for m, pats in _patterns().items() if any(p.search(text) for p in pats)}
    if _is_abrupt(text, found):
        found.add("abrupt")
    if _words(text) and " ".join(_words(text)) in {"go on", "say more", "tell me more", "and then"}:
        found.add("open_question")
    if "probe_prompt" in found:
        # An extraction attempt is answered as such, whatever else it dresses up as.
        found &= {"probe_prompt", "greeting", "judgmental", "abrupt"}
    if "judgmental" in found:
        found -= {"validate"}  # "that's ridiculous, it's understandable" is not validation
    return [m for m in MOVES if m in found] or ["other"]
