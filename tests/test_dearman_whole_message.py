"""DEAR MAN skills read from the whole message: small hedges spread over a message add up to a
message that does not sound confident; until the whole-message model is built (beside the
fine-tuned classifier, by prepare-models) the sentence rule decides and the log says so once; a
damaged model file is logged and never breaks a rating; the messages it learns from can never be an
evaluation batch."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from simulator.dearman import evaluate as ev
from simulator.dearman import pair_model, whole_message
from simulator.dearman.classifier import decide
from simulator.dearman.rater_offline import default_rater
from simulator.dearman.schema import MessageContext

SITUATION = "My neighbour borrowed my ladder three weeks ago and hasn't returned it; I need it for the gutters."
GOAL = "Get the ladder back by Friday evening."
SPREAD = "I just need it for the gutters. Could you bring it round on Friday, if that's okay?"
PLAIN = "Tom, you borrowed my ladder three weeks ago. I need it back by Friday evening for the gutters."


def ctx(message: str) -> MessageContext:
    return MessageContext.checked(SITUATION, GOAL, message, "")


def sentence_rule(message: str) -> str:
    """Confident as the sentence rule alone decides it (what the rater says without the whole-message model)."""
    _, scores, thresholds, _ = default_rater().scores(ctx(message))
    return decide(scores, thresholds)["confident"]


@pytest.fixture
def fresh_state():
    whole_message.reset()
    pair_model.installed.reset()
    yield
    whole_message.reset()
    pair_model.installed.reset()


def test_small_hedges_spread_over_a_message_add_up_to_not_confident(fresh_state):
    # make test builds the model (make prepare). No one sentence hedges enough for the sentence rule.
    assert whole_message.model_path().exists()
    rater = default_rater()
    _, scores, thresholds, blended = rater.scores(ctx(SPREAD))
    assert blended and decide(scores, thresholds)["confident"] == "yes"
    rating = rater.rate(ctx(SPREAD)).confident
    assert rating.rating == "no" and "if that's okay" in rating.reason and rating.suggestion
    assert rater.rate(ctx(PLAIN)).confident.rating == "yes"


def test_the_built_model_says_which_skills_it_decides_and_why(fresh_state):
    model = whole_message.installed()
    assert model is not None
    groups = model.meta["groups"]
    assert set(groups) == set(whole_message.GROUPS)
    for group, chosen in groups.items():
        held = {d for d, (g, _, _) in whole_message.decisions().items() if g == group}
        # a group is decided whole only when, leaving one writer out, it beat the sentence rule
        beat = round(chosen["leave_one_file_out"][str(chosen["C"])] - chosen["sentence_rule"], 3) >= whole_message.GATE
        assert chosen["whole_message"] == beat
        assert (held <= set(model.heads)) == beat and (held.isdisjoint(model.heads)) == (not beat)


def test_whole_message_decisions_keep_a_strong_strategy_used():
    levels = {"describe": "none", "express": "weak", "assert": "strong", "reinforce": "none", "negotiate": "none",
              "mindful": "yes", "confident": "yes"}
    out = whole_message.apply(levels, {"describe.used": True, "describe.strong": False, "express.strong": True,
                                       "assert.used": False, "assert.strong": True, "confident": True})
    assert out["describe"] == "weak" and out["express"] == "strong"
    assert out["assert"] == "strong"  # strong says used, whatever the used decision said
    assert out["confident"] == "no" and out["mindful"] == "yes" and out["reinforce"] == "none"


def test_until_the_model_is_built_the_sentence_rule_decides_and_says_so_once(tmp_path, monkeypatch, caplog,
                                                                           fresh_state):
    monkeypatch.setattr(whole_message, "model_path", lambda: tmp_path / "dearman-whole-missing.npz")
    with caplog.at_level(logging.WARNING, logger="simulator.core.pair_encoder"):
        ratings = [default_rater().rate(ctx(SPREAD)).confident.rating for _ in range(3)]
    assert ratings == [sentence_rule(SPREAD)] * 3
    assert caplog.text.count("whole-message model is not built") == 1 and "prepare-models" in caplog.text


def test_a_damaged_model_file_is_logged_and_the_sentence_rule_decides(tmp_path, monkeypatch, caplog, fresh_state):
    broken = tmp_path / "dearman-whole-broken.npz"
    broken.write_bytes(b"not a numpy archive")
    monkeypatch.setattr(whole_message, "model_path", lambda: broken)
    with caplog.at_level(logging.ERROR, logger="simulator"):
        assert default_rater().rate(ctx(SPREAD)).confident.rating == sentence_rule(SPREAD)
        assert default_rater().rate(ctx(SPREAD)).confident.rating == sentence_rule(SPREAD)
    assert caplog.text.count("whole-message model failed") == 1


def test_a_saved_model_loads_with_the_same_decisions(tmp_path, fresh_state):
    model = whole_message.installed()
    path = tmp_path / "copy.npz"
    model.save(path)
    again = whole_message.WholeMessageModel.load(path)
    assert model.heads and set(again.heads) == set(model.heads) and again.meta == model.meta
    for d in model.heads:
        assert np.allclose(again.heads[d].coef, model.heads[d].coef)
    rater = default_rater()
    for message in (SPREAD, PLAIN):
        _, sc, th, _ = rater.scores(ctx(message))
        levels = decide(sc, th)
        assert again.decide(sc.per_sentence, message, levels) == model.decide(sc.per_sentence, message, levels)


def test_the_messages_it_learns_from_are_refused_as_an_evaluation_batch():
    files = whole_message.labelled_files()
    assert len(files) >= 9 and all(f.parent == whole_message.LABELLED_DIR for f in files)
    row = ev.load_eval(files[0])[0]
    with pytest.raises(ev.EvaluationLeak):
        ev.check_disjoint([row])
    blind = sorted(ev.BLIND_FILE.parent.glob("dearman_*.jsonl"))
    assert ev.BLIND_FILE in blind
    for path in blind:
        ev.check_disjoint(ev.load_eval(path))  # every blind batch, not only the default one


def test_a_labelled_file_with_a_missing_label_names_its_line(tmp_path):
    bad = tmp_path / "dearman_x.jsonl"
    bad.write_text('{"situation": "s", "goal": "g", "message": "m", "labels": {"describe": "none"}}\n',
                   encoding="utf-8")
    with pytest.raises(ValueError, match="dearman_x.jsonl line 1: missing labels.express"):
        whole_message.labelled_rows(bad)
    bad.write_text("\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: not a JSON object"):
        whole_message.labelled_rows(bad)


def test_a_judging_message_describes_weakly_at_best(fresh_state):
    # Read whole, these plain facts make Describe strong; the judging sentence holds it at weak.
    r = default_rater().rate(ctx("Tom, you borrowed my ladder on the 3rd of March, three weeks ago, and said you'd "
                                 "bring it back that weekend. You've been really inconsiderate about it. "
                                 "I need it back by Friday evening."))
    assert r.describe.rating != "strong"


def test_a_short_attack_on_the_person_is_not_mindful_whatever_the_rest_of_the_message_asks(fresh_state):
    # The coding manual's own example of an attack; read whole, writers' batches let it pass.
    assert whole_message.installed() is not None
    r = default_rater().rate(MessageContext.checked(
        "My friend Marcus borrowed $200 from me in June and promised to pay it back in July; it is now October.",
        "Get Marcus to agree to a date for paying back the $200.",
        "You're such a flake. When will you pay me back the $200?", ""))
    assert r.mindful.rating == "no" and r.mindful.suggestion


def test_the_model_is_named_by_the_sentence_rule_it_must_beat(monkeypatch):
    from simulator.dearman import classifier

    before = whole_message.model_path()
    monkeypatch.setattr(classifier, "BLEND_THRESHOLDS", {**classifier.BLEND_THRESHOLDS, "hedge": 0.6})
    assert whole_message.model_path() != before


def test_the_model_is_named_by_how_a_message_is_cut_into_sentences(monkeypatch, tmp_path):
    # It learns from per-sentence scores: another segmentation must not reuse a model built on the old one.
    before = whole_message.model_path()
    changed = tmp_path / "features.py"
    changed.write_text(Path(whole_message.segmentation.__file__).read_text(encoding="utf-8") + "\n# cut differently\n",
                       encoding="utf-8")
    monkeypatch.setattr(whole_message.segmentation, "__file__", str(changed))
    assert whole_message.model_path() != before
