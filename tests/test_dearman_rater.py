"""The offline DEAR MAN rater: accuracy over the held-out eval set, explainable feedback, bad input."""

from __future__ import annotations

import json
import re

import pytest

from simulator.dearman.evaluate import evaluate, load_eval
from simulator.dearman.exemplars import EXEMPLARS_DIR, ExemplarFileError, load_bank
from simulator.dearman.rater_offline import default_rater, sentences
from simulator.dearman.schema import SKILLS, STRATEGIES, InputRejected, MessageContext

SITUATION = "My brother has borrowed my laptop for three weeks and hasn't given it back."
GOAL = "Get my brother to return the laptop by Sunday."


def rate(message: str, partner_last: str = ""):
    return default_rater().rate(MessageContext.checked(SITUATION, GOAL, message, partner_last))


@pytest.fixture(scope="module")
def report():
    return evaluate(default_rater().rate)


def test_offline_rater_meets_the_accuracy_targets_on_the_held_out_eval_set(report):
    assert report["messages"] >= 80
    assert report["macro_used_f1"] >= 0.75, report["skills"]
    assert report["macro_strong_f1"] >= 0.65, report["skills"]
    assert report["skills"]["mindful"]["accuracy"] >= 0.8
    assert report["skills"]["confident"]["accuracy"] >= 0.8


def test_the_eval_set_shares_no_text_with_the_exemplar_bank():
    bank = load_bank()
    bank_texts = {ex.text.casefold() for skill in SKILLS for ex in bank.examples[skill]}
    for row in load_eval():
        for sentence in sentences(row["message"]):
            assert sentence.casefold() not in bank_texts, sentence


def test_the_bank_has_fifteen_examples_per_skill_and_level():
    bank = load_bank()
    for skill in SKILLS:
        levels = ("strong", "weak", "none") if skill in STRATEGIES else ("yes", "no")
        for level in levels:
            assert sum(ex.level == level for ex in bank.examples[skill]) >= 15, (skill, level)


def test_a_broken_bank_file_is_reported_by_file_and_field(tmp_path):
    for path in EXEMPLARS_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    data = json.loads((tmp_path / "express.json").read_text())
    data["examples"][0]["level"] = "excellent"
    (tmp_path / "express.json").write_text(json.dumps(data))
    with pytest.raises(ExemplarFileError) as err:
        load_bank(tmp_path)
    assert err.value.file == "express.json" and "examples.0.level" in err.value.field


def test_a_full_dear_man_message_is_strong_on_the_strategies_it_uses():
    r = rate("You've had my laptop since the 2nd, three weeks now, and I've asked for it twice. "
             "I feel frustrated because I need it for my course. Please bring it back by Sunday. "
             "If you do, I'll lend you my tablet next weekend instead.")
    assert r.describe.rating == "strong" and r.express.rating == "strong"
    assert r.assert_.rating == "strong" and r.reinforce.rating == "strong"
    assert r.mindful.rating == "yes" and r.confident.rating == "yes"
    assert r.describe.suggestion == "" and r.assert_.suggestion == ""
    assert "I feel frustrated" in r.express.reason  # the reason quotes the words it rests on


def test_a_hedged_apologetic_draft_gets_weak_ratings_suggestions_and_a_direct_rewrite():
    r = rate("Sorry, um, I know you're busy, but maybe you could possibly think about the laptop at some point?")
    assert r.assert_.rating == "weak" and r.confident.rating == "no"
    assert r.describe.rating == "none" and r.describe.suggestion
    assert r.confident.suggestion and "sorry" in r.confident.reason.lower()
    assert "sorry" not in r.rewrite.lower() and "maybe" not in r.rewrite.lower()
    assert "return the laptop by Sunday" in r.rewrite  # the goal becomes the request


def test_a_counter_attack_is_not_mindful():
    r = rate("Oh please, you're the one who broke my headphones last year, so don't lecture me.",
             partner_last="You're so dramatic about everything.")
    assert r.mindful.rating == "no" and r.mindful.suggestion


def test_every_skill_has_a_reason_and_the_json_shape_is_the_documented_one():
    out = rate("I need the laptop back by Sunday.").as_json()
    assert list(out) == ["describe", "express", "assert", "reinforce", "negotiate", "mindful", "confident", "rewrite"]
    for skill in SKILLS:
        assert set(out[skill]) == {"rating", "reason", "suggestion"} and out[skill]["reason"]


@pytest.mark.parametrize("field", ["situation", "goal", "message"])
@pytest.mark.parametrize("bad", ["", "   ", "x" * 2001])
def test_empty_or_over_long_input_is_rejected_with_a_clear_message(field, bad):
    values = {"situation": SITUATION, "goal": GOAL, "message": "Please return it.", field: bad}
    with pytest.raises(InputRejected) as err:
        MessageContext.checked(values["situation"], values["goal"], values["message"])
    text = str(err.value)
    assert field in text.lower()
    assert ("empty" in text) if not bad.strip() else re.search(r"2,001 characters; the limit is 2,000", text)
