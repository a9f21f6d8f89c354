"""The learned part of move recognition: a linear classifier per move over sentence embeddings,
cue patterns and a few surface features, trained on the labelled bank in data/moves/bank.jsonl and data/moves/writers/.

Features of one message (all chosen by cross-validation inside the bank, see bench/moves_cv.py):
- the embedding of the whole message and of its last sentence (a reflection followed by a
  question ends on the question; a single sentence gives the same vector twice);
- which cue patterns of data/offline/moves.json match (one flag per move);
- surface form: question marks, the first word (an auxiliary verb opens a yes/no question, a
  wh-word an open one), length, digits, and how much of the message restates the patient's
  previous reply (a reflection repeats what was just said, often with no lead-in).

The classifier is ridge regression with one output per move (closed form: about a minute and a half
for the bank of 11,000 on two cores); each move has its own threshold, chosen on out-of-fold scores within the bank so labels
are not sprayed. Risk aspects get a second, smaller model of the same kind trained on the bank's
risk questions, with cue patterns from data/moves/risk_cues.json.

Encoding the bank and training take a few minutes on a busy machine: the bank's vectors are
cached on disk (data/cache/, not committed) keyed by model and text, so only new bank lines are
encoded again, and the trained model is cached there too, keyed by everything it depends on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import pickle
import re
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import get_args

import numpy as np

from simulator.cbt.interview import Move, RiskAspect
from simulator.core import intervals
from simulator.core.datafiles import jsonl_rows
from simulator.core.settings import DATA_DIR

log = logging.getLogger(__name__)

MOVES: tuple[str, ...] = get_args(Move)
ASPECTS: tuple[str, ...] = get_args(RiskAspect)
BANK_PATH = DATA_DIR / "moves" / "bank.jsonl"
# Move sets by outside writers that were evaluation sets once and, read, now train: twelve writers
# phrase and label more variously than the team alone (their files keep the writers' letters).
WRITERS_DIR = DATA_DIR / "moves" / "writers"
DEFINITIONS_PATH = DATA_DIR / "moves" / "definitions.json"
CACHE_DIR = DATA_DIR / "cache"
RIDGE_ALPHA = 1000.0  # chosen by 5-fold cross-validation in the bank (bench/moves_cv.py)
NGRAM_WEIGHT = 24.0  # scale of the character n-gram block against the standardised rest (same)
ASPECT_ALPHA = 30.0
FOLDS = 5

AUXILIARIES = frozenset(
    "do does did don't doesn't didn't is are was were isn't aren't wasn't weren't have has had "
    "haven't hasn't can could would will should shall may might am".split())
WH_WORDS = frozenset("what how why where when who which whose whom".split())


# ---------------------------------------------------------------- text

def normalise(message: str) -> str:
    """Lower case, straight quotes and dashes, single spaces."""
    text = message.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2014", " - ").replace("\u2013", " - ")
    return re.sub(r"\s+", " ", text).strip().lower()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+(?:-[a-z0-9']+)*", text.lower())


def segments(message: str) -> list[str]:
    """The message cut into sentences (and dash-joined clauses), each with a letter in it."""
    parts = re.split(r"(?<=[.?!\u2026])\s+|\s+[\u2014\u2013-]+\s+", message.strip())
    return [p.strip() for p in parts if re.search(r"[^\W\d_]", p)] or [message.strip()]


def last_segment(message: str) -> str:
    return segments(message)[-1]


PRONOUNS = frozenset("you i we he she they it that there".split())
# Spoken questions often lose their question mark in a transcript: "you're alright, are you",
# "you've been sleeping, yeah", "do you ever feel that way".
SPOKEN_TAGS = frozenset("yeah right yes okay ok".split())


def interrogative(message: str) -> bool:
    """Whether the message is shaped as a question, with or without its question mark: a segment
    ending in "?", a last segment opening with an auxiliary or a question word, or ending in a
    tag ("..., are you", "..., isn't it", "..., yeah")."""
    text = normalise(message)
    if "?" in text:
        return True
    ws = words(last_segment(text))
    if not ws:
        return False
    if ws[0] in AUXILIARIES or ws[0] in WH_WORDS:
        return True
    tail = ws[-2:]
    return (len(tail) == 2 and tail[0] in AUXILIARIES and tail[1] in PRONOUNS) or \
        (ws[-1] in SPOKEN_TAGS and "," in last_segment(text))


# ---------------------------------------------------------------- bank

@dataclass(frozen=True)
class LabelledMessage:
    previous: str
    text: str
    labels: tuple[str, ...]
    risk_aspects: tuple[str, ...] = ()


def checked_codes(row: dict, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One coded row's moves and risk aspects; unknown or missing labels are refused with `where`."""
    labels = row.get("labels") or []
    bad = [m for m in labels if m not in MOVES]
    bad += [a for a in row.get("risk_aspects", []) if a not in ASPECTS]
    if bad or not labels:
        raise ValueError(f"{where}: unknown or missing labels {bad}")
    return tuple(labels), tuple(row.get("risk_aspects", []))


def load_labelled(path: Path) -> list[LabelledMessage]:
    """A JSONL file of labelled messages; a row with no text, no labels or unknown labels is refused
    with its line number."""
    items: list[LabelledMessage] = []
    for number, row in jsonl_rows(path):
        labels, aspects = checked_codes(row, f"{path.name} line {number}")
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            raise ValueError(f"{path.name} line {number}: no message text")
        items.append(LabelledMessage(row.get("previous", ""), row["text"], labels, aspects))
    return items


# ---------------------------------------------------------------- cue patterns

@lru_cache(maxsize=1)
def move_cues() -> dict[str, list[re.Pattern[str]]]:
    raw = json.loads((DATA_DIR / "offline" / "moves.json").read_text(encoding="utf-8"))
    unknown = set(raw) - set(MOVES) - {"_about"}
    if unknown:
        raise ValueError(f"data/offline/moves.json names unknown moves: {sorted(unknown)}")
    return {m: [re.compile(p, re.IGNORECASE) for p in raw.get(m, [])] for m in MOVES}


@lru_cache(maxsize=1)
def risk_cues() -> dict[str, list[re.Pattern[str]]]:
    raw = json.loads((DATA_DIR / "moves" / "risk_cues.json").read_text(encoding="utf-8"))
    unknown = set(raw) - set(ASPECTS) - {"_about"}
    if unknown:
        raise ValueError(f"data/moves/risk_cues.json names unknown aspects: {sorted(unknown)}")
    return {a: [re.compile(p, re.IGNORECASE) for p in raw.get(a, [])] for a in ASPECTS}


def cue_flags(text: str, cues: dict[str, list[re.Pattern[str]]]) -> list[float]:
    return [1.0 if any(p.search(text) for p in pats) else 0.0 for pats in cues.values()]


def surface(message: str, previous: str) -> list[float]:
    text = normalise(message)
    ws = words(text)
    last = words(last_segment(text))
    prev = {w for w in words(previous) if len(w) > 3}
    content = [w for w in ws if len(w) > 3]
    overlap = sum(1 for w in content if w in prev) / len(content) if content else 0.0
    questions = text.count("?")
    return [
        float(text.endswith("?")), float(min(questions, 4)), float(questions >= 2),
        float(bool(ws) and ws[0] in AUXILIARIES), float(bool(ws) and ws[0] in WH_WORDS),
        float(bool(last) and last[0] in AUXILIARIES), float(bool(last) and last[0] in WH_WORDS),
        math.log1p(len(ws)), float(len(ws) <= 2), float(len(segments(text))), overlap,
        float(bool(previous.strip())), float(bool(re.search(r"\d", text))),
        float(bool(re.search(r"\b(right|yeah|is that it|isn't it|no)\?\s*$", text))),
    ]


def handmade(message: str, previous: str) -> np.ndarray:
    """Cue flags and surface features of one message (no embedding)."""
    text = normalise(message)
    return np.array(cue_flags(text, move_cues()) + surface(message, previous), dtype=np.float32)


# ---------------------------------------------------------------- embeddings and their cache

class EmbeddingCache:
    """Vectors of bank texts kept on disk between processes, keyed by model and text."""

    def __init__(self, directory: Path = CACHE_DIR) -> None:
        from simulator.core import embeddings

        model = embeddings.onnx_path().stem  # the package and its version
        self.path = directory / f"moves-{model}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            try:
                data = np.load(self.path, allow_pickle=False)
                self.vectors = dict(zip(data["texts"].tolist(), data["vectors"]))
            except (OSError, ValueError, KeyError) as err:
                log.warning("ignoring unreadable embedding cache %s (%s); encoding afresh",
                            self.path, err)

    def encode(self, texts: list[str]) -> np.ndarray:
        from simulator.core import embeddings

        missing = sorted({t for t in texts if t not in self.vectors})
        if missing:
            log.info("encoding %d bank texts not in %s", len(missing), self.path)
            for text, vec in zip(missing, embeddings.encode(missing)):
                self.vectors[text] = vec
            self._save()
        return np.array([self.vectors[t] for t in texts], dtype=np.float32)

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            texts = sorted(self.vectors)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as out:
                np.savez(out, texts=np.array(texts), vectors=np.array([self.vectors[t] for t in texts]))
            os.chmod(tmp, 0o644)  # built by the installing user, read by the app's own user
            os.replace(tmp, self.path)
        except OSError as err:
            log.warning("could not write the embedding cache %s (%s); it will be rebuilt next time",
                        self.path, err)


MAX_SEGMENTS = 6  # a long message is read by its first and last three sentences


def units(message: str) -> list[tuple[str, str]]:
    """What one message is scored as: (text, its last sentence) for the whole message, then for
    each sentence when there are several (a reflection followed by a question is both)."""
    parts = segments(message)
    if len(parts) > MAX_SEGMENTS:
        parts = parts[: MAX_SEGMENTS // 2] + parts[-(MAX_SEGMENTS // 2):]
    whole = (message, parts[-1])
    return [whole] + ([(p, p) for p in parts] if len(parts) > 1 else [])


def unit_rows(message: str, previous: str, vectors: dict[str, np.ndarray]) -> np.ndarray:
    """Feature rows of one message's units, from embeddings looked up in `vectors`."""
    rows = []
    for text, last in units(message):
        rows.append(np.concatenate([vectors[text], vectors[last], handmade(text, previous)]))
    return np.array(rows, dtype=np.float32)


def unit_texts(message: str) -> list[str]:
    return list(dict.fromkeys(t for pair in units(message) for t in pair))


def message_rows(message: str, previous: str) -> np.ndarray:
    """Feature rows of a live message: its texts are encoded in one batched call."""
    from simulator.core import embeddings

    texts = unit_texts(message)
    if len(texts) == 1:
        vectors = {texts[0]: embeddings.encode_one(texts[0])}
    else:
        vectors = dict(zip(texts, embeddings.encode(texts)))
    return unit_rows(message, previous, vectors)


def bank_rows(items: list[LabelledMessage], cache: EmbeddingCache) -> list[np.ndarray]:
    texts = list(dict.fromkeys(t for i in items for t in unit_texts(i.text)))
    vectors = dict(zip(texts, cache.encode(texts)))
    return [unit_rows(i.text, i.previous, vectors) for i in items]


def aspect_features(row: np.ndarray, text: str) -> np.ndarray:
    """Whole-message embedding and the risk cue flags."""
    return np.concatenate([row[:384], np.array(cue_flags(normalise(text), risk_cues()), np.float32)])


# ---------------------------------------------------------------- the classifier

@dataclass(frozen=True, eq=False)
class Rows:
    """Feature rows: the dense block (embeddings and hand-made features) beside the character
    n-grams, which stay sparse: about 1% of them are non-zero, and stored dense they took 10 GB
    of memory when the bank of 11,000 was trained."""

    dense: np.ndarray  # one row per unit
    grams: object = None  # a scipy.sparse CSR matrix with the same rows, or None

    def __post_init__(self) -> None:
        if self.dense.ndim != 2 or (self.grams is not None and self.grams.shape[0] != len(self.dense)):
            raise ValueError("feature rows: the dense block must be 2-D, with as many rows as the n-grams")

    def __len__(self) -> int:
        return len(self.dense)

    def __getitem__(self, index) -> Rows:
        """Rows picked by a position (kept as a one-row block; negative counts from the end), a
        slice, a boolean mask of every row, or an array of positions."""
        if isinstance(index, (int, np.integer)):
            start = range(len(self))[index]  # IndexError when out of range, as in numpy
            index = slice(start, start + 1)
        elif not isinstance(index, slice):
            index = np.asarray(index)
            if index.dtype == bool:
                if len(index) != len(self):
                    raise IndexError(f"a mask of {len(index)} for {len(self)} rows")
                index = np.flatnonzero(index)
            index = index.astype(np.intp)
        return Rows(self.dense[index], None if self.grams is None else self.grams[index])

    @staticmethod
    def stack(parts: list[Rows]) -> Rows:
        import scipy.sparse

        if len({p.grams is None for p in parts}) > 1:
            raise ValueError("cannot stack rows with n-grams and rows without")
        dense = np.vstack([p.dense for p in parts])
        if parts[0].grams is None:
            return Rows(dense)
        return Rows(dense, scipy.sparse.vstack([p.grams for p in parts], format="csr"))


GRAM_BLOCK = 2048  # kernel rows computed at a time from the n-grams (bounds the sparse product)


class _Ridge:
    """Ridge regression with one output column per label (targets -1/+1) and an intercept; the
    dense block is standardised, the n-grams (unit-length rows times NGRAM_WEIGHT) are not.

    The same estimator as scikit-learn's Ridge(solver="cholesky"), solved in its dual form (there are
    more columns than messages) with the kernel built from the dense block and the n-gram block apart:
    the n-grams are about 1% non-zero, so the kernel costs seconds where the dense product took a minute
    a fit with the bank of 11,000 (tests/test_move_ridge.py checks the scores against scikit-learn's)."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def _scale(self, dense: np.ndarray) -> np.ndarray:
        return ((np.atleast_2d(dense) - self.mu) / self.sd).astype(np.float64)

    def fit(self, x: Rows, y: np.ndarray) -> _Ridge:
        import scipy.linalg

        self.mu = x.dense.mean(0)
        self.sd = x.dense.std(0) + 1e-6
        dense, grams = self._scale(x.dense), x.grams
        t = y * 2.0 - 1.0
        t_mean = t.mean(0)
        kernel = dense @ dense.T
        if grams is not None:
            grams = grams.astype(np.float64)
            columns = grams.T.tocsr()  # converted once, not in every slice
            for a in range(0, len(kernel), GRAM_BLOCK):
                kernel[a:a + GRAM_BLOCK] += (grams[a:a + GRAM_BLOCK] @ columns).toarray()
        # Fitting an intercept centres every column; on the kernel that is centring rows and columns
        # (in place: the kernel of the whole bank is a gigabyte).
        means = kernel.mean(0)
        kernel -= means[None, :]
        kernel -= means[:, None]
        kernel += means.mean()
        kernel.flat[:: len(kernel) + 1] += self.alpha
        dual = scipy.linalg.solve(kernel, t - t_mean, assume_a="pos", overwrite_a=True)
        del kernel
        total = dual.sum(0)
        dense_mean = dense.mean(0)
        self.coef = (dense.T @ dual - np.outer(dense_mean, total)).T
        self.intercept = t_mean - self.coef @ dense_mean
        self.gram_coef = None
        if grams is not None:
            gram_mean = np.asarray(grams.mean(0)).ravel()
            self.gram_coef = (grams.T @ dual - np.outer(gram_mean, total)).T
            self.intercept -= self.gram_coef @ gram_mean
        return self

    def scores(self, x: Rows) -> np.ndarray:
        out = self._scale(x.dense) @ self.coef.T + self.intercept
        if self.gram_coef is not None:
            out += x.grams @ self.gram_coef.T
        return out.reshape(len(x), -1)


def fold_ids(n: int, folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n) % folds


# Moves any one sentence can carry for the whole message; the rest (`other`, `abrupt`, a summary
# of many things) belong to the message as a whole.
WHOLE_ONLY = frozenset({"other", "abrupt", "summarise"})
_SENTENCE_COLUMNS = np.array([m not in WHOLE_ONLY for m in MOVES])


def combine(unit_scores: np.ndarray) -> np.ndarray:
    """One message's score per move from its units' scores (row 0 is the whole message)."""
    whole = unit_scores[0]
    if len(unit_scores) == 1:
        return whole
    best = unit_scores.max(0)
    return np.where(_SENTENCE_COLUMNS, best, whole) if len(whole) == len(MOVES) else whole


def out_of_fold(rows: list[Rows], y: np.ndarray, alpha: float, folds: int = FOLDS,
                combined: bool = True) -> np.ndarray:
    """Scores of each message from a model trained (on whole messages) without it, k-fold."""
    ids = fold_ids(len(rows), folds)
    whole = Rows.stack([r[0] for r in rows])
    oof = np.zeros(y.shape, dtype=np.float64)
    for k in range(folds):
        model = _Ridge(alpha).fit(whole[ids != k], y[ids != k])
        for idx in np.flatnonzero(ids == k):
            scores = model.scores(rows[idx] if combined else rows[idx][0])
            oof[idx] = combine(scores) if combined else scores[0]
    return oof


THRESHOLD_GRID = np.round(np.linspace(-0.8, 0.8, 33), 3)


def best_thresholds(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per label, the threshold on out-of-fold scores with the best F1 (ties: the middle one)."""
    table = np.array([intervals.f1_columns(gold, scores >= t) for t in THRESHOLD_GRID])  # grid x labels
    out = []
    for col in table.T:
        best = np.flatnonzero(col >= col.max() - 1e-9)
        out.append(THRESHOLD_GRID[best[len(best) // 2]])
    return np.array(out)


@dataclass
class MoveModel:
    moves: _Ridge
    move_thresholds: np.ndarray
    aspects: _Ridge
    aspect_thresholds: np.ndarray
    bank_size: int
    ngrams: object  # the character n-gram vectoriser fitted on the bank

    def rows(self, message: str, previous: str) -> Rows:
        """Feature rows of a live message (whole message first, then each sentence)."""
        return with_ngrams(message_rows(message, previous), unit_texts_only(message), self.ngrams)

    def move_margins(self, rows: Rows) -> np.ndarray:
        """Score minus threshold per move: above zero means the move is recognised."""
        return combine(self.moves.scores(rows)) - self.move_thresholds

    def aspect_margins(self, rows: Rows, text: str) -> np.ndarray:
        whole = Rows(aspect_features(rows.dense[0], text)[None, :])
        return self.aspects.scores(whole)[0] - self.aspect_thresholds


def label_matrix(items: list[LabelledMessage], names: tuple[str, ...], field: str = "labels") -> np.ndarray:
    return np.array([[n in getattr(i, field) for n in names] for i in items], dtype=bool)


def fit_ngrams(items: list[LabelledMessage]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                           preprocessor=normalise, dtype=np.float32).fit([i.text for i in items])


def unit_texts_only(message: str) -> list[str]:
    return [text for text, _ in units(message)]


def with_ngrams(rows: np.ndarray, texts: list[str], ngrams) -> Rows:
    return Rows(rows, ngrams.transform(texts) * np.float32(NGRAM_WEIGHT))


def train(items: list[LabelledMessage], dense_rows: list[np.ndarray]) -> MoveModel:
    y = label_matrix(items, MOVES)
    ngrams = fit_ngrams(items)
    rows = [with_ngrams(r, unit_texts_only(i.text), ngrams) for r, i in zip(dense_rows, items)]
    thresholds = best_thresholds(out_of_fold(rows, y, RIDGE_ALPHA), y)
    risky = [k for k, i in enumerate(items) if "ask_risk" in i.labels and i.risk_aspects]
    xa = [Rows(aspect_features(rows[k].dense[0], items[k].text)[None, :]) for k in risky]
    ya = label_matrix([items[k] for k in risky], ASPECTS, "risk_aspects")
    aspect_thresholds = best_thresholds(out_of_fold(xa, ya, ASPECT_ALPHA, combined=False), ya)
    return MoveModel(
        moves=_Ridge(RIDGE_ALPHA).fit(Rows.stack([r[0] for r in rows]), y), move_thresholds=thresholds,
        aspects=_Ridge(ASPECT_ALPHA).fit(Rows.stack(xa), ya), aspect_thresholds=aspect_thresholds,
        bank_size=len(items), ngrams=ngrams,
    )


def bank_files() -> list[Path]:
    """Everything the recogniser learns from: the team's bank and the outside writers' sets."""
    return [BANK_PATH, *sorted(WRITERS_DIR.glob("*.jsonl"))]


def load_bank() -> list[LabelledMessage]:
    return [item for path in bank_files() for item in load_labelled(path)]


def bank_bytes() -> bytes:
    return b"".join(path.name.encode() + b"\n" + path.read_bytes() for path in bank_files())


def bank_digest() -> str:
    return hashlib.sha256(bank_bytes()).hexdigest()[:12]


def training_key() -> str:
    """Everything a trained model depends on: the bank, the cue files, this module's code, the
    embedding model and its version, the label lists and the scikit-learn version. A change to any
    of them retrains."""
    import sklearn

    from simulator.core import embeddings

    h = hashlib.sha256(bank_bytes())
    for path in (DATA_DIR / "offline" / "moves.json", DATA_DIR / "moves" / "risk_cues.json", Path(__file__)):
        h.update(path.read_bytes())
    h.update(f"{embeddings.onnx_path().name}:{sklearn.__version__}:{np.__version__}".encode())
    h.update(f"{','.join(MOVES)}|{','.join(ASPECTS)}".encode())
    return h.hexdigest()[:16]


def _load_trained(path: Path) -> MoveModel | None:
    if not path.exists():
        return None
    try:
        with path.open("rb") as src:
            trained = pickle.load(src)  # our own cache file, written by _save_trained below
        if isinstance(trained, MoveModel):
            return trained
        log.warning("ignoring %s: not a trained move model; training afresh", path)
    except Exception as err:  # noqa: BLE001 - a truncated or stale cache: logged, and trained afresh
        log.warning("ignoring unreadable trained move model %s (%s); training afresh", path, err)
    return None


def _save_trained(trained: MoveModel, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".pkl")
        with os.fdopen(fd, "wb") as out:
            pickle.dump(trained, out)
        os.chmod(tmp, 0o644)  # built by the installing user, read by the app's own user
        os.replace(tmp, path)
    except OSError as err:
        log.warning("could not cache the trained move model at %s (%s); it will be trained again",
                    path, err)


_lock = threading.Lock()
_model: MoveModel | None = None


def trained_path() -> Path:
    """Where the model trained on the current bank is kept between processes."""
    return CACHE_DIR / f"moves-model-{training_key()}.pkl"


def model() -> MoveModel:
    """The model trained on the bank: built once per process (seconds the first time on a new
    machine, while the bank is encoded), then shared by every thread."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                path = trained_path()
                trained = _load_trained(path)
                if trained is None:
                    items = load_bank()
                    trained = train(items, bank_rows(items, EmbeddingCache()))
                    _save_trained(trained, path)
                    log.info("move recogniser trained on %d bank messages (bank %s)", len(items),
                             bank_digest())
                _model = trained
    return _model


def is_ready() -> bool:
    return _model is not None
