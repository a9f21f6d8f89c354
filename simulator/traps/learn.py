"""Small learning helpers for the thinking-trap models: one-vs-rest logistic regression stored as
plain weight arrays, out-of-fold probabilities for calibration, and threshold choice.

scikit-learn fits the weights (at build time only); predicting needs nothing but numpy.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

FOLDS = 5
SEED = 0
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


def fit_ovr(features, targets: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """One balanced logistic regression per column of `targets` (0/1); returns (coef, intercept)."""
    solver = "liblinear" if hasattr(features, "tocsr") else "lbfgs"
    coefs, intercepts = [], []
    for j in range(targets.shape[1]):
        model = LogisticRegression(C=c, class_weight="balanced", solver=solver, max_iter=5000)
        model.fit(features, targets[:, j])
        coefs.append(model.coef_[0])
        intercepts.append(model.intercept_[0])
    return np.array(coefs, dtype=np.float32), np.array(intercepts, dtype=np.float32)


def proba(features, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    z = features @ coef.T + intercept
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def out_of_fold(n: int, fit_predict, folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """Probabilities for every row from a model that never saw it: fit_predict(train_idx, test_idx)."""
    out = None
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(np.arange(n)):
        part = fit_predict(train, test)
        if out is None:
            out = np.zeros((n, part.shape[1]))
        out[test] = part
    return out


def f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = int((predicted & gold).sum())
    fp = int((predicted & ~gold).sum())
    fn = int((~predicted & gold).sum())
    return 2 * tp / max(2 * tp + fp + fn, 1)


def best_f1_threshold(prob: np.ndarray, gold: np.ndarray) -> float:
    scores = [f1(prob >= t, gold) for t in THRESHOLD_GRID]
    return float(THRESHOLD_GRID[int(np.argmax(scores))])


def best_accuracy_threshold(prob: np.ndarray, gold: np.ndarray) -> float:
    """The threshold with the best balanced accuracy (mean of the recall of each side)."""
    def balanced(t: float) -> float:
        pred = prob >= t
        pos = pred[gold].mean() if gold.any() else 1.0
        neg = (~pred[~gold]).mean() if (~gold).any() else 1.0
        return (pos + neg) / 2
    scores = [balanced(t) for t in THRESHOLD_GRID]
    return float(THRESHOLD_GRID[int(np.argmax(scores))])


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))
