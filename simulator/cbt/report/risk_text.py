"""What a patient's words say about risk, for transcripts with no disclosure state (graded, real or
imported ones). Simulated sessions never need this: their disclosure state records every cue and
every answer.

Each sentence is read by a logistic regression (scikit-learn) over its sentence embedding
(all-MiniLM-L6-v2) and a few word features, trained in-process on the labelled statements in
data/report/risk_statements.jsonl (written for this project). Labels: none, denial, passive,
active, plan, past (attempts), protective (reasons for living), intent_low ("I'd never act on
it"). Ten-fold cross-validation on the bank: `python -m bench report_calibrate`.
A short answer to a risk question ("Yeah. Sometimes.") carries no words about risk: it is read
as a yes or a no to what was asked (`answer_polarity`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simulator.core.datafiles import jsonl_objects
from simulator.core.settings import DATA_DIR
from simulator.core.text import split_sentences

BANK = DATA_DIR / "report" / "risk_statements.jsonl"
LABELS = ("none", "denial", "passive", "active", "plan", "past", "protective", "intent_low")
RISK_LABELS = ("passive", "active", "plan", "past")
LEVEL_OF = {"passive": "passive", "active": "active_no_plan", "plan": "active_plan"}
LEVELS = ("none", "passive", "active_no_plan", "active_plan")  # in order of severity
ASPECT_OF = {"passive": "ideation", "active": "ideation", "plan": "plan", "past": "past_attempts",
             "protective": "protective_factors", "intent_low": "intent"}
# Word features beside the embedding: talk of death and self-harm, and plain yes or no.
_WORDS = [r"\b(die|dying|dead|death)\b", r"\bsuicid", r"\bkill(ing)? myself\b",
          r"\bend(ing)? (it|it all|things|my life)\b", r"\b(not|never|hadn'?t) wak(e|en|ing|en) up\b",
          r"\bbetter off (without|if)\b", r"\b(overdose|pills|tablets|paracetamol)\b",
          r"\b(hurt|harm|cut|burn)(ing)? myself\b|\bself-?harm", r"\bnot (be )?(here|around)\b",
          r"^\W*(no|nope|nah|never)\b", r"\bnever\b", r"\b(plan|how i'?d|when i'?d)\b"]
_PATTERNS = [re.compile(p, re.IGNORECASE) for p in _WORDS]
WORD_WEIGHT = 0.5
# Below this probability a sentence reads as "none" whatever its likeliest label.
MIN_CONFIDENCE = 0.6
C = 25.0  # inverse regularisation strength of the logistic regression
_NO = re.compile(r"^\W*(no|nope|nah|never|not really|not at all|god,? no|um,? no|no,? no)\b", re.IGNORECASE)
_YES = re.compile(r"^\W*(yes|yeah|yep|yup|sometimes|a bit|a little|i have|i do|i did|i think so|"
                  r"maybe|kind of|sort of|once|occasionally|mm,? yeah|honestly,? yes)\b", re.IGNORECASE)
_lock = threading.Lock()


@dataclass(frozen=True)
class Reading:
    label: str
    sentence: str
    confidence: float


@lru_cache(maxsize=1)
def bank() -> tuple[list[str], list[str]]:
    rows = jsonl_objects(BANK)
    unknown = {r["label"] for r in rows} - set(LABELS)
    if unknown:
        raise ValueError(f"{BANK.name} has unknown labels {sorted(unknown)}")
    return [r["text"] for r in rows], [r["label"] for r in rows]


def word_features(texts: list[str]) -> np.ndarray:
    plain = [t.replace("\u2019", "'") for t in texts]
    return np.array([[1.0 if p.search(t) else 0.0 for p in _PATTERNS] for t in plain]) * WORD_WEIGHT


def features(texts: list[str]) -> np.ndarray:
    from simulator.core import embeddings

    return np.hstack([embeddings.encode(texts), word_features(texts)])


def train(x: np.ndarray, y: np.ndarray, c: float = C):
    """Multinomial logistic regression (scikit-learn) over the features of a few hundred statements."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000).fit(x, y)


def predict(x: np.ndarray, model) -> list[tuple[str, float]]:
    """(label, probability) per row; below MIN_CONFIDENCE the label is "none"."""
    return labelled(model.predict_proba(x), model)


def labelled(p: np.ndarray, model) -> list[tuple[str, float]]:
    out = []
    for row in p:
        i = int(row.argmax())
        label = LABELS[int(model.classes_[i])] if row[i] >= MIN_CONFIDENCE else "none"
        out.append((label, round(float(row[i]), 3)))
    return out


_model = None


def model():
    global _model
    with _lock:
        if _model is None:
            texts, labels = bank()
            _model = train(features(texts), np.array([LABELS.index(label) for label in labels]))
        return _model


def sentences(text: str) -> list[str]:
    # Speech runs on with dashes and ellipses; they break sentences too.
    parts = re.split(r"\s*(?:\u2026|\.\.\.|\u2014| - )\s*", text)
    return [s for p in parts for s in split_sentences(p)] or [text]


def read_with_probabilities(texts: list[str]) -> tuple[list[list[Reading]], np.ndarray]:
    """For each text (a patient turn), every sentence's reading, and the highest probability of each
    label over its sentences (one pass of the model for both)."""
    per = [sentences(t) for t in texts]
    flat = [s for ss in per for s in ss]
    probabilities = np.zeros((len(texts), len(LABELS)))
    if not flat:
        return [[] for _ in texts], probabilities
    m = model()
    p = m.predict_proba(features(flat))
    results = labelled(p, m)
    out, i = [], 0
    for k, ss in enumerate(per):
        probabilities[k, m.classes_.astype(int)] = p[i:i + len(ss)].max(axis=0)
        out.append([Reading(label, s, conf) for s, (label, conf) in zip(ss, results[i:i + len(ss)])])
        i += len(ss)
    return out, probabilities


def read(texts: list[str]) -> list[list[Reading]]:
    """For each text (a patient turn), every sentence's reading."""
    return read_with_probabilities(texts)[0]


def mentions_risk(sentence: str) -> bool:
    """Whether a sentence names death, suicide or self-harm in words (the word features)."""
    return bool(word_features([sentence])[0][:9].any())


def is_cue(reading: Reading) -> bool:
    """A sentence said without being asked that a supervisor would follow up: thoughts of death
    or suicide; a plan or a past attempt only when it names them (out of context, "I've picked a
    date" says nothing)."""
    if reading.label in ("passive", "active"):
        return True
    return reading.label in ("plan", "past") and mentions_risk(reading.sentence)


def answers_risk_question(text: str) -> bool:
    """Whether a patient turn reads as the answer to a question about risk: a denial or a
    "never act on it" that names suicide, death or self-harm ("God no, I'd never hurt myself").
    Nobody volunteers such a denial, so the question before it asked about risk, however it
    was worded. (Thoughts of death said after some other question are cues, never this.)"""
    return answers_risk(read([text])[0])


def answers_risk(readings: list[Reading]) -> bool:
    """answers_risk_question on a turn's sentence readings, when the caller has them."""
    return any(r.label in ("denial", "intent_low") and mentions_risk(r.sentence) for r in readings)


def answer_polarity(text: str) -> str | None:
    """"no", "yes" or None for how a short answer to a yes-or-no question begins."""
    if _NO.search(text):
        return "no"
    if _YES.search(text):
        return "yes"
    return None
