"""Recognise what the trainee is doing in one message, read against the patient's previous reply.

The labels and their conventions are the coding manual in data/moves/definitions.json. A learned
classifier scores every move: the average of two, the embedding model fine-tuned on
data/moves/bank.jsonl reading the message with the previous reply (simulator/cbt/move_encoder.py,
built at install) and a ridge model over frozen embeddings, cue patterns and surface form
(simulator/cbt/move_model.py), which also gives a risk question its aspects; until the first is
built, the ridge model alone. This module turns the
scores into labels with the manual's rules: a question has one form label (open or closed) plus
its topics, `other` only when nothing else fits, and messages with no words or not in English are
`other`.

The models load on first use, in seconds: call `warm()` when a session starts so the first reply
does not wait, never on a page's first paint.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
from pydantic import BaseModel
from threadpoolctl import threadpool_limits

from simulator.cbt import move_encoder, move_model
from simulator.cbt.interview import Move, RiskAspect
from simulator.cbt.move_model import MOVES, normalise, segments, words

log = logging.getLogger(__name__)

FORMS = ("open_question", "closed_question")
TOPICS = tuple(m for m in MOVES if m.startswith("ask_"))
MAX_CHARS = 2000  # longer messages are read up to here (the app refuses them anyway)

# Languages a trainee might type in by mistake; restricting the identifier to a set sharpens its
# probabilities on short text.
_LANGUAGES = ["en", "es", "pt", "fr", "de", "it", "nl", "pl", "ro", "sv", "da", "no", "fi", "tr",
              "id", "tl", "sw", "cs", "hu", "ca"]


class Recognition(BaseModel):
    """What the trainee does in one message: moves in canonical order; for a risk question, which
    aspects of risk it asks about; and each move's score (above 0.5 means the classifier
    recognised it before the manual's rules were applied)."""

    moves: list[Move]
    risk_aspects: list[RiskAspect] = []
    scores: dict[str, float] = {}


@lru_cache(maxsize=1)
def _language_identifier():
    import py3langid.langid as langid

    ident = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE,
                                                     norm_probs=True)
    ident.set_languages(_LANGUAGES)
    return ident


def foreign_language(message: str) -> str | None:
    """The language of a message clearly not in English, or None.

    Text mostly in a non-Latin script is foreign whatever its length; Latin-script text needs
    three words and a confident identifier, so that short English ("ok", "go on") is never
    mistaken for something else.
    """
    letters = [c for c in message if c.isalpha()]
    if not letters:
        return None
    latin = sum(1 for c in letters if c.isascii() or "\u00c0" <= c <= "\u024f")
    if latin / len(letters) < 0.5:
        return "non-latin script"
    if len(words(message)) < 3:
        return None
    lang, prob = _language_identifier().classify(message)
    return lang if lang != "en" and prob >= 0.95 else None


def _sigmoid(margin: float) -> float:
    import math

    return round(1.0 / (1.0 + math.exp(-6.0 * margin)), 3)


# The least averaged probability at which a message no move passed is read as its likeliest move rather than
# `other`: 0.2 in every fold of leaving one read move set out (M-V; README, "Move recognition").
FALLBACK_FLOOR = 0.2


def recognise(message: str, previous: str = "") -> Recognition:
    """The trainee's moves in `message`, read against the patient's `previous` reply."""
    text = message[:MAX_CHARS]
    if not re.search(r"[^\W\d_]", text):
        return Recognition(moves=["other"])  # empty, punctuation, emoji or digits only
    lang = foreign_language(text)
    if lang:
        log.info("message recognised as other: not in English (%s)", lang)
        return Recognition(moves=["other"])
    previous = previous[:MAX_CHARS]
    model = move_model.model()
    # The fine-tuned classifier runs on the second core while the ridge model's features are
    # computed here (onnxruntime releases the GIL): p95 20 ms instead of 39 ms after a long reply.
    pending = _encoder_pool().submit(move_encoder.logits, text, previous)
    rows = model.rows(text, previous)
    margins = model.move_margins(rows)
    logits = pending.result()  # None without the fine-tuned classifier (logged once)
    if logits is not None:
        fine = 1.0 / (1.0 + np.exp(-logits))
        # The two classifiers' probabilities averaged: better than either alone in the bank's
        # cross-validation (fold 0: 0.911 macro-F1 against 0.890 fine-tuned, 0.845 ridge).
        ridge = 1.0 / (1.0 + np.exp(-6.0 * margins))
        both = np.clip((fine + ridge) / 2.0, 1e-6, 1 - 1e-6)
        margins = np.log(both / (1.0 - both)) / 6.0  # so that _sigmoid() gives the averaged probability
    score = dict(zip(MOVES, (float(m) for m in margins)))
    found = {m for m, s in score.items() if s >= 0}
    if not found:
        # Nothing passed its bar and `other` itself did not either: a message that does something
        # (a reflection with no lead-in, a terse closing) is read as its likeliest move when that
        # is at all likely; `other` is left for what fits nothing (README, "Move recognition").
        likeliest = max((m for m in score if m != "other"), key=score.__getitem__)
        if _sigmoid(score[likeliest]) >= FALLBACK_FLOOR:
            found = {likeliest}
    found = _apply_manual(found, score, text)
    moves: list[Move] = [m for m in MOVES if m in found] or ["other"]
    aspects: list[RiskAspect] = []
    if "ask_risk" in found:
        a_margins = model.aspect_margins(rows, text)
        aspects = [a for a, s in zip(move_model.ASPECTS, a_margins) if s >= 0]
        if not aspects:  # a risk question asks about something: its likeliest aspect
            aspects = [move_model.ASPECTS[int(a_margins.argmax())]]
    return Recognition(moves=moves, risk_aspects=aspects,
                       scores={m: _sigmoid(s) for m, s in score.items()})


@lru_cache(maxsize=1)
def _encoder_pool() -> ThreadPoolExecutor:
    # The ridge model's small matrix products run here beside the classifier on the other core;
    # OpenBLAS's own worker threads would only spin against it (`python -m bench offline_engine`:
    # reply p95 27-38 ms with them, 18.5-26.6 without; see the README). The limit is process-wide, as OpenBLAS's is:
    # a server scoring short texts for several users gains nothing from them either.
    threadpool_limits(limits=1, user_api="blas")
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="move-classifier")


# A risk question asking about these screens by itself; one asking only about protective factors or
# means ("What keeps you going?", "Any drug use?") is a follow-up that needs its context, which one
# message and the line before it cannot show (the interview report reads it: report/coverage.py).
SCREENING_ASPECTS = frozenset({"ideation", "plan", "intent", "past_attempts"})


@lru_cache(maxsize=2)
def _naming_patterns(safety: bool) -> tuple[re.Pattern[str], ...]:
    """The ideation patterns of data/moves/risk_cues.json; without `safety`, the one of being safe left out."""
    return tuple(p for p in move_model.risk_cues()["ideation"] if safety or not re.search(r"\bsafe\b", p.pattern))


def names_risk(text: str, safety: bool = True) -> bool:
    """Whether a message uses the words that make any question a risk question
    (data/moves/risk_cues.json, ideation): death, suicide, self-harm, being safe, life not worth
    living, outright or by a common euphemism ("doing anything silly"). With `safety=False`, being
    safe does not count: in a CBT session "feel safe" and "stay safe" are as often about the
    patient's safety behaviours ("the things that feel safe") as about risk."""
    t = normalise(text)
    return any(p.search(t) for p in _naming_patterns(safety))


# A reading of ask_risk from text alone this sure stands by itself; below it, a question that does not
# name death or self-harm may be an everyday one ("Does that sound like a plan?" reads 0.76-0.85 by the
# reply before it). Chosen for the classifiers as built on the 654 development transcripts, by the
# screening rule alone (0.75 to 0.95 tried; README, "Interview report").
RISK_SURE = 0.9


def sure_risk_question(found: Recognition, text: str) -> bool:
    """Whether a reading of `text` as a risk question holds on the text alone: it names death, suicide
    or self-harm (being safe aside), or the classifiers are sure (RISK_SURE). Otherwise it needs
    its context, which the interview report looks for (report/coverage.py)."""
    return names_risk(text, safety=False) or found.scores.get("ask_risk", 0.0) >= RISK_SURE


# The interview report reads a long trainee turn of an outside transcript in parts for a risk question
# the whole reading missed: the fine-tuned classifier reads 128 tokens of message and reply together,
# and a question buried in a summary or a run of other questions is outweighed by the rest ("...how's
# your appetite, are you managing the food, and you're not having any thoughts of doing something to
# yourself?"). The live patient does not: it answers the moves stored with the turn. Both numbers were
# chosen on the development transcripts (README, "Interview report"); a part counts from RISK_SURE.
LONG_TURN_WORDS = 20
PART_WORDS = 24
MAX_PARTS = 40  # a turn is read up to MAX_CHARS; a list of many short clauses stops here


def parts(message: str) -> list[str]:
    """A message's sentences (lower-cased, as the classifiers read them); a sentence of more than
    PART_WORDS words as, from each of its clauses (cut at commas and semicolons), the longest run of
    clauses that fits in PART_WORDS (a single longer clause whole). Each part once, in order."""
    out: list[str] = []
    for sentence in segments(normalise(message)):
        if len(words(sentence)) <= PART_WORDS:
            out.append(sentence)
            continue
        clauses = [c for c in re.split(r"\s*[,;]\s*", sentence) if re.search(r"[^\W\d_]", c)]
        for i in range(len(clauses)):
            run = [clauses[i]]
            for c in clauses[i + 1:]:
                if len(words(" ".join([*run, c]))) > PART_WORDS:
                    break
                run.append(c)
            out.append(", ".join(run))
    return list(dict.fromkeys(out))


def risk_in_parts(message: str, previous: str = "",
                  read: Callable[[str, str], Recognition] | None = None) -> Recognition | None:
    """The reading of the first part of a long message (LONG_TURN_WORDS words or more, in English)
    that asks about risk: read as a risk question that names death, suicide or self-harm, or with a
    probability of at least RISK_SURE. None for a shorter message or when no part does.
    `read` is the recogniser (`recognise` unless given)."""
    read = read or recognise
    text = message[:MAX_CHARS]
    if len(words(text)) < LONG_TURN_WORDS or foreign_language(text):
        return None
    whole = normalise(text).strip()
    for part in [p for p in parts(text) if p != whole][:MAX_PARTS]:
        found = read(part, previous)
        if "ask_risk" in found.moves and (names_risk(part) or found.scores.get("ask_risk", 0.0) >= RISK_SURE):
            return found
    return None


def as_risk_question(moves: list[Move], forms: list[Move]) -> list[Move]:
    """`moves` with `ask_risk` added, in canonical order: `other` dropped, and, when the moves had no
    form label, the first of `forms` that is one (closed_question if none is)."""
    found = set(moves) - {"other"} | {"ask_risk"}
    if not found & set(FORMS):
        found.add(next((f for f in forms if f in FORMS), "closed_question"))
    return [m for m in MOVES if m in found]


def _apply_manual(found: set[str], score: dict[str, float], text: str) -> set[str]:
    """The coding manual's conventions on top of the per-move decisions."""
    found = set(found)
    questions = sum(1 for s in segments(normalise(text)) if s.endswith("?"))
    forms = found & set(FORMS)
    if found & set(TOPICS) and not forms:
        # Every question has a form: the likelier one.
        found.add(max(FORMS, key=score.__getitem__))
    elif len(forms) == 2 and questions < 2:
        found.discard(min(FORMS, key=score.__getitem__))  # one question, one form
    ideation = names_risk(text)
    if ideation and (found & set(FORMS) or move_model.interrogative(text)):
        # A question that names death, suicide or self-harm, outright or by a common euphemism
        # ("you're not thinking of doing anything silly?"), asks about risk however it is worded,
        # also when a transcript drops its question mark ("..., are you").
        found.add("ask_risk")
        if not found & set(FORMS):
            found.add(max(FORMS, key=score.__getitem__))
    if {"ask_risk", "ask_thoughts"} <= found:
        # "Thoughts of hurting yourself?" asks about risk; "any thoughts that popped into your
        # head?" about thoughts: without words of death or harm the likelier reading stands.
        if ideation:
            found.discard("ask_thoughts")
        else:
            found.discard(min(("ask_risk", "ask_thoughts"), key=score.__getitem__))
    if "judgmental" in found:
        found.discard("validate")  # "that's ridiculous, but understandable" is not validation
    if len(found) > 1:
        found.discard("other")
    return found


def classify(message: str, previous: str = "") -> list[Move]:
    """The trainee's moves in this message, in the canonical order of `Move`; ["other"] if none."""
    return recognise(message, previous).moves


# ---------------------------------------------------------------- warming up

_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None


def _warm() -> None:
    try:
        move_model.model()
        _language_identifier()
        move_model.model().rows("How did that feel?", "")  # the first call sets up the sessions
        move_encoder.logits("How did that feel?", "")
    except Exception:
        log.exception("warming the move recogniser failed; the first reply will load it instead")


def warm() -> threading.Thread:
    """Load the embedding model and train the recogniser in a background thread (once per
    process). Call when a practice session starts; replies wait for it only if it is unfinished."""
    global _warm_thread
    with _warm_lock:
        if _warm_thread is None:
            _warm_thread = threading.Thread(target=_warm, name="warm-move-recogniser", daemon=True)
            _warm_thread.start()
        return _warm_thread


def is_ready() -> bool:
    return move_model.is_ready()
