"""The DEAR MAN skill classifiers: logistic regression per skill over sentence features, trained on
the message bank (data/dearman/bank/) and the sentence exemplars (data/exemplars/dearman/).

A message is rated sentence by sentence, then the sentences are combined:

- a strategy is strong when its most strongly rated sentence is likely strong, weak when some
  sentence likely uses it, none otherwise; Describe drops to weak when a sentence judges;
- Mindful is "no" when a sentence is likely off the goal or drops it;
- Appear confident is "no" when a sentence likely hedges or apologises.

The thresholds are chosen by grouped cross-validation inside the bank (groups are situations, so
a held-out fold never shares a situation with its training folds). The trained model is stored in
data/dearman/rater_model.npz with a fingerprint of the training files; `python -m
simulator.dearman.classifier train` rebuilds it, and a model whose fingerprint no longer matches
is retrained in the process (logged) rather than used.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from simulator.core import pair_encoder
from simulator.core.settings import DATA_DIR
from simulator.dearman import features
from simulator.dearman.bank import (
    BANK_DIR,
    BankMessage,
    default_messages,
    fingerprint,
    message_files,
)
from simulator.dearman.exemplars import EXEMPLARS_DIR, default_bank
from simulator.dearman.metrics import figures, macro_f1
from simulator.dearman.schema import STRATEGIES

log = logging.getLogger(__name__)

MODEL_FILE = DATA_DIR / "dearman" / "rater_model.npz"
META_FILE = MODEL_FILE.with_suffix(".json")
FLAG_HEADS = ("judged", "offgoal", "gives_up", "hedge")
HEADS = STRATEGIES + FLAG_HEADS
C_GRID = (0.01, 0.03, 0.1)
# The embedding block is not standardised but multiplied by EMBED_WEIGHT, so its 384 small
# dimensions are regularised together against the few linguistic ones (chosen by cross-validation).
EMBED_WEIGHT = 10.0
FOLDS = 5
SEED = 7


def training_paths() -> list[Path]:
    return [BANK_DIR / "situations.json", *message_files(), *sorted(EXEMPLARS_DIR.glob("*.json"))]


def training_fingerprint() -> str:
    return f"f{features.FEATURE_VERSION}-{fingerprint(training_paths())}"


# -- training units --

@dataclass
class Units:
    """Sentences with what is known about them; -1 where a label is unknown for that head."""

    texts: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)  # "" when unknown (exemplars)
    partners: list[str] = field(default_factory=list)
    message: list[int] = field(default_factory=list)  # index of the bank message, -1 for exemplars
    labels: dict[str, list[int]] = field(default_factory=lambda: {h: [] for h in HEADS})

    def add(self, text: str, goal: str, partner: str, message: int, labels: dict[str, int]) -> None:
        self.texts.append(text)
        self.goals.append(goal)
        self.partners.append(partner)
        self.message.append(message)
        for head in HEADS:
            self.labels[head].append(labels.get(head, -1))


def units(messages: tuple[BankMessage, ...] | list[BankMessage], with_exemplars: bool = True) -> Units:
    out = Units()
    for i, msg in enumerate(messages):
        for part in msg.parts:
            labels = {s: part.level(s) for s in STRATEGIES}
            labels["judged"] = int(bool(part.flags & {"judgement", "off_goal"}))
            labels["offgoal"] = int(bool(part.flags & {"off_goal", "gives_up"}))
            labels["gives_up"] = int("gives_up" in part.flags)
            labels["hedge"] = int("hedge" in part.flags)
            out.add(part.text, msg.goal, msg.partner_last, i, labels)
    if with_exemplars:
        bank = default_bank()
        rank = {"none": 0, "weak": 1, "strong": 2}
        for skill in STRATEGIES:
            for ex in bank.examples[skill]:
                out.add(ex.text, "", "", -1, {skill: rank[ex.level]})
        for ex in bank.examples["mindful"]:
            out.add(ex.text, "", "", -1, {"offgoal": int(ex.level == "no")})
        for ex in bank.examples["confident"]:
            out.add(ex.text, "", "", -1, {"hedge": int(ex.level == "no")})
    return out


def _encode_unique(texts: list[str]) -> dict[str, np.ndarray]:
    from simulator.core import embeddings

    unique = sorted({t for t in texts if t})
    vecs = embeddings.encode(unique) if unique else np.zeros((0, 384), dtype=np.float32)
    return dict(zip(unique, vecs))


def unit_matrix(u: Units) -> np.ndarray:
    cache = _encode_unique(u.texts + u.goals + u.partners)
    zero = np.zeros(384, dtype=np.float32)
    vecs = np.array([cache[t] for t in u.texts])
    goals = np.array([cache.get(g, zero) if g else zero for g in u.goals])
    partners = np.array([cache.get(p, zero) if p else zero for p in u.partners])
    x = features.matrix(u.texts, vecs, goals, partners)
    # Exemplars have no goal: give them the mean closeness of the sentences that do.
    gi = features.EMBED_DIM + features.LINGUISTIC.index("goal_sim")
    known = np.array([bool(g) for g in u.goals])
    if known.any() and (~known).any():
        x[~known, gi] = x[known, gi].mean()
    return x


# -- the model --

@dataclass
class Head:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (classes, d) or (1, d) for a binary head
    intercept: np.ndarray

    def proba(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
        if self.coef.shape[0] == 1:  # binary: probability of class 1
            return 1.0 / (1.0 + np.exp(-z[:, 0]))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


DEFAULT_THRESHOLDS = {**{s: {"strong": 0.5, "used": 0.5} for s in STRATEGIES},
                      "judged": 0.5, "offgoal": 0.5, "hedge": 0.5}


@dataclass
class Model:
    heads: dict[str, Head]
    thresholds: dict
    meta: dict = field(default_factory=dict)

    def sentence_proba(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {name: head.proba(x) for name, head in self.heads.items()}

    def save(self, path: Path = MODEL_FILE) -> None:
        arrays = {}
        for name, head in self.heads.items():
            for key in ("mean", "scale", "coef", "intercept"):
                arrays[f"{name}.{key}"] = getattr(head, key).astype(np.float64)
        np.savez_compressed(path, **arrays)
        meta = {**self.meta, "thresholds": self.thresholds}
        path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Model:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(path) as data:
            heads = {name: Head(*(data[f"{name}.{key}"] for key in ("mean", "scale", "coef", "intercept")))
                     for name in HEADS}
        return cls(heads, meta.pop("thresholds"), meta)


def fit_heads(x: np.ndarray, u: Units, c: float | dict[str, float], rows: np.ndarray | None = None) -> dict[str, Head]:
    from sklearn.linear_model import LogisticRegression

    heads = {}
    for name in HEADS:
        y = np.array(u.labels[name])
        keep = y >= 0
        if rows is not None:
            keep &= rows
        xs, ys = x[keep], y[keep]
        mean = xs.mean(axis=0)
        scale = xs.std(axis=0)
        scale[scale < 1e-6] = 1.0
        mean[:features.EMBED_DIM] = 0.0
        scale[:features.EMBED_DIM] = 1.0 / EMBED_WEIGHT
        cc = c[name] if isinstance(c, dict) else c
        clf = LogisticRegression(C=cc, max_iter=3000, class_weight="balanced")
        with threadpool_limits(1):  # many small fits: threads only contend on a shared machine
            clf.fit((xs - mean) / scale, ys)
        if name in STRATEGIES and list(clf.classes_) != [0, 1, 2]:
            raise ValueError(f"{name}: the bank lacks a level (has {list(clf.classes_)})")
        heads[name] = Head(mean, scale, clf.coef_.copy(), clf.intercept_.copy())
    return heads


# -- with the fine-tuned pair classifier (simulator/dearman/pair_model.py) --

# The shared blend (core.pair_encoder): 0.7 for the fine-tuned classifier, every threshold at 0.5.
# On held-out situations of the bank (fold 0; tuned on, for choosing only) it gave used 0.912,
# strong 0.911, Mindful 0.911, Confident 0.990 (the best used and Mindful of the mixes tried:
# 0, 0.5, 0.7, 1), against 0.855 / 0.872 / 0.892 / 0.975 for the regression alone with its
# cross-validated thresholds.
PAIR_WEIGHT = pair_encoder.BLEND_WEIGHT
BLEND_THRESHOLDS = DEFAULT_THRESHOLDS  # every one at 0.5, pair_encoder.BLEND_THRESHOLD


# -- from sentences to a message --

@dataclass
class MessageScores:
    """What the sentence heads say, combined per message; `best` is the index of the sentence
    that carries each strategy (or flag) most."""

    strong: dict[str, float]
    used: dict[str, float]
    best: dict[str, int]
    judged: float
    offgoal: float
    gives_up: float
    hedge: float
    per_sentence: dict[str, np.ndarray]


def combine(proba: dict[str, np.ndarray]) -> MessageScores:
    strong, used, best = {}, {}, {}
    for s in STRATEGIES:
        p = proba[s]
        strong[s] = float(p[:, 2].max())
        used_p = 1.0 - p[:, 0]
        used[s] = float(used_p.max())
        best[s] = int(np.argmax(p[:, 2] + used_p))
    for flag in FLAG_HEADS:
        best[flag] = int(np.argmax(proba[flag]))
    return MessageScores(strong, used, best, float(proba["judged"].max()), float(proba["offgoal"].max()),
                         float(proba["gives_up"].max()), float(proba["hedge"].max()), proba)


def cap_describe(levels: dict[str, str], scores: MessageScores, th: dict) -> None:
    """The coding manual: a message with a judging sentence describes weakly at best (in place)."""
    if levels["describe"] == "strong" and scores.judged >= th["judged"]:
        levels["describe"] = "weak"


def decide(scores: MessageScores, th: dict) -> dict[str, str]:
    out = {}
    for s in STRATEGIES:
        if scores.strong[s] >= th[s]["strong"]:
            out[s] = "strong"
        elif scores.used[s] >= th[s]["used"]:
            out[s] = "weak"
        else:
            out[s] = "none"
    cap_describe(out, scores, th)
    out["mindful"] = "no" if scores.offgoal >= th["offgoal"] else "yes"
    out["confident"] = "no" if scores.hedge >= th["hedge"] else "yes"
    return out


# -- cross-validation and threshold choice (inside the bank only) --

def _folds(messages, k: int = FOLDS) -> list[np.ndarray]:
    """Message indices per fold, whole situations per fold, balanced by message count."""
    groups: dict[str, list[int]] = {}
    for i, m in enumerate(messages):
        groups.setdefault(m.group, []).append(i)
    rng = np.random.default_rng(SEED)
    order = sorted(groups, key=lambda g: (-len(groups[g]), g))
    order = [order[i] for i in rng.permutation(len(order))]
    order.sort(key=lambda g: -len(groups[g]))
    folds: list[list[int]] = [[] for _ in range(k)]
    for g in order:
        min(folds, key=len).extend(groups[g])
    return [np.array(sorted(f)) for f in folds]


def out_of_fold(messages, u: Units, x: np.ndarray, c) -> list[MessageScores]:
    """Scores for every bank message from a model that never saw its situation."""
    msg_of_unit = np.array(u.message)
    scores: list[MessageScores | None] = [None] * len(messages)
    for fold in _folds(messages):
        held = np.isin(msg_of_unit, fold)
        heads = fit_heads(x, u, c, rows=~held)
        model = Model(heads, DEFAULT_THRESHOLDS)
        for i in fold:
            rows = msg_of_unit == i
            scores[i] = combine(model.sentence_proba(x[rows]))
    return scores  # type: ignore[return-value]


GRID = np.round(np.arange(0.2, 0.86, 0.05), 2)


def choose_thresholds(messages, scores: list[MessageScores]) -> dict:
    """Thresholds that maximise the out-of-fold figures, one decision at a time."""
    th = json.loads(json.dumps(DEFAULT_THRESHOLDS))
    labels = [m.labels for m in messages]
    for s in STRATEGIES:
        t_used = [lab[s] != "none" for lab in labels]
        th[s]["used"] = float(max(GRID, key=lambda t: (macro_f1(t_used, [sc.used[s] >= t for sc in scores]), -abs(t - 0.5))))
        t_strong = [lab[s] == "strong" for lab in labels]
        th[s]["strong"] = float(max(GRID, key=lambda t: (macro_f1(t_strong, [sc.strong[s] >= t for sc in scores]), -abs(t - 0.5))))
    for key, skill, bad in (("offgoal", "mindful", "no"), ("hedge", "confident", "no")):
        truth = [lab[skill] == bad for lab in labels]
        th[key] = float(max(GRID, key=lambda t: (np.mean([(getattr(sc, key) >= t) == tr for sc, tr in zip(scores, truth)]),
                                                  -abs(t - 0.5))))
    truth = [lab["describe"] for lab in labels]

    def describe_acc(t: float) -> float:
        return float(np.mean([decide(sc, {**th, "judged": t})["describe"] == tr for sc, tr in zip(scores, truth)]))
    th["judged"] = float(max(GRID, key=lambda t: (describe_acc(t), -abs(t - 0.5))))
    return th


def report(messages, scores: list[MessageScores], th: dict) -> dict:
    predicted = [decide(sc, th) for sc in scores]
    return figures([m.labels for m in messages], predicted)


def train(messages=None, with_exemplars: bool = True, c_grid=C_GRID, progress=None) -> tuple[Model, dict]:
    """Choose C and thresholds by grouped cross-validation, then fit on the whole bank."""
    messages = tuple(messages if messages is not None else default_messages())
    u = units(messages, with_exemplars)
    x = unit_matrix(u)
    best = None
    for c in c_grid:
        scores = out_of_fold(messages, u, x, c)
        th = choose_thresholds(messages, scores)
        rep = report(messages, scores, th)
        key = rep["macro_used_f1"] + rep["macro_strong_f1"] + rep["skills"]["mindful"]["accuracy"] \
            + rep["skills"]["confident"]["accuracy"]
        if progress:
            progress(f"C={c}: used {rep['macro_used_f1']}, strong {rep['macro_strong_f1']}, "
                     f"mindful {rep['skills']['mindful']['accuracy']}, confident {rep['skills']['confident']['accuracy']}")
        if best is None or key > best[0]:
            best = (key, c, th, rep)
    _, c, th, rep = best
    heads = fit_heads(x, u, c)
    meta = {"fingerprint": training_fingerprint(), "feature_version": features.FEATURE_VERSION, "C": c,
            "messages": len(messages), "sentences": len(u.texts),
                    "embed_weight": EMBED_WEIGHT,
            "cross_validated_on_training_bank": {k: v for k, v in rep.items() if k != "errors"}}
    return Model(heads, th, meta), rep


# -- the model in use --

_lock = threading.Lock()
_model: Model | None = None


def default_model() -> Model:
    """The model in use: loaded (or trained) once per process, then shared by every thread.

    Two first requests at the same moment wait for one load instead of each making their own.
    """
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = _load_or_train()
    return _model


def _load_or_train() -> Model:
    """The stored model if it was trained on the current bank; otherwise retrain (and say so)."""
    expected = training_fingerprint()
    if MODEL_FILE.exists() and META_FILE.exists():
        try:
            model = Model.load()
        except (OSError, ValueError, KeyError) as exc:
            log.warning("The stored DEAR MAN rater model could not be read (%s); retraining in this process.", exc)
        else:
            if model.meta.get("fingerprint") == expected:
                return model
            log.warning("The stored DEAR MAN rater model was trained on other data (%s, now %s); retraining in "
                        "this process. Run `python -m simulator.dearman.classifier train` to store a fresh one.",
                        model.meta.get("fingerprint"), expected)
    else:
        log.warning("No stored DEAR MAN rater model at %s; training one in this process.", MODEL_FILE)
    model, _ = train(c_grid=(C_GRID[1],))
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.dearman.classifier",
                                     description="Train the DEAR MAN rater on the bank, or report its cross-validated figures.")
    parser.add_argument("command", choices=["train", "cv"],
                        help="train: cross-validate, fit and store the model; cv: only print the figures")
    args = parser.parse_args(argv)
    model, rep = train(progress=lambda line: print(line, file=sys.stderr, flush=True))
    rep.pop("errors", None)
    print(json.dumps({"cross_validated_on_training_bank (tuned on; not an evaluation figure)": rep,
                      "C": model.meta["C"], "messages": model.meta["messages"]}, indent=1))
    if args.command == "train":
        model.save()
        print(f"stored {MODEL_FILE.relative_to(DATA_DIR.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
