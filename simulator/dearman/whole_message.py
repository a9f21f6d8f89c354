"""DEAR MAN skills decided from the whole message.

The sentence classifiers rate every sentence, and the sentence rule rates the message by its
strongest sentence against thresholds chosen on the bank. Writers who never saw the bank judge the
message whole: small hedges spread over two sentences make it unsure, a request that is half there
in two sentences is used. For each decision (per strategy: used, strong; Confident) a logistic
regression reads what the sentence heads say about every sentence (the largest, the sum, how many
pass, the mean, the largest as log-odds), the message's length, what every head says at most, and
its hedge and apology words, and gives the probability that the skill is used, strong or not
confident.

Mindful stays with the sentence rule (any sentence off the goal or giving it up). Read whole, it
rose on the writers' batches, but it let short attacks through that the coding manual calls off the
goal by its own examples ("You're such a flake. When will you pay me back the $200?" read as
mindful): a trainee who attacks the person must hear so.

It learns from whole messages labelled by writers who saw only the skill definitions (LABELLED_DIR;
once evaluation batches, they left evaluation when a model learned from them was adopted), scored by
the installed sentence classifiers, which never saw them. Per group of decisions (used, strong,
Confident) C is chosen leaving one writer's file out at a time, and the group is decided
from the whole message only when that beats the sentence rule on the same files by GATE; otherwise
the sentence rule keeps it (the model records which). The scores it learns from are the blend with
the fine-tuned classifier, so it is built right after that classifier (`python -m simulator
prepare-models`), is named by it, and is used only when the blend is; until it is built the
sentence rule decides.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from simulator.core import pair_encoder
from simulator.core.datafiles import jsonl_rows
from simulator.core.settings import DATA_DIR
from simulator.dearman import classifier, cues, pair_model
from simulator.dearman import features as segmentation  # how a message is cut into sentences
from simulator.dearman.metrics import figures
from simulator.dearman.schema import STRATEGIES

log = logging.getLogger(__name__)

LABELLED_DIR = DATA_DIR / "dearman" / "whole"
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
THRESHOLD = 0.5  # a decision's probability from which it holds
PASS = 0.5  # a sentence's probability from which it counts as passing (a feature)
# How much a group must beat the sentence rule, leaving one file out, to be decided whole. 0.005 since the
# sentence bank took batches AE-AH (2026-12-07): at 0.01 Confident (0.965 against 0.957) was dropped, and only
# a whole-message reading adds up hedges spread over sentences (README, rule 37b).
GATE = 0.005
FLAGS = classifier.FLAG_HEADS
GROUPS = ("used", "strong", "confident")


@lru_cache(maxsize=1)
def decisions() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """decision -> (group, the label it predicts, the heads it reads sentence by sentence)."""
    out = {}
    for s in STRATEGIES:
        own = (f"{s}.used", f"{s}.strong") + (("judged",) if s == "describe" else ())
        out[f"{s}.used"] = ("used", s, own)
        out[f"{s}.strong"] = ("strong", s, own)
    out["confident"] = ("confident", "confident", ("hedge",))
    return out


def holds(decision: str, labels: dict) -> bool:
    """What a decision's probability is about, read from a labelled message."""
    group, skill, _ = decisions()[decision]
    level = labels[skill]
    return {"used": level != "none", "strong": level == "strong", "confident": level == "no"}[group]


def readings(per_sentence: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each head's probability per sentence: a strategy's 'used' (weak or strong) and 'strong', and the flags."""
    out = {}
    for s in STRATEGIES:
        out[f"{s}.used"] = 1.0 - per_sentence[s][:, 0]
        out[f"{s}.strong"] = per_sentence[s][:, 2]
    for flag in FLAGS:
        out[flag] = per_sentence[flag]
    return out


def _stats(p: np.ndarray) -> list[float]:
    top = float(np.clip(p.max(), 1e-4, 1 - 1e-4))
    return [float(p.max()), float(p.sum()), float((p > PASS).sum()), float(p.mean()), float(np.log(top / (1 - top)))]


def shared_features(read: dict[str, np.ndarray], message: str) -> list[float]:
    """What every decision reads about a message: its length, every head's largest, its hedge words."""
    x = [float(np.log1p(len(read["hedge"]))), float(np.log1p(len(message.split())))]
    x += [float(read[head].max()) for head in sorted(read)]
    x.append(float(len(cues.hedge_words(message))))
    return x


def features(decision: str, read: dict[str, np.ndarray], shared: list[float]) -> np.ndarray:
    """One row for one decision about one message: its own heads sentence by sentence, then the shared part."""
    return np.array([v for head in decisions()[decision][2] for v in _stats(read[head])] + shared)


@dataclass
class Logistic:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(((x - self.mean) / self.scale) @ self.coef + self.intercept)))


def fit(x: np.ndarray, y: np.ndarray, c: float) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    lr = LogisticRegression(C=c, max_iter=3000).fit((x - mean) / scale, y)
    return Logistic(mean, scale, lr.coef_[0], float(lr.intercept_[0]))


@dataclass
class WholeMessageModel:
    heads: dict[str, Logistic]  # only the decisions of the groups that passed the gate
    meta: dict = field(default_factory=dict)  # per group: C, the figures behind it, whether it is used

    def decide(self, per_sentence: dict[str, np.ndarray], message: str, levels: dict[str, str]) -> dict[str, str]:
        """The sentence rule's levels with the decisions this model holds taken from the whole message."""
        read = readings(per_sentence)
        shared = shared_features(read, message)
        said = {d: bool(m.proba(features(d, read, shared)[None, :])[0] >= THRESHOLD) for d, m in self.heads.items()}
        return apply(levels, said)

    def save(self, path: Path) -> None:
        arrays = {}
        for d, m in self.heads.items():
            arrays.update({f"{d}/mean": m.mean, f"{d}/scale": m.scale, f"{d}/coef": m.coef,
                           f"{d}/intercept": np.array(m.intercept)})
        tmp = path.with_name(path.stem + ".partial.npz")
        np.savez(tmp, meta=np.array(json.dumps(self.meta)), **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> WholeMessageModel:
        with np.load(path) as d:
            meta = json.loads(str(d["meta"]))
            heads = {dec: Logistic(d[f"{dec}/mean"], d[f"{dec}/scale"], d[f"{dec}/coef"], float(d[f"{dec}/intercept"]))
                     for dec in decisions() if f"{dec}/coef" in d.files}
        return cls(heads, meta)


def apply(levels: dict[str, str], said: dict[str, bool]) -> dict[str, str]:
    """Levels with the whole-message decisions in `said` (decision -> holds) put in."""
    out = dict(levels)
    for s in STRATEGIES:
        used, strong = said.get(f"{s}.used"), said.get(f"{s}.strong")
        if used is None and strong is None:
            continue
        used = out[s] != "none" if used is None else used
        strong = out[s] == "strong" if strong is None else strong
        out[s] = "strong" if strong else ("weak" if used else "none")
    if "confident" in said:
        out["confident"] = "no" if said["confident"] else "yes"
    return out


# -- the labelled messages and the build --

def labelled_files() -> list[Path]:
    return sorted(LABELLED_DIR.glob("*.jsonl"))


def labelled_rows(path: Path) -> list[dict]:
    """A file's labelled messages; a row without the fields the model needs names its file and line."""
    rows = []
    for n, row in jsonl_rows(path):
        missing = [k for k in ("situation", "goal", "message", "labels") if k not in row]
        missing += [f"labels.{s}" for s in (*STRATEGIES, "confident") if s not in row.get("labels", {})]
        if missing:
            raise ValueError(f"{path.name} line {n}: missing {', '.join(missing)}")
        rows.append(row)
    return rows


def model_path() -> Path:
    """Named by everything that shapes it: the classifiers whose scores it reads (the fine-tuned one by
    name, the regression by its stored file), the sentence rule it must beat, the labelled messages,
    and the code of its features and choices (this module, cues.py for the hedge words, features.py
    for how a message is cut into the sentences it reads)."""
    h = hashlib.sha256(f"{pair_encoder.BLEND_WEIGHT}:{pair_model.model_path().name}:"
                       f"{json.dumps(classifier.BLEND_THRESHOLDS, sort_keys=True)}".encode())
    for path in (classifier.MODEL_FILE, Path(__file__), Path(cues.__file__), Path(segmentation.__file__),
                 *labelled_files()):
        h.update(path.read_bytes())
    return pair_encoder.CACHE_DIR / f"dearman-whole-{h.hexdigest()[:16]}.npz"


@dataclass
class Scored:
    """The labelled messages as the installed sentence classifiers read them."""

    labels: list[dict]
    read: list[dict[str, np.ndarray]]
    shared: list[list[float]]  # shared_features per message
    rule: list[dict[str, str]]  # the sentence rule's levels
    files: np.ndarray  # which file (writer) each came from

    def matrix(self, decision: str) -> tuple[np.ndarray, np.ndarray]:
        x = np.array([features(decision, r, sh) for r, sh in zip(self.read, self.shared)])
        return x, np.array([holds(decision, lab) for lab in self.labels])


def score_labelled() -> Scored:
    from simulator.dearman.schema import MessageContext
    from simulator.dearman.sentence_scores import score

    model = classifier.default_model()
    labels, read, shared, rule, files = [], [], [], [], []
    for path in labelled_files():
        for row in labelled_rows(path):
            ctx = MessageContext.checked(row["situation"], row["goal"], row["message"], row.get("partner_last"))
            _, sc, th, blended = score(ctx, model)
            if not blended:
                raise RuntimeError("the fine-tuned DEAR MAN classifier is not built or failed: build it first")
            labels.append(row["labels"])
            read.append(readings(sc.per_sentence))
            shared.append(shared_features(read[-1], row["message"]))
            rule.append(classifier.decide(sc, th))
            files.append(path.name)
    if not labels:
        raise RuntimeError(f"no labelled DEAR MAN messages in {LABELLED_DIR}")
    return Scored(labels, read, shared, rule, np.array(files))


def group_figure(group: str, labels: list[dict], levels: list[dict]) -> float:
    rep = figures(labels, levels)
    return {"used": rep["macro_used_f1"], "strong": rep["macro_strong_f1"],
            "confident": rep["skills"]["confident"]["accuracy"]}[group]


def leave_one_file_out(data: Scored, group: str, c: float) -> list[dict[str, bool]]:
    """Per message, the group's decisions by models that never saw its writer's file."""
    said: list[dict[str, bool]] = [{} for _ in data.labels]
    for decision in (d for d, (g, _, _) in decisions().items() if g == group):
        x, y = data.matrix(decision)
        for held in sorted(set(data.files)):
            test = data.files == held
            p = fit(x[~test], y[~test], c).proba(x[test]) >= THRESHOLD
            for i, v in zip(np.flatnonzero(test), p):
                said[i][decision] = bool(v)
    return said


def passes(whole: float, rule: float) -> bool:
    """The gate, on the three-decimal figures (0.932 - 0.922 is not quite 0.01 in floating point)."""
    return round(whole - rule, 3) >= GATE


def choose(data: Scored, report=print) -> dict:
    """Per group: C by leaving one file out, and whether it beats the sentence rule by GATE."""
    meta = {}
    for group in GROUPS:
        rule = group_figure(group, data.labels, data.rule)
        tried = {c: group_figure(group, data.labels, [apply(lv, s) for lv, s in
                                                      zip(data.rule, leave_one_file_out(data, group, c))])
                 for c in C_GRID}
        best = max(C_GRID, key=lambda c: (tried[c], -c))
        used = passes(tried[best], rule)
        meta[group] = {"C": best, "sentence_rule": rule, "leave_one_file_out": tried, "whole_message": used}
        report(f"  {group}: sentence rule {rule}; leave one file out " +
               ", ".join(f"C={c} {v}" for c, v in tried.items()) +
               f" -> {'whole message, C=' + str(best) if used else 'the sentence rule stays'}")
    return meta


def build(target: Path | None = None, report=print) -> Path:
    """Score the labelled messages with the installed sentence classifiers, choose, fit, save."""
    target = target or model_path()
    data = score_labelled()
    report(f"{len(data.labels)} messages in {len(set(data.files))} files")
    meta = choose(data, report)
    heads = {}
    for decision, (group, _, _) in decisions().items():
        if meta[group]["whole_message"]:
            x, y = data.matrix(decision)
            heads[decision] = fit(x, y, meta[group]["C"])
    WholeMessageModel(heads, {"groups": meta, "messages": len(data.labels)}).save(target)
    report(f"wrote {target.name}")
    return target


# -- the installed model --

_found = pair_encoder.BuiltFile(lambda: model_path(), "DEAR MAN whole-message model")
_lock = threading.Lock()
_loaded: dict[Path, WholeMessageModel] = {}


def installed() -> WholeMessageModel | None:
    """The model built for the installed classifiers, or None while it is not (logged once)."""
    path = _found.found()
    if path is None:
        return None
    with _lock:
        if path not in _loaded:
            try:
                _loaded[path] = WholeMessageModel.load(path)
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
