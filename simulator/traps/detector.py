"""Which unhelpful thought patterns a statement shows, ranked, with "none" when nothing fits.

Offline: cosine similarity of the statement to the exemplar bank (to each pattern's centroid,
blended with the mean of its k nearest exemplars), plus a bonus for cue phrases. "none" is an eleventh class scored
the same way from neutral exemplars, with a bias calibrated on the bank by leave-one-out, so the
threshold is fitted without looking at the evaluation set. LLM: structured output through
simulator.llm, falling back to offline on any failure.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, Field

from simulator.core import embeddings
from simulator.llm.fallback import with_fallback
from simulator.traps.patterns import NONE, exemplars, name_of, pattern_ids, patterns

K = 5  # nearest exemplars per pattern
KNN_SHARES = (0.0, 0.25, 0.5)  # candidate weights of kNN against the centroid
TEMPERATURE = 0.05  # turns raw scores into shares that sum to one
CUE_CAP = 1.5
ALPHAS = (0.0, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25)  # candidate cue weights for calibration
BIASES = tuple(np.round(np.arange(-0.20, 0.201, 0.01), 3))


class PatternScore(BaseModel):
    pattern: str
    name: str
    score: float = Field(ge=0.0, le=1.0)


class Detection(BaseModel):
    text: str
    patterns: list[PatternScore]  # all ten, best first
    none: bool  # nothing fits well enough
    none_score: float = 0.0
    engine: str = "offline"
    note: str = ""  # why the LLM answer was not used, when it was not

    @property
    def top(self) -> str:
        return NONE if self.none else self.patterns[0].pattern

    def ranked_labels(self) -> list[str]:
        """Labels best first, "none" leading when nothing fits (used for top-k accuracy)."""
        labels = [p.pattern for p in self.patterns]
        return [NONE, *labels] if self.none else labels

    def found(self, min_score: float = 0.08, limit: int = 3) -> list[PatternScore]:
        """The patterns worth showing a trainee: the top one, and others with a fair share."""
        if self.none:
            return []
        return [p for i, p in enumerate(self.patterns[:limit]) if i == 0 or p.score >= min_score]


@dataclass(frozen=True)
class _Index:
    vectors: np.ndarray  # bank embeddings, one row per exemplar
    labels: np.ndarray  # class index per row; the last class is "none"
    centroids: np.ndarray  # unit-length mean embedding per class
    classes: tuple[str, ...]
    knn_share: float  # weight of the kNN score against the centroid score
    alpha: float  # weight of the cue bonus
    bias: float  # added to the "none" score
    loo_accuracy: float  # leave-one-out accuracy on the bank at the chosen settings


_lock = threading.Lock()


def _knn(sims: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Mean of the K highest similarities per class; sims is (queries, bank)."""
    out = np.empty((sims.shape[0], n_classes), dtype=np.float32)
    for c in range(n_classes):
        block = sims[:, labels == c]
        k = min(K, block.shape[1])
        out[:, c] = np.sort(block, axis=1)[:, -k:].mean(axis=1)
    return out


def _similarity(sims: np.ndarray, cen: np.ndarray, labels: np.ndarray, share: float) -> np.ndarray:
    return (1 - share) * cen + share * _knn(sims, labels, cen.shape[1]) if share else cen


def _loo_centroid(vectors: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Similarity of each exemplar to every class centroid, its own class computed without it."""
    sums = np.stack([vectors[labels == c].sum(axis=0) for c in range(n_classes)])
    out = vectors @ (sums / np.linalg.norm(sums, axis=1, keepdims=True)).T
    rows = np.arange(len(labels))
    own = sums[labels] - vectors
    out[rows, labels] = (vectors * own).sum(axis=1) / np.linalg.norm(own, axis=1)
    return out


def _cues(texts: list[str], classes: tuple[str, ...]) -> np.ndarray:
    table = patterns()
    return np.array([[min(table[c].cue_score(t), CUE_CAP) if c != NONE else 0.0 for c in classes]
                     for t in texts], dtype=np.float32)


def _combine(sim: np.ndarray, cues: np.ndarray, alpha: float, bias: float) -> np.ndarray:
    raw = sim + alpha * cues
    raw[:, -1] += bias
    return raw


def _index() -> _Index:
    with _lock:  # lru_cache alone may build twice when two threads ask at once
        return _build_index()


@lru_cache(maxsize=1)
def _build_index() -> _Index:
    rows = exemplars()
    classes = (*pattern_ids(), NONE)
    texts = [t for t, _ in rows]
    labels = np.array([classes.index(label) for _, label in rows])
    vectors = embeddings.encode(texts)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)  # leave one out
    cen = _loo_centroid(vectors, labels, len(classes))
    cues = _cues(texts, classes)
    best = (-1.0, 0.0, 0.0, 0.0)
    for share in KNN_SHARES:
        base = _similarity(sims, cen, labels, share)
        for alpha in ALPHAS:
            for bias in BIASES:
                acc = float((_combine(base, cues, alpha, bias).argmax(axis=1) == labels).mean())
                if acc > best[0] + 1e-9:
                    best = (acc, share, alpha, float(bias))
    sums = np.stack([vectors[labels == c].sum(axis=0) for c in range(len(classes))])
    centroids = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    return _Index(vectors, labels, centroids, classes, best[1], best[2], best[3], best[0])


def calibration() -> dict:
    idx = _index()
    return {"knn_share": idx.knn_share, "alpha": idx.alpha, "none_bias": idx.bias, "bank_loo_accuracy": round(idx.loo_accuracy, 3),
            "bank_size": int(len(idx.labels)), "k": K}


def warm() -> None:
    _index()


def detect_offline(text: str) -> Detection:
    idx = _index()
    vec = embeddings.encode_one(text.strip())
    base = _similarity((idx.vectors @ vec)[None, :], (idx.centroids @ vec)[None, :], idx.labels, idx.knn_share)
    raw = _combine(base, _cues([text], idx.classes), idx.alpha, idx.bias)[0]
    shares = np.exp((raw - raw.max()) / TEMPERATURE)
    shares /= shares.sum()
    none = int(raw.argmax()) == len(idx.classes) - 1
    pattern_part = shares[:-1] / max(shares[:-1].sum(), 1e-12)  # shares among the ten
    order = np.argsort(-raw[:-1], kind="stable")
    ranked = [PatternScore(pattern=idx.classes[i], name=name_of(idx.classes[i]),
                           score=round(float(pattern_part[i]), 4)) for i in order]
    return Detection(text=text, patterns=ranked, none=none, none_score=round(float(shares[-1]), 4))


def detect(text: str, settings=None, caller=None) -> Detection:
    """Detect with the engine the settings choose; the LLM path falls back to offline on any failure.

    With a `caller` (simulator.llm.usage.Caller), the model is used only when that exercise may
    use it for that account now.
    """
    if settings is None or not settings.uses_llm:
        return detect_offline(text)
    from simulator.traps.llm_judge import detect_llm

    def offline(why: str) -> Detection:
        result = detect_offline(text)
        result.note = f"model unavailable, offline detector used ({why})"
        return result

    return with_fallback("thinking-trap detection", lambda: detect_llm(text, settings.llm, caller), offline)
