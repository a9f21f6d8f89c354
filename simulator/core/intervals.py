"""How far a figure read on one evaluation set could move on another set of the same kind and size.

A blind set holds about 15 messages per move or 16 graded interviews: one miss moves a move's F1 by
about 0.03, and 16 of 16 right is also what a method right 90% of the time gives one time in five.
The evaluation commands print these intervals beside their figures so that a target read on one
set is not taken for more than it shows. Percentile bootstrap over the set's items (scipy), and the
exact (Clopper-Pearson) interval for a proportion; both at LEVEL, with a fixed seed so a report
reads the same every time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

LEVEL = 0.9
RESAMPLES = 2000


def bootstrap(n_items: int, statistic: Callable[[np.ndarray], np.ndarray],
              level: float = LEVEL, resamples: int = RESAMPLES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Low and high ends of the percentile bootstrap interval of `statistic`, which maps an array
    of item indices (a resample of the set, with repeats) to one figure or an array of figures.
    A figure that a resample leaves undefined (NaN: a label no resampled item has) is left out of
    that figure's percentiles."""
    result = stats.bootstrap((np.arange(n_items),), lambda idx: np.asarray(statistic(idx.astype(int)), float),
                             vectorized=False, n_resamples=resamples, method="percentile",
                             confidence_level=level, rng=np.random.default_rng(seed))
    tail = (1.0 - level) / 2.0 * 100.0
    dist = np.asarray(result.bootstrap_distribution, float)
    with np.errstate(all="ignore"):
        low = np.nanpercentile(dist, tail, axis=-1)
        high = np.nanpercentile(dist, 100.0 - tail, axis=-1)
    return low, high


def proportion(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact interval of a proportion (e.g. interviews where risk asked / not asked agreed)."""
    if trials == 0:
        return (0.0, 1.0)
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    return (float(ci.low), float(ci.high))


def span(low: float, high: float) -> str:
    """An interval as the reports print it: "0.85-0.90"."""
    return f"{low:.2f}-{high:.2f}"
