"""How far a figure read on one evaluation set could move on another set of the same kind and size.

A blind set holds about 15 messages per move or 16 graded interviews: one miss moves a move's F1 by
about 0.03, and 16 of 16 right is also what a method right 90% of the time gives one time in five.
The evaluation commands print these intervals beside their figures so that a target read on one
set is not taken for more than it shows. Percentile bootstrap over the set's items, and the exact
(Clopper-Pearson) interval for a proportion (scipy); both at LEVEL, with a fixed seed so a report
reads the same every time.

The bootstrap resamples here rather than through scipy.stats.bootstrap: a per-label figure is
undefined (NaN) in a resample that happens to hold none of that label's items, and such resamples
must be left out of that figure only; scipy's interval takes them in and warns.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

LEVEL = 0.9
RESAMPLES = 2000


def f1_columns(gold: np.ndarray, predicted: np.ndarray, absent: float = 1.0) -> np.ndarray:
    """F1 of each column of boolean item-by-label matrices; `absent` for a label that neither the
    gold nor the predictions hold (1.0 when choosing thresholds, NaN when reporting)."""
    tp = (gold & predicted).sum(axis=0)
    wrong = (gold ^ predicted).sum(axis=0)
    denominator = 2 * tp + wrong
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), absent)


def bootstrap(n_items: int, statistic: Callable[[np.ndarray], float | np.ndarray],
              level: float = LEVEL, resamples: int = RESAMPLES, seed: int = 0) -> list[list[float] | None] | None:
    """The percentile bootstrap interval [low, high] of each figure `statistic` gives (one, or an
    array of them) for an array of item indices (a resample of the set, with repeats); a single
    figure gives a single interval. None for a set of fewer than two items, and for a figure that
    is undefined (NaN) in every resample; a resample where a figure is undefined is left out of
    that figure's interval."""
    if n_items < 2:
        return None
    rng = np.random.default_rng(seed)
    draws = np.array([np.asarray(statistic(rng.integers(0, n_items, n_items)), float)
                      for _ in range(resamples)])
    single = draws.ndim == 1
    draws = draws.reshape(resamples, -1)
    tail = (1.0 - level) / 2.0
    out: list[list[float] | None] = []
    for column in draws.T:
        defined = column[~np.isnan(column)]
        out.append(None if not len(defined) else
                   [round(float(np.quantile(defined, tail)), 3), round(float(np.quantile(defined, 1.0 - tail)), 3)])
    return out[0] if single else out


def proportion(successes: int, trials: int, level: float = LEVEL) -> list[float] | None:
    """The exact interval of a proportion (e.g. interviews where risk asked / not asked agreed)."""
    from scipy import stats  # here: scipy.stats takes a second to import, and F1 alone does without it

    if trials == 0:
        return None
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    return [round(float(ci.low), 3), round(float(ci.high), 3)]


def span(interval: list[float] | None) -> str:
    """An interval as the reports print it: "0.85-0.90" ("" for none)."""
    if not interval or any(math.isnan(x) for x in interval):
        return ""
    return f"{interval[0]:.2f}-{interval[1]:.2f}"


def described(interval: list[float] | None, level: float = LEVEL) -> str:
    """' (90% interval 0.85-0.90)' after a figure that has one, else ''."""
    band = span(interval)
    return f" ({level:.0%} interval {band})" if band else ""
