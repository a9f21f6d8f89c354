"""Fit the thinking-trap models from the training banks and write them to data/traps/models/.

`python -m simulator build-trap-models` runs this. It reads only training data (the pattern bank,
the reframe bank): never an evaluation set. Every calibration (thresholds, the "none" threshold)
is fitted on out-of-fold probabilities inside the bank, and the figures it prints are bank
cross-validation figures, i.e. on data the models were tuned on.
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np

from simulator.core import embeddings
from simulator.traps import features
from simulator.traps.learn import best_f1_threshold, fit_ovr, out_of_fold, proba
from simulator.traps.metrics import score
from simulator.traps.patterns import NONE, bank, pattern_ids

log = logging.getLogger(__name__)

TEXT_C = 4.0  # inverse regularisation of the n-gram model
EMB_C = 4.0  # and of the embedding model
# Weight of the n-gram model in the blend. Chosen by cross-file validation inside the training
# bank (fit on bank_a plus the first bank, test on bank_b, and the reverse): 0.7 beat 0.0, 0.3,
# 0.5 and 1.0 on top-1, top-2 and macro-F1 in both directions. `--cross-file` repeats that check.
BLEND = 0.7
NONE_RECALL_TARGET = 0.85  # out-of-fold none-recall the "none" threshold must reach inside the bank


def _targets(rows) -> np.ndarray:
    ids = pattern_ids()
    y = np.array([[p in labels for p in ids] for _, labels in rows], dtype=int)
    return np.hstack([y, (y.sum(axis=1) == 0).astype(int)[:, None]])


def _fit_predict(texts: list[str], vectors: np.ndarray, y: np.ndarray, train, test) -> np.ndarray:
    vecs = features.fit_vectorizers([texts[i] for i in train])
    a = features.transform_fitted(vecs, [texts[i] for i in train])
    b = features.transform_fitted(vecs, [texts[i] for i in test])
    tc, ti = fit_ovr(a, y[train], TEXT_C)
    ec, ei = fit_ovr(vectors[train], y[train], EMB_C)
    return BLEND * proba(b, tc, ti) + (1 - BLEND) * proba(vectors[test], ec, ei)


def _none_threshold(prob: np.ndarray, thresholds: np.ndarray, y: np.ndarray) -> float:
    """The "none" threshold with the best macro-F1 among those that reach the none-recall target."""
    from simulator.traps.detector import decide

    best = (-1.0, 1.0)
    for t in np.round(np.arange(0.30, 0.951, 0.01), 2):
        th = thresholds.copy()
        th[-1] = t
        _, passes, none = decide(prob, th)
        recall = none[y[:, -1] == 1].mean()
        if recall < NONE_RECALL_TARGET:
            continue
        m = _score_rows(prob, th, y)
        if m["macro_f1"] > best[0]:
            best = (m["macro_f1"], float(t))
    if best[0] < 0:
        log.warning("no none threshold reaches none-recall %.2f in the bank; using 0.30", NONE_RECALL_TARGET)
        return 0.30
    return best[1]


def _score_rows(prob: np.ndarray, thresholds: np.ndarray, y: np.ndarray) -> dict:
    from simulator.traps.detector import decide

    ids = (*pattern_ids(), NONE)
    margins, passes, none = decide(prob, thresholds)
    gold, ranked, decided = [], [], []
    for i in range(len(y)):
        gold.append([ids[j] for j in range(len(ids) - 1) if y[i, j]])
        order = [ids[j] for j in np.argsort(-margins[i], kind="stable")]
        at = 0 if none[i] else int(passes[i].sum())
        ranked.append([*order[:at], NONE, *order[at:]])
        decided.append([ids[j] for j in range(len(ids) - 1) if passes[i, j]])
    return score(gold, ranked, decided)


def _calibrate(prob: np.ndarray, y: np.ndarray) -> np.ndarray:
    th = np.array([best_f1_threshold(prob[:, j], y[:, j] == 1) for j in range(y.shape[1])])
    th[-1] = _none_threshold(prob, th, y)
    return th


def _encode(texts: list[str]) -> np.ndarray:
    return embeddings.encode_batch_job(texts)


def cross_file(report) -> dict:
    """Fit on all bank files but one, test on that one: how the method carries to another writer."""
    from simulator.core.datafiles import jsonl_objects
    from simulator.traps.patterns import BANK_DIR, same_text_key

    rows = list(bank())
    texts = [t for t, _ in rows]
    y = _targets(rows)
    vectors = _encode(texts)
    out = {}
    for path in sorted(BANK_DIR.glob("*.jsonl")):
        held = {same_text_key(r["text"]) for r in jsonl_objects(path)}
        test = np.array([i for i, t in enumerate(texts) if same_text_key(t) in held])
        train = np.array([i for i, t in enumerate(texts) if same_text_key(t) not in held])
        inner = out_of_fold(len(train), lambda a, b: _fit_predict(
            [texts[i] for i in train], vectors[train], y[train], a, b))
        th = _calibrate(inner, y[train])
        prob = _fit_predict(texts, vectors, y, train, test)
        m = _score_rows(prob, th, y[test])
        out[path.name] = {k: m[k] for k in ("items", "top1", "top2", "none_recall", "macro_f1")}
        report(f"held out {path.name}: {out[path.name]}")
    return out


def build_detector(out_path=None, report=print) -> dict:
    from simulator.traps.detector import MODEL_FILE, bank_fingerprint

    out_path = out_path or MODEL_FILE
    start = time.perf_counter()
    rows = list(bank())
    texts = [t for t, _ in rows]
    y = _targets(rows)
    report(f"bank: {len(rows)} thoughts, {int(y[:, -1].sum())} undistorted")
    vectors = _encode(texts)
    oof = out_of_fold(len(rows), lambda a, b: _fit_predict(texts, vectors, y, a, b))
    thresholds = _calibrate(oof, y)
    cv = _score_rows(oof, thresholds, y)
    vecs = features.fit_vectorizers(texts)
    tc, ti = fit_ovr(features.transform_fitted(vecs, texts), y, TEXT_C)
    ec, ei = fit_ovr(vectors, y, EMB_C)
    meta = {"bank": bank_fingerprint(), "bank_size": len(rows), "blend": BLEND,
            "none_recall_target": NONE_RECALL_TARGET,
            "bank_cv_tuned_on": {k: cv[k] for k in ("top1", "top2", "none_recall", "macro_f1")}}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_path, classes=np.array([*pattern_ids(), NONE]), text_coef=tc.astype(np.float16),
        text_intercept=ti, emb_coef=ec, emb_intercept=ei, blend=np.float32(BLEND),
        thresholds=thresholds.astype(np.float32), meta=np.array(json.dumps(meta)),
        **features.arrays_from_vectorizers(vecs))
    report(f"bank cross-validation (tuned on): {meta['bank_cv_tuned_on']}")
    report(f"thresholds: {dict(zip([*pattern_ids(), NONE], np.round(thresholds, 2).tolist()))}")
    report(f"wrote {out_path} ({out_path.stat().st_size // 1024} KiB) in {time.perf_counter() - start:.0f} s")
    return meta


# ------------------------------------------------------------------------------------- reframes

REFRAME_CS = (0.03, 0.1, 0.3, 1.0)  # candidate regularisation, chosen by grouped cross-validation


def _grouped_oof(groups: np.ndarray, fit_predict) -> np.ndarray:
    """Out-of-fold predictions where all reframes of one thought fall in the same fold."""
    from sklearn.model_selection import GroupKFold

    out = None
    for train, test in GroupKFold(n_splits=5).split(groups, groups=groups):
        part = fit_predict(train, test)
        if out is None:
            out = np.zeros((len(groups), part.shape[1]))
        out[test] = part
    return out


def _fit_strategy(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)
    return model


def build_reframe(out_path=None, report=print) -> dict:
    from simulator.traps.learn import best_accuracy_threshold
    from simulator.traps.reframe import (
        BANK_FILE,
        CRITERIA,
        MODEL_FILE,
        NO_STRATEGY,
        STRATEGIES,
        load_reframes,
        pair_features,
        word_rarity,
    )

    out_path = out_path or MODEL_FILE
    rows = load_reframes(BANK_FILE)
    thoughts = [r["thought"] for r in rows]
    reframes = [r["reframe"] for r in rows]
    groups = np.array([sorted(set(thoughts)).index(t) for t in thoughts])
    report(f"reframe bank: {len(rows)} reframes of {len(set(thoughts))} thoughts")
    t_vecs = _encode(thoughts)
    r_vecs = _encode(reframes)
    rarity = word_rarity(reframes)
    x = pair_features(thoughts, reframes, [r["context"] for r in rows], t_vecs, r_vecs, rarity)
    mean, sd = x.mean(axis=0), x.std(axis=0) + 1e-6
    xs = (x - mean) / sd
    y = np.array([[r["labels"][c] for c in CRITERIA] for r in rows], dtype=int)
    classes = (*STRATEGIES, NO_STRATEGY)
    ys = np.array([classes.index(r["labels"]["strategy"] or NO_STRATEGY) for r in rows])

    n_scalar = x.shape[1] - 2 * r_vecs.shape[1]
    dim = r_vecs.shape[1]
    # Feature groups a check may use; each check keeps the group set and regularisation that score
    # best in grouped cross-validation (fewer dimensions generalise better from a small bank).
    groups_of = {"cues": np.arange(n_scalar), "cues+reframe": np.arange(n_scalar + dim),
                 "cues+reframe+pair": np.arange(x.shape[1])}

    cv: dict = {}
    chosen: dict = {}
    for j, crit in enumerate(CRITERIA):
        trials = []
        for gname, cols in groups_of.items():
            for c in REFRAME_CS:
                oof = _grouped_oof(groups, lambda a, b: proba(xs[b][:, cols], *fit_ovr(xs[a][:, cols],
                                                                                     y[a, j:j + 1], c)))[:, 0]
                t = best_accuracy_threshold(oof, y[:, j] == 1)
                trials.append((float(((oof >= t) == (y[:, j] == 1)).mean()), c, t, gname))
        acc, c, t, gname = max(trials, key=lambda r: r[0])
        chosen[crit] = (c, t, gname)
        cv[crit] = round(acc, 3)
    s_trials = []
    for gname, cols in groups_of.items():
        for c in REFRAME_CS:
            oof = _grouped_oof(groups, lambda a, b: _fit_strategy(xs[a][:, cols], ys[a], c).predict_proba(xs[b][:, cols]))
            s_trials.append((float((oof.argmax(axis=1) == ys).mean()), c, gname))
    s_acc, s_c, s_group = max(s_trials, key=lambda r: r[0])
    cv["strategy"] = round(s_acc, 3)

    coefs, intercepts, thresholds = [], [], []
    for j, crit in enumerate(CRITERIA):
        c, t, gname = chosen[crit]
        cols = groups_of[gname]
        coef, icpt = fit_ovr(xs[:, cols], y[:, j:j + 1], c)
        full = np.zeros(x.shape[1], dtype=np.float32)
        full[cols] = coef[0]
        coefs.append(full)
        intercepts.append(icpt[0])
        thresholds.append(t)
    s_cols = groups_of[s_group]
    strat = _fit_strategy(xs[:, s_cols], ys, s_c)
    if len(strat.classes_) != len(classes):
        raise ValueError("the reframe bank needs examples of every strategy and of none")
    strat_coef = np.zeros((len(classes), x.shape[1]), dtype=np.float32)
    strat_coef[:, s_cols] = strat.coef_
    # "Addresses the thought" also needs this much thought-reframe similarity (x[:, 0], the first of
    # pair_features' scalars): the 2nd percentile over the bank's reframes that address their thought.
    min_similarity = round(float(np.percentile(x[y[:, CRITERIA.index("addresses_thought")] == 1, 0], 2)), 3)
    meta = {"bank_size": len(rows), "min_similarity": min_similarity, "chosen": {k: {"c": v[0], "features": v[2]} for k, v in chosen.items()},
            "strategy": {"c": s_c, "features": s_group},
            "bank_grouped_cv_accuracy_tuned_on": cv}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_path, criteria=np.array(CRITERIA), mean=mean.astype(np.float32), scale=sd.astype(np.float32),
        coef=np.array(coefs, dtype=np.float32), intercept=np.array(intercepts, dtype=np.float32),
        thresholds=np.array(thresholds, dtype=np.float32), strategy_classes=np.array(classes),
        strategy_coef=strat_coef, rarity_words=np.array(sorted(rarity)),
        rarity=np.array([rarity[w] for w in sorted(rarity)], dtype=np.float32), strategy_intercept=strat.intercept_.astype(np.float32),
        min_similarity=np.float64(min_similarity), meta=np.array(json.dumps(meta)))
    report(f"reframe checks, grouped cross-validation in the bank (tuned on): {cv}")
    report(f"wrote {out_path} ({out_path.stat().st_size // 1024} KiB)")
    return meta
