"""The intervals the evaluation commands print beside their figures."""

import warnings

import numpy as np

from simulator.cbt import move_eval
from simulator.core import intervals


def test_sixteen_right_of_sixteen_still_allows_a_rate_near_83_percent():
    assert intervals.proportion(16, 16) == [0.829, 1.0]  # 0.05 ** (1 / 16) at the 90% level
    assert intervals.proportion(14, 16) == [0.656, 0.977]
    assert intervals.proportion(0, 0) is None


def test_a_bootstrap_interval_holds_the_figure_narrows_with_more_items_and_reads_the_same_twice():
    rng = np.random.default_rng(3)
    small, large = rng.random(40) < 0.8, rng.random(400) < 0.8
    lo_s, hi_s = intervals.bootstrap(len(small), lambda idx: small[idx].mean())
    lo_l, hi_l = intervals.bootstrap(len(large), lambda idx: large[idx].mean())
    assert lo_s <= small.mean() <= hi_s and lo_l <= large.mean() <= hi_l
    assert hi_l - lo_l < (hi_s - lo_s) / 2
    assert intervals.bootstrap(len(small), lambda idx: small[idx].mean()) == [lo_s, hi_s]
    assert intervals.bootstrap(1, lambda idx: 1.0) is None  # one item: nothing to resample


def _scores(n: int, names=("reflect", "validate", "other", "ask_risk")) -> move_eval.Scores:
    scores = move_eval.Scores(names)
    for k in range(n):
        gold = {"reflect"} if k % 3 else {"validate"}
        scores.add(gold, gold if k % 7 else {"other"})
    return scores


def test_move_evaluation_gives_each_move_and_macro_f1_an_interval_around_its_figure():
    scores = _scores(60)
    summary, bands = scores.summary(), scores.bootstrap_intervals()
    low, high = bands["macro_f1"]
    assert low <= summary["macro_f1"] <= high and high - low > 0.02
    assert set(bands["per_label"]) == set(summary["per_label"])
    for move, (low, high) in bands["per_label"].items():
        assert low <= summary["per_label"][move]["f1"] <= high, move
    assert bands["per_label"]["other"] == [0.0, 0.0]  # predicted, never gold: no resample can score it


def test_a_label_seen_once_gets_an_interval_without_warnings_and_one_message_gets_none():
    scores = _scores(30)
    scores.add({"ask_risk"}, {"ask_risk"})  # in about a third of resamples it is missing altogether
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bands = scores.bootstrap_intervals()
    assert bands["per_label"]["ask_risk"] == [1.0, 1.0]
    one = move_eval.Scores(move_eval.MOVES)
    one.add({"reflect"}, {"reflect"})
    assert one.bootstrap_intervals()["macro_f1"] is None


def test_the_move_report_prints_the_intervals():
    scores = move_eval.Scores(move_eval.MOVES)
    for k in range(30):
        scores.add({"reflect"}, {"reflect"} if k % 5 else {"validate"})
    report = {"set.jsonl": {"moves": {**scores.summary(), "intervals": scores.bootstrap_intervals()},
                            "risk_aspects": move_eval.Scores(move_eval.ASPECTS).summary()}}
    text = move_eval.format_report(report)
    assert "macro-F1" in text and "(90% interval " in text
    reflect = next(line for line in text.splitlines() if line.strip().startswith("reflect"))
    f1, band = float(reflect.split()[3]), reflect.split()[-1]
    low, high = (float(x) for x in band.split("-"))
    assert low < f1 < high  # 24 of 30 found: F1 0.889, somewhere between about 0.8 and 0.95
