"""The intervals the evaluation commands print beside their figures."""

import numpy as np

from simulator.cbt import move_eval
from simulator.core import intervals


def test_sixteen_right_of_sixteen_still_allows_a_rate_near_83_percent():
    low, high = intervals.proportion(16, 16)
    assert high == 1.0 and 0.82 < low < 0.84  # 0.05 ** (1 / 16) at the 90% level
    low, high = intervals.proportion(14, 16)
    assert low < 14 / 16 < high


def test_a_bootstrap_interval_holds_the_figure_narrows_with_more_items_and_reads_the_same_twice():
    rng = np.random.default_rng(3)
    small, large = rng.random(40) < 0.8, rng.random(400) < 0.8
    lo_s, hi_s = intervals.bootstrap(len(small), lambda idx: small[idx].mean())
    lo_l, hi_l = intervals.bootstrap(len(large), lambda idx: large[idx].mean())
    assert lo_s <= small.mean() <= hi_s and lo_l <= large.mean() <= hi_l
    assert hi_l - lo_l < (hi_s - lo_s) / 2
    assert intervals.bootstrap(len(small), lambda idx: small[idx].mean()) == (lo_s, hi_s)


def test_move_evaluation_gives_each_move_and_macro_f1_an_interval_around_its_figure():
    scores = move_eval.Scores(("reflect", "validate", "other"))
    for k in range(60):
        gold = {"reflect"} if k % 3 else {"validate"}
        predicted = gold if k % 7 else {"other"}
        scores.add(gold, predicted)
    summary, bands = scores.summary(), scores.intervals()
    low, high = bands["macro_f1"]
    assert low <= summary["macro_f1"] <= high and high - low > 0.02
    assert set(bands["per_label"]) == set(summary["per_label"])
    for move, (low, high) in bands["per_label"].items():
        assert low <= summary["per_label"][move]["f1"] <= high, move
    assert bands["per_label"]["other"] == [0.0, 0.0]  # predicted, never gold: no resample can score it


def test_the_move_report_prints_the_intervals(capsys):
    scores = move_eval.Scores(move_eval.MOVES)
    for k in range(30):
        scores.add({"reflect"}, {"reflect"} if k % 5 else {"validate"})
    report = {"set.jsonl": {"moves": {**scores.summary(), "intervals": scores.intervals()},
                            "risk_aspects": move_eval.Scores(move_eval.ASPECTS).summary()}}
    text = move_eval.format_report(report)
    assert "macro-F1" in text and "(90% interval " in text
    reflect = next(line for line in text.splitlines() if line.strip().startswith("reflect"))
    f1, band = float(reflect.split()[3]), reflect.split()[-1]
    low, high = (float(x) for x in band.split("-"))
    assert low < f1 < high  # 24 of 30 found: F1 0.889, somewhere between about 0.8 and 0.95
