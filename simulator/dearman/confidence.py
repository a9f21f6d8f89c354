"""Appear confident, decided from the whole message.

The sentence classifiers flag a sentence that hedges or apologises, and the message used to count as
not confident when its most hedging sentence passed the threshold chosen on the bank. Writers who
never saw the bank call a message unsure when its small hedges add up ("kind of", "I think", "maybe",
"sorry" spread over two sentences), which no one sentence shows: by that rule the rater missed about
a quarter of their unsure messages. This model reads what the hedge head says about every sentence
(the largest, the sum, how many pass, the mean), the hedge and apology words of the message and its
length, and gives the probability that the message does not sound confident.

It learns from whole messages labelled by eight writers who saw only the skill definitions
(LABELLED_DIR; once evaluation batches, they left evaluation when this model was adopted), each
scored by the installed sentence classifiers, which never saw them. Its one setting is chosen by
leaving one writer's file out at a time. The scores it learns from are the blend with the fine-tuned
classifier, so it is built right after that classifier (`python -m simulator prepare-models`), is
named by it, and is used only when the blend is; until it is built the sentence rule decides.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.core import pair_encoder
from simulator.core.settings import DATA_DIR
from simulator.dearman import cues, pair_model

log = logging.getLogger(__name__)

LABELLED_DIR = DATA_DIR / "dearman" / "whole"
FEATURE_VERSION = 1
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
THRESHOLD = 0.5  # P(not confident) from which the message is rated not confident
PASS = 0.5  # a sentence's hedge probability from which it counts as hedging (a feature)


def labelled_files() -> list[Path]:
    return sorted(LABELLED_DIR.glob("*.jsonl"))


def labelled_rows(path: Path) -> list[dict]:
    """The labelled messages of one file, in the evaluation batches' shape."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def model_path() -> Path:
    """Named by the fine-tuned classifier whose scores it reads, the labelled messages and the features."""
    h = hashlib.sha256(f"{FEATURE_VERSION}:{PASS}:{pair_encoder.BLEND_WEIGHT}:{pair_model.model_path().name}".encode())
    for path in labelled_files():
        h.update(path.read_bytes())
    return pair_encoder.CACHE_DIR / f"dearman-confident-{h.hexdigest()[:16]}.npz"


def features(hedge: np.ndarray, message: str) -> np.ndarray:
    """One row per message from the hedge head's per-sentence probabilities."""
    top = float(np.clip(hedge.max(), 1e-4, 1 - 1e-4))
    return np.array([hedge.max(), hedge.sum(), float((hedge > PASS).sum()), hedge.mean(),
                     float(len(cues.hedge_words(message))), np.log1p(len(hedge)), np.log(top / (1 - top))])


@dataclass
class ConfidentModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    meta: dict = field(default_factory=dict)  # the setting chosen and the figures behind it

    def proba(self, x: np.ndarray) -> np.ndarray:
        """P(the message does not sound confident) per row."""
        return 1.0 / (1.0 + np.exp(-(((x - self.mean) / self.scale) @ self.coef + self.intercept)))

    def decide(self, hedge: np.ndarray, message: str) -> str:
        return "no" if self.proba(features(hedge, message)[None, :])[0] >= THRESHOLD else "yes"

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.stem + ".partial.npz")
        np.savez(tmp, mean=self.mean, scale=self.scale, coef=self.coef, intercept=self.intercept,
                 meta=np.array(json.dumps(self.meta)))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ConfidentModel:
        with np.load(path) as d:
            return cls(d["mean"], d["scale"], d["coef"], float(d["intercept"]), json.loads(str(d["meta"])))


def fit(x: np.ndarray, not_confident: np.ndarray, c: float) -> ConfidentModel:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    lr = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, not_confident)
    return ConfidentModel(mean, scale, lr.coef_[0], float(lr.intercept_[0]))


def choose(x: np.ndarray, y: np.ndarray, groups: list[str], report=print) -> tuple[float, dict]:
    """C by accuracy leaving one writer's file out at a time (the smallest of equals)."""
    groups_arr = np.array(groups)
    figures = {}
    for c in C_GRID:
        right = 0
        for held in sorted(set(groups)):
            test = groups_arr == held
            right += int(((fit(x[~test], y[~test], c).proba(x[test]) >= THRESHOLD) == y[test]).sum())
        figures[c] = round(right / len(y), 4)
        report(f"  C={c:<5} leave-one-file-out accuracy {figures[c]}")
    best = max(C_GRID, key=lambda c: (figures[c], -c))
    return best, figures


def build(target: Path | None = None, report=print) -> Path:
    """Score the labelled messages with the installed sentence classifiers, choose C, fit, save."""
    from simulator.dearman.classifier import decide, default_model
    from simulator.dearman.schema import MessageContext
    from simulator.dearman.sentence_scores import score

    target = target or model_path()
    model = default_model()
    rows, groups, xs = [], [], []
    for path in labelled_files():
        for row in labelled_rows(path):
            ctx = MessageContext.checked(row["situation"], row["goal"], row["message"], row.get("partner_last"))
            _, sc, th, blended = score(ctx, model)
            if not blended:
                raise RuntimeError("the fine-tuned DEAR MAN classifier is not built or failed: build it first")
            rows.append((row["labels"]["confident"] == "no", decide(sc, th)["confident"] == "no"))
            groups.append(path.name)
            xs.append(features(sc.per_sentence["hedge"], row["message"]))
    if not rows:
        raise RuntimeError(f"no labelled DEAR MAN messages in {LABELLED_DIR}")
    x, y = np.array(xs), np.array([gold for gold, _ in rows])
    sentence_rule = round(float(np.mean([gold == said for gold, said in rows])), 4)
    report(f"{len(y)} messages in {len(set(groups))} files; the sentence rule (tuned on nothing here): {sentence_rule}")
    c, figures = choose(x, y, groups, report)
    chosen = fit(x, y, c)
    chosen.meta = {"C": c, "leave_one_file_out": figures, "sentence_rule": sentence_rule, "messages": len(y)}
    chosen.save(target)
    report(f"chosen C={c}; wrote {target.name}")
    return target


# -- the installed model --

_found = pair_encoder.BuiltFile(lambda: model_path(), "DEAR MAN whole-message Confident model")
_lock = threading.Lock()
_loaded: dict[Path, ConfidentModel] = {}


def installed() -> ConfidentModel | None:
    """The model built for the installed classifiers, or None while it is not (logged once)."""
    path = _found.found()
    if path is None:
        return None
    with _lock:
        if path not in _loaded:
            try:
                _loaded[path] = ConfidentModel.load(path)
            except Exception as err:  # a damaged file of any kind: logged, and the sentence rule decides
                if _found.broken():
                    log.error("the %s failed (%s); the sentence rule decides from now on", _found.what, err,
                              exc_info=err)
                return None
        return _loaded[path]


def reset() -> None:
    """Look the model up again (after a build, or in tests)."""
    _found.reset()
    with _lock:
        _loaded.clear()
