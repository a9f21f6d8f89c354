"""Which unhelpful thought patterns a statement shows: a ranked list and a multi-label decision.

Offline method (fitted by `python -m simulator build-trap-models`, stored in
data/traps/models/detector.npz): two one-vs-rest logistic regressions, one over word and character
n-gram TF-IDF, one over all-MiniLM-L6-v2 sentence embeddings, each with an eleventh output for
"no pattern". Their probabilities are blended; each pattern has its own threshold, fitted on
out-of-fold probabilities inside the training bank, so a thought can pass several patterns. The
thought is "none" when no pattern passes, or when the "no pattern" output passes its own threshold
(calibrated for none-recall inside the bank). Patterns are ranked by how far they clear their
threshold (log-odds margin), best first.

This module never calls a model server: simulator.traps.engine chooses between it and the LLM judge.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, Field

from simulator.core import embeddings
from simulator.core.settings import DATA_DIR
from simulator.traps import features
from simulator.traps.learn import logit, proba
from simulator.traps.patterns import NONE, bank, name_of, pattern_ids

log = logging.getLogger(__name__)

MODEL_FILE = DATA_DIR / "traps" / "models" / "detector.npz"


class PatternScore(BaseModel):
    pattern: str
    name: str
    score: float = Field(ge=0.0, le=1.0)  # the model's probability that the thought shows it
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    passes: bool = False  # part of the decision: clears its threshold and the thought is not "none"


class Detection(BaseModel):
    text: str
    patterns: list[PatternScore]  # all ten, best first
    none: bool  # no pattern passes (or the "no pattern" output is confident)
    none_score: float = 0.0
    engine: str = "offline"
    note: str = ""  # why the LLM answer was not used, when it was not

    @property
    def top(self) -> str:
        return NONE if self.none else self.patterns[0].pattern

    @property
    def passing(self) -> list[str]:
        """The multi-label decision: every pattern that passes its threshold, best first."""
        return [p.pattern for p in self.patterns if p.passes]

    def ranked_labels(self) -> list[str]:
        """Labels best first, with "none" placed after the passing patterns (first when none)."""
        labels = [p.pattern for p in self.patterns]
        at = 0 if self.none else len(self.passing)
        return [*labels[:at], NONE, *labels[at:]]

    def found(self, limit: int = 3) -> list[PatternScore]:
        """The patterns worth showing a trainee: those that pass, best first."""
        return [p for p in self.patterns if p.passes][:limit]


@dataclass(frozen=True)
class _Model:
    classes: tuple[str, ...]  # the ten pattern ids, then "none"
    blocks: list[features.Block]
    text_coef: np.ndarray
    text_intercept: np.ndarray
    emb_coef: np.ndarray
    emb_intercept: np.ndarray
    blend: float  # weight of the n-gram model; the embedding model gets the rest
    thresholds: np.ndarray  # one per class
    meta: dict


def bank_fingerprint() -> str:
    """A hash of the training bank, stored with the model so a stale model is noticed."""
    digest = hashlib.sha256()
    for text, labels in sorted(bank()):
        digest.update(json.dumps([text, list(labels)]).encode("utf-8"))
    return digest.hexdigest()[:16]


_lock = threading.Lock()


def _model() -> _Model:
    with _lock:  # lru_cache alone may build twice when two threads ask at once
        return _load_model()


@lru_cache(maxsize=1)
def _load_model() -> _Model:
    if not MODEL_FILE.exists():
        raise RuntimeError(f"{MODEL_FILE} is missing: run `python -m simulator build-trap-models`")
    with np.load(MODEL_FILE, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    classes = tuple(str(c) for c in arrays["classes"])
    if classes != (*pattern_ids(), NONE):
        raise RuntimeError(f"{MODEL_FILE.name} was built for other patterns {classes}: rebuild it")
    if meta.get("bank") != bank_fingerprint():
        log.warning("%s was built from another version of the training bank; "
                    "run `python -m simulator build-trap-models` to refit it", MODEL_FILE.name)
    return _Model(classes, features.blocks_from_arrays(arrays), arrays["text_coef"].astype(np.float32),
                  arrays["text_intercept"], arrays["emb_coef"], arrays["emb_intercept"],
                  float(arrays["blend"]), arrays["thresholds"].astype(np.float64), meta)


def probabilities(texts: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
    """Blended probability of each class (ten patterns, then "none") for each text."""
    m = _model()
    vectors = embeddings.encode(texts) if vectors is None else vectors
    text_p = proba(features.transform(m.blocks, texts), m.text_coef, m.text_intercept)
    emb_p = proba(vectors, m.emb_coef, m.emb_intercept)
    return m.blend * text_p + (1 - m.blend) * emb_p


def decide(prob: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(margins, passes, none) for rows of class probabilities, the last column being "none"."""
    margins = logit(prob[:, :-1]) - logit(thresholds[None, :-1])
    clears = margins >= 0
    none = ~clears.any(axis=1) | (prob[:, -1] >= thresholds[-1])
    return margins, clears & ~none[:, None], none


def calibration() -> dict:
    m = _model()
    return {"blend": m.blend, "thresholds": dict(zip(m.classes, np.round(m.thresholds, 3).tolist())),
            **{k: v for k, v in m.meta.items() if k != "bank"}, "bank_fingerprint": m.meta.get("bank")}


def warm() -> None:
    _model()
    embeddings.encode_one("warm up")


def detect_offline(text: str) -> Detection:
    m = _model()
    vec = embeddings.encode_one(text.strip())
    prob = probabilities([text], vec[None, :])
    margins, passes, none = decide(prob, m.thresholds)
    order = np.argsort(-margins[0], kind="stable")
    ranked = [PatternScore(pattern=m.classes[i], name=name_of(m.classes[i]), score=round(float(prob[0, i]), 4),
                           threshold=round(float(m.thresholds[i]), 4), passes=bool(passes[0, i]))
              for i in order]
    return Detection(text=text, patterns=ranked, none=bool(none[0]), none_score=round(float(prob[0, -1]), 4))
