"""Appear confident, read from the whole message: small hedges spread over a message add up to a
message that does not sound confident; until the whole-message model is built (beside the
fine-tuned classifier, by prepare-models) the sentence rule decides and the log says so once; the
messages it learns from can never be an evaluation batch."""

from __future__ import annotations

import logging

import pytest

from simulator.dearman import confidence, pair_model
from simulator.dearman import evaluate as ev
from simulator.dearman.classifier import decide
from simulator.dearman.rater_offline import default_rater
from simulator.dearman.schema import MessageContext

SITUATION = "My neighbour borrowed my ladder three weeks ago and hasn't returned it; I need it for the gutters."
GOAL = "Get the ladder back by Friday evening."
SPREAD = "It's just that I need it for the gutters. Could you bring it round on Friday, maybe?"
PLAIN = "Tom, you borrowed my ladder three weeks ago. I need it back by Friday evening for the gutters."


def ctx(message: str) -> MessageContext:
    return MessageContext.checked(SITUATION, GOAL, message, "")


@pytest.fixture
def fresh_state():
    confidence.reset()
    pair_model.installed.reset()
    yield
    confidence.reset()
    pair_model.installed.reset()


def test_small_hedges_spread_over_a_message_add_up_to_not_confident(fresh_state):
    # make test builds the model (make prepare). No one sentence hedges enough for the sentence rule.
    assert confidence.model_path().exists()
    rater = default_rater()
    _, scores, thresholds, blended = rater.scores(ctx(SPREAD))
    assert blended and decide(scores, thresholds)["confident"] == "yes"
    rating = rater.rate(ctx(SPREAD)).confident
    assert rating.rating == "no" and "maybe" in rating.reason and rating.suggestion
    assert rater.rate(ctx(PLAIN)).confident.rating == "yes"


def test_until_the_model_is_built_the_sentence_rule_decides_and_says_so_once(tmp_path, monkeypatch, caplog,
                                                                           fresh_state):
    monkeypatch.setattr(confidence, "model_path", lambda: tmp_path / "dearman-confident-missing.npz")
    with caplog.at_level(logging.WARNING, logger="simulator.core.pair_encoder"):
        ratings = [default_rater().rate(ctx(SPREAD)).confident.rating for _ in range(3)]
    assert ratings == ["yes"] * 3
    assert caplog.text.count("Confident model is not built") == 1 and "prepare-models" in caplog.text


def test_a_damaged_model_file_is_logged_and_the_sentence_rule_decides(tmp_path, monkeypatch, caplog, fresh_state):
    broken = tmp_path / "dearman-confident-broken.npz"
    broken.write_bytes(b"not a numpy archive")
    monkeypatch.setattr(confidence, "model_path", lambda: broken)
    with caplog.at_level(logging.ERROR, logger="simulator"):
        assert default_rater().rate(ctx(SPREAD)).confident.rating == "yes"
        assert default_rater().rate(ctx(SPREAD)).confident.rating == "yes"
    assert caplog.text.count("Confident model failed") == 1


def test_the_messages_it_learns_from_are_refused_as_an_evaluation_batch():
    files = confidence.labelled_files()
    assert len(files) >= 8 and all(f.parent == confidence.LABELLED_DIR for f in files)
    row = ev.load_eval(files[0])[0]
    with pytest.raises(ev.EvaluationLeak):
        ev.check_disjoint([row])
    assert ev.BLIND_FILE.exists() and ev.BLIND_FILE not in files
