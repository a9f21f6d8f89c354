"""The DEAR MAN classifier that reads each sentence with the other person's last line: built from a
bank, read back by the rater, blended with the regression; and rating still works (with the
regression alone, and a logged warning) while it is not built or is broken."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from simulator.dearman import classifier, pair_model
from simulator.dearman.rater_offline import default_rater
from simulator.dearman.schema import MessageContext

SITUATION = "My flatmate keeps borrowing my bike without asking."
GOAL = "Get my flatmate to ask before taking my bike."
JAB = "Oh come on, you never even ride it. You're so precious about your stuff."


def rate(message: str, partner_last: str = ""):
    return default_rater().rate(MessageContext.checked(SITUATION, GOAL, message, partner_last))


@pytest.fixture
def fresh_state():
    pair_model.installed.reset()
    yield
    pair_model.installed.reset()


def test_a_pair_classifier_built_on_a_small_bank_learns_its_labels(tmp_path, fresh_state):
    from simulator.dearman.bank import default_messages

    target = tmp_path / "dearman-encoder.onnx"
    # alone, without the exemplars: the full recipe (three epochs) in about two minutes beside the suite
    messages = default_messages()[:90]
    assert pair_model.build(messages, target) == target and not list(tmp_path.glob("*.part"))
    got = pair_model.sentence_proba(["Could you pay me the $140 by Friday?", "Sorry, it's probably nothing."],
                                    "Get Sam to pay the $140 he owes by Friday.", "", path=target)
    assert got is not None and set(got) == set(classifier.HEADS)
    assert got["assert"].shape == (2, 3) and np.allclose(got["assert"].sum(axis=1), 1.0, atol=1e-5)
    assert got["assert"][0].argmax() > 0  # the plain request is read as asserting


def test_without_the_pair_classifier_the_rater_uses_the_regression_and_says_so(tmp_path, monkeypatch, caplog,
                                                                                fresh_state):
    monkeypatch.setattr(pair_model, "model_path", lambda: tmp_path / "not-built.onnx")
    with caplog.at_level(logging.WARNING, logger="simulator.core.pair_encoder"):
        first = rate("Please ask me before you take the bike, even by text.")
        rate("I need you to ask first.", JAB)
    assert first.assert_.rating == "strong"
    assert caplog.text.count("not built") == 1 and "prepare-models" in caplog.text


def test_a_broken_pair_classifier_file_does_not_stop_the_rating(tmp_path, monkeypatch, caplog, fresh_state):
    broken = tmp_path / "dearman-encoder-broken.onnx"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(pair_model, "model_path", lambda: broken)
    with caplog.at_level(logging.ERROR, logger="simulator.core.pair_encoder"):
        first = rate("Please ask me before you take the bike, even by text.")
        second = rate("Whatever, forget it, take it whenever.", JAB)
    assert first.assert_.rating == "strong" and second.mindful.rating == "no"
    assert caplog.text.count("fine-tuned DEAR MAN classifier failed") == 1


def test_the_installed_rater_blends_the_pair_classifier_with_the_regression(fresh_state):
    # make test builds it (make prepare); a sentence's probability is the documented blend.
    assert pair_model.model_path().exists()
    ctx = MessageContext.checked(SITUATION, GOAL, "And you never pay for anything either, do you?", JAB)
    rater = default_rater()
    parts, scores, thresholds, blended = rater.scores(ctx)
    fine = pair_model.sentence_proba(parts, GOAL, JAB)
    assert blended and thresholds == classifier.BLEND_THRESHOLDS
    regression_only = classifier.combine(rater.model.sentence_proba(_features(parts, ctx)))
    want = (1 - classifier.PAIR_WEIGHT) * regression_only.offgoal + classifier.PAIR_WEIGHT * float(fine["offgoal"].max())
    assert len(parts) == 1 and scores.offgoal == pytest.approx(want, abs=1e-6)


def _features(parts, ctx):
    from simulator.core import embeddings
    from simulator.dearman import features

    vecs = embeddings.encode(parts)
    goal = np.repeat(embeddings.encode_one(ctx.goal)[None, :], len(parts), axis=0)
    partner = np.repeat(embeddings.encode_one(ctx.partner_last)[None, :], len(parts), axis=0)
    return features.matrix(parts, vecs, goal, partner)


def test_a_counter_attack_on_the_other_persons_jab_is_not_mindful_and_a_return_to_the_goal_is():
    attack = rate("At least I don't leave the kitchen like a pigsty every night.", JAB)
    back = rate("Maybe so. Either way, I'd like you to ask me before you take the bike.", JAB)
    assert attack.mindful.rating == "no" and back.mindful.rating == "yes"


def test_the_classifier_is_named_by_how_its_training_sentences_are_labelled(monkeypatch):
    # Relabelling the bank's sentences in code alone (no data file changed) must build a new classifier,
    # not silently reuse the one trained on the old labels.
    before = pair_model.model_path()

    def relabelled(messages, with_exemplars=True):
        return pair_model.units(messages, with_exemplars)

    monkeypatch.setattr(pair_model, "units", relabelled)
    assert pair_model.model_path() != before
