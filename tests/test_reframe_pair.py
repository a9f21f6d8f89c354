"""The reframe checks' pair classifier: built from a bank, read back, blended with the regression; and
the checks still work (regression alone, logged once) while it is not built or is broken."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import onnx
import pytest

from simulator.traps import reframe, reframe_pair
from simulator.traps.reframe import BANK_FILE, CRITERIA, check_reframe_offline, load_reframes

THOUGHT = "My sister didn't text back all weekend. She must be sick of me."
INSTALLED = reframe_pair.model_path()  # the build make test made (make prepare)
GOOD = "She was at a wedding on Saturday and she's slow to reply when she's busy, so the silence may not be about me."


@pytest.fixture
def fresh_state():
    reframe_pair.installed.reset()
    yield
    reframe_pair.installed.reset()


def test_a_pair_classifier_built_on_part_of_the_bank_reads_pairs_back(tmp_path, monkeypatch, fresh_state):
    target = tmp_path / "reframe-encoder.onnx"
    monkeypatch.setattr(reframe_pair, "RECIPE", dataclasses.replace(reframe_pair.RECIPE, epochs=2))
    rows = load_reframes(BANK_FILE)[:80]
    assert reframe_pair.build(rows, target) == target and not list(tmp_path.glob("*.part*"))
    # Shipped with int8 weights, for the check's speed and the process's memory.
    assert any(w.data_type == onnx.TensorProto.INT8 for w in onnx.load(str(target)).graph.initializer)
    met, strategy = reframe_pair.judge([THOUGHT, THOUGHT], [GOOD, "Cheer up!"], ["", ""], path=target)
    assert met.shape == (2, len(CRITERIA)) and strategy.shape == (2, len(reframe_pair.CLASSES))
    assert np.allclose(strategy.sum(axis=1), 1.0, atol=1e-5)


def test_without_the_pair_classifier_the_checks_use_the_regression_and_say_so(tmp_path, monkeypatch, caplog,
                                                                              fresh_state):
    monkeypatch.setattr(reframe_pair, "model_path", lambda: tmp_path / "not-built.onnx")
    with caplog.at_level(logging.WARNING, logger="simulator.core.pair_encoder"):
        good = check_reframe_offline(THOUGHT, GOOD)
        check_reframe_offline(THOUGHT, "Stop being so dramatic, nobody cares about texts.")
    assert good.addresses_thought.ok and good.realistic.ok
    assert caplog.text.count("reframe classifier is not built") == 1 and "prepare-models" in caplog.text


def test_a_broken_pair_classifier_file_does_not_stop_the_checks(tmp_path, monkeypatch, caplog, fresh_state):
    broken = tmp_path / "reframe-encoder-broken.onnx"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(reframe_pair, "model_path", lambda: broken)
    with caplog.at_level(logging.ERROR, logger="simulator.core.pair_encoder"):
        first = check_reframe_offline(THOUGHT, GOOD)
        check_reframe_offline(THOUGHT, "Everything will be perfect from now on!")
    assert first.addresses_thought.ok
    assert caplog.text.count("fine-tuned reframe classifier failed") == 1


def test_the_installed_checks_blend_the_pair_classifier_with_the_regression(fresh_state):
    # make test builds it (make prepare); a check's confidence is the documented blend.
    assert reframe_pair.model_path().exists()
    fine_met, _ = reframe_pair.judge([THOUGHT], [GOOD], [""])
    met, _, thresholds = reframe.judge([THOUGHT], [GOOD], [""])
    fb = check_reframe_offline(THOUGHT, GOOD)
    assert np.all(thresholds == reframe.BLEND_THRESHOLD)
    for j, c in enumerate(CRITERIA):
        assert getattr(fb, c).confidence == pytest.approx(float(met[0, j]), abs=1e-3)
    # the blend lies between its two parts, weighted toward the pair classifier
    regression = met[0] - reframe.PAIR_WEIGHT * fine_met[0]
    assert np.all(regression >= -1e-6) and np.all(regression <= 1 - reframe.PAIR_WEIGHT + 1e-6)


def test_a_pair_classifier_built_while_the_app_runs_is_taken_up_without_a_restart(tmp_path, monkeypatch,
                                                                                 caplog, fresh_state):
    # `make run` serves while the classifiers are fine-tuned in the background.
    later = tmp_path / "reframe-encoder-later.onnx"
    monkeypatch.setattr(reframe_pair, "model_path", lambda: later)
    monkeypatch.setattr(reframe_pair.installed, "RECHECK_SECONDS", 0.0)
    assert reframe_pair.judge([THOUGHT], [GOOD], [""]) is None  # not built yet: the regression alone
    before = check_reframe_offline(THOUGHT, GOOD)
    later.write_bytes(INSTALLED.read_bytes())
    with caplog.at_level(logging.INFO, logger="simulator.core.pair_encoder"):
        fine = reframe_pair.judge([THOUGHT], [GOOD], [""])
    assert fine is not None and "reframe classifier is built now" in caplog.text
    after = check_reframe_offline(THOUGHT, GOOD)
    assert np.allclose(fine[0], reframe_pair.judge([THOUGHT], [GOOD], [""], path=INSTALLED)[0])
    assert after.addresses_thought.confidence != pytest.approx(before.addresses_thought.confidence, abs=1e-6)


def test_a_missing_pair_classifier_is_not_looked_for_on_every_reframe(tmp_path, monkeypatch, fresh_state):
    looked = []
    monkeypatch.setattr(reframe_pair, "model_path", lambda: looked.append(1) or tmp_path / "never.onnx")
    for _ in range(5):
        check_reframe_offline(THOUGHT, GOOD)
    assert len(looked) == 1  # once, then again only after RECHECK_SECONDS
