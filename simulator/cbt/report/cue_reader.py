"""Which patient turns a supervisor would mark as a risk cue, for transcripts with no disclosure
state: a turn that hints at or speaks of risk when the trainee had not just asked about it.

Read sentence by sentence, only words about death and suicide counted as cues, and the report
found about a third of the turns supervisors mark (hopelessness, being a burden, "what's the point",
giving things away were missed); adding such hints to the statement reader marked ordinary low mood
too. This reader learns the supervisors' notion from their own marks instead: a logistic regression
(scikit-learn) over the patient turn's embedding, the risk-statement reader's label probabilities
(the highest over the turn's sentences) and the embedding of the trainee turn it answers, trained
on every patient turn of the graded transcript sets in TRAINING_SETS that does not answer a risk
question (an answer is never a cue; the report decides that as before). Its settings were chosen by
leaving one set out at a time (tuned on): cue-turn F1 over those sets 0.389 → 0.583.

Training reads the sets through the report (the move recogniser finds their risk questions), so it
is a build step: `python -m simulator.cbt.report.cue_reader train` writes MODEL_FILE, which names
what it was trained on; a model trained on other data is not used (logged once), and until one is,
the sentence rule decides.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import threading
from pathlib import Path

import numpy as np

from simulator.cbt.report import risk_text
from simulator.core.settings import DATA_DIR

log = logging.getLogger(__name__)

GRADED = DATA_DIR / "graded"
TRAINING_SETS = ("interviews", *(f"interviews_{c}" for c in "bcdefghijklmn"))
MODEL_FILE = DATA_DIR / "report" / "cue_model.npz"
FEATURE_VERSION = 1
C = 3.0
THRESHOLD = 0.25
RISK_WEIGHT = 3.0  # the statement reader's probabilities beside 2 x 384 embedding dimensions


def training_folders() -> list[Path]:
    return [GRADED / name for name in TRAINING_SETS]


def fingerprint() -> str:
    """The graded sets, the risk statements and the embedding model the reader learns from."""
    from simulator.core import embeddings

    h = hashlib.sha256(f"{FEATURE_VERSION}:{C}:{embeddings.onnx_path().name}".encode())
    h.update(risk_text.BANK.read_bytes())
    for folder in training_folders():
        for path in sorted(folder.glob("*.json")):
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def features(texts: list[str], previous: list[str]) -> np.ndarray:
    """One row per patient turn: its embedding, the statement reader's label probabilities, its
    length, and the embedding of the trainee turn before it."""
    from simulator.core import embeddings

    length = np.log1p([len(t.split()) for t in texts])[:, None]
    return np.hstack([embeddings.encode(texts), risk_text.label_probabilities(texts) * RISK_WEIGHT, length,
                      embeddings.encode([p or "" for p in previous])])


class CueModel:
    def __init__(self, coef: np.ndarray, intercept: float, fingerprint: str):
        self.coef, self.intercept, self.fingerprint = coef, intercept, fingerprint

    def is_cue(self, texts: list[str], previous: list[str]) -> list[bool]:
        if not texts:
            return []
        z = features(texts, previous) @ self.coef + self.intercept
        return list(1.0 / (1.0 + np.exp(-z)) >= THRESHOLD)

    def save(self, path: Path = MODEL_FILE) -> None:
        np.savez(path, coef=self.coef, intercept=self.intercept, fingerprint=self.fingerprint)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> CueModel:
        with np.load(path) as d:
            return cls(d["coef"], float(d["intercept"]), str(d["fingerprint"]))


def training_turns(folders: list[Path]) -> tuple[list[str], list[str], list[bool]]:
    """Every patient turn of the graded transcripts that does not answer a risk question: its
    text, the trainee turn before it, and whether the supervisor marked it a cue."""
    from simulator.cbt.report.coverage import coverage
    from simulator.cbt.report.record import from_plain

    texts, previous, labels = [], [], []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            graded = json.loads(path.read_text(encoding="utf-8"))
            turns = graded["turns"]
            risk_turns = set(coverage(from_plain(turns, graded.get("first_session", True))).risk_turns)
            cues = set(graded.get("risk", {}).get("cues_turns", []))
            for i, t in enumerate(turns):
                if t["role"] != "patient" or i in risk_turns:  # turn i (numbered from 1) asked about risk
                    continue
                texts.append(t["text"])
                previous.append(turns[i - 1]["text"] if i > 0 else "")
                labels.append(i + 1 in cues)
    return texts, previous, labels


def train(folders: list[Path] | None = None, report=print) -> CueModel:
    from sklearn.linear_model import LogisticRegression

    texts, previous, labels = training_turns(training_folders() if folders is None else folders)
    report(f"{len(texts)} patient turns, {sum(labels)} marked as cues by supervisors")
    lr = LogisticRegression(C=C, max_iter=3000).fit(features(texts, previous), np.array(labels))
    return CueModel(lr.coef_[0], float(lr.intercept_[0]), fingerprint())


# -- the installed model --

_lock = threading.Lock()
_state: dict[str, CueModel | None] = {}


def installed() -> CueModel | None:
    """The stored model when it was trained on the current data, else None (logged once)."""
    with _lock:
        if "model" not in _state:
            _state["model"] = _load_checked()
        return _state["model"]


def _load_checked() -> CueModel | None:
    if not MODEL_FILE.exists():
        log.warning("no risk-cue reader at %s: cues are read sentence by sentence; run "
                    "`python -m simulator.cbt.report.cue_reader train`", MODEL_FILE)
        return None
    try:
        model = CueModel.load(MODEL_FILE)
    except (OSError, ValueError, KeyError) as err:
        log.error("unreadable risk-cue reader %s (%s): cues are read sentence by sentence", MODEL_FILE, err,
                  exc_info=err)
        return None
    if model.fingerprint != fingerprint():
        log.warning("the risk-cue reader was trained on other transcripts or statements: cues are read "
                    "sentence by sentence until `python -m simulator.cbt.report.cue_reader train` is run")
        return None
    return model


def reset() -> None:
    with _lock:
        _state.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.cbt.report.cue_reader",
                                     description="Train the interview report's risk-cue reader.")
    parser.add_argument("command", choices=["train"])
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    model = train()
    model.save()
    print(f"wrote {MODEL_FILE} ({json.dumps({'fingerprint': model.fingerprint})})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
