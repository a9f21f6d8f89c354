"""Which patient turns a supervisor would mark as a risk cue, for transcripts with no disclosure
state: a turn that hints at or speaks of risk when the trainee had not just asked about it.

Read sentence by sentence, only words about death and suicide counted as cues, and the report
found about a third of the turns supervisors mark (hopelessness, being a burden, "what's the point",
giving things away were missed); adding such hints to the statement reader marked ordinary low mood
too. This reader learns the supervisors' notion from their own marks instead: a logistic regression
(scikit-learn) over the patient turn's embedding, the risk-statement reader's label probabilities
(the highest over the turn's sentences) and the embedding of the trainee turn it answers, trained
on every patient turn of the graded transcript sets in TRAINING_SETS that does not answer a risk
question (an answer is never a cue; the report decides that as before). It only adds cues: a
sentence about death or suicide is a cue as before. Its settings were chosen by leaving one set out at
a time (tuned on; `python -m simulator.cbt.report.cue_reader choose`): cue-turn F1 over the sets'
turns that do not answer a risk question, 0.428 for the sentence rule, 0.618 with the reader added
(C = 3, threshold 0.25, the best of the settings tried).

Training reads the sets through the report (the move recogniser finds their risk questions), so it
is a build step: `python -m simulator.cbt.report.cue_reader train` writes MODEL_FILE, which names
what it was trained on; a model trained on other data is not used (logged once), and until one is,
the sentence rule decides.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from simulator.cbt.moves import RISK_SURE
from simulator.cbt.report import risk_text, screening
from simulator.cbt.report.stored_model import Installed, StoredLogistic, fingerprint_of
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
    """The graded sets, the risk statements, the embedding model and the screening rule the reader learns from."""
    from simulator.core import embeddings

    from simulator.cbt import move_encoder

    # The move recogniser and the screening rule with its sure-risk bar (or the learned decision) decide
    # which training turns answer a risk question.
    return fingerprint_of([FEATURE_VERSION, C, RISK_WEIGHT, embeddings.onnx_path().name, move_encoder.model_path().name,
                           screening.SCREENING_RULE, RISK_SURE, screening.state()], training_folders())


def features(texts: list[str], previous: list[str], probabilities: np.ndarray | None = None) -> np.ndarray:
    """One row per patient turn: its embedding, the statement reader's label probabilities (given
    when the caller has read the turns already), its length, and the embedding of the trainee turn
    before it."""
    from simulator.core import embeddings

    if probabilities is None:
        probabilities = risk_text.read_with_probabilities(texts)[1]
    length = np.log1p([len(t.split()) for t in texts])[:, None]
    return np.hstack([embeddings.encode(texts), probabilities * RISK_WEIGHT, length,
                      embeddings.encode([p or "" for p in previous])])


class CueModel(StoredLogistic):
    def is_cue(self, texts: list[str], previous: list[str], probabilities: np.ndarray | None = None) -> list[bool]:
        if not texts:
            return []
        return list(self.probabilities(features(texts, previous, probabilities)) >= THRESHOLD)

    def save(self, path: Path | None = None) -> None:
        super().save(path or MODEL_FILE)

    @classmethod
    def load(cls, path: Path | None = None) -> CueModel:
        return super().load(path or MODEL_FILE)


def training_turns(folders: list[Path]) -> tuple[list[str], list[str], list[bool], list[str]]:
    """Every patient turn of the graded transcripts that does not answer a risk question: its
    text, the trainee turn before it, whether the supervisor marked it a cue, and its set."""
    from simulator.cbt.report.coverage import coverage
    from simulator.cbt.report.record import from_plain

    texts, previous, labels, sets = [], [], [], []
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
                sets.append(folder.name)
    return texts, previous, labels, sets


def train(folders: list[Path] | None = None, report=print) -> CueModel:
    from sklearn.linear_model import LogisticRegression

    texts, previous, labels, _ = training_turns(training_folders() if folders is None else folders)
    report(f"{len(texts)} patient turns, {sum(labels)} marked as cues by supervisors")
    lr = LogisticRegression(C=C, max_iter=3000).fit(features(texts, previous), np.array(labels))
    return CueModel(lr.coef_[0], float(lr.intercept_[0]), fingerprint())


def choose(report=print) -> dict:
    """Cue-turn F1 over the training sets' turns that do not answer a risk question, each set read by
    a reader trained on the others, for the settings tried when C and THRESHOLD were chosen (tuned
    on: for choosing only)."""
    from sklearn.linear_model import LogisticRegression

    texts, previous, labels, sets = training_turns(training_folders())
    x, y, groups = features(texts, previous), np.array(labels), np.array(sets)
    rule = np.array([any(risk_text.is_cue(r) for r in rs) for rs in risk_text.read(texts)])
    figures = {"sentence rule": round(2 * float((rule & y).sum()) / (rule.sum() + y.sum()), 3)}
    report(f"  the sentence rule alone: cue F1 {figures['sentence rule']}")
    for c in (0.3, 1.0, 3.0, 10.0):
        p = np.zeros(len(y))
        for held in sorted(set(sets)):
            test = groups == held
            p[test] = LogisticRegression(C=c, max_iter=3000).fit(x[~test], y[~test]).predict_proba(x[test])[:, 1]
        for threshold in (0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
            said = (p >= threshold) | rule  # the reader only adds cues
            figures[(c, threshold)] = round(2 * float((said & y).sum()) / (said.sum() + y.sum()), 3)
            report(f"  C={c:<5} threshold {threshold:<5} leave-one-set-out cue F1 {figures[(c, threshold)]}")
    return figures


# -- the installed model --

_installed = Installed(CueModel, lambda: MODEL_FILE, fingerprint, what="risk-cue reader",
                       train="python -m simulator.cbt.report.cue_reader train",
                       fallback="cues are read sentence by sentence", log=log)
installed = _installed.get
reset = _installed.reset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.cbt.report.cue_reader",
                                     description="Train the interview report's risk-cue reader.")
    parser.add_argument("command", choices=["train", "choose"],
                        help="train: fit and store the reader; choose: the leave-one-set-out figures behind C and THRESHOLD")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if args.command == "choose":
        choose()
        return 0
    model = train()
    model.save()
    print(f"wrote {MODEL_FILE} ({json.dumps({'fingerprint': model.fingerprint})})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
