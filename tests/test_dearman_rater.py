"""The offline DEAR MAN rater: accuracy on the blind batch, the training bank and its guard,
explainable feedback in plain words, bad input."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

from simulator.dearman import classifier
from simulator.dearman import evaluate as ev
from simulator.dearman.bank import (
    BANK_DIR,
    BankFileError,
    as_eval_rows,
    default_messages,
    load_messages,
)
from simulator.dearman.exemplars import EXEMPLARS_DIR, ExemplarFileError, load_bank
from simulator.dearman.rater_offline import default_rater
from simulator.dearman.schema import SKILLS, STRATEGIES, InputRejected, MessageContext

SITUATION = "My brother has borrowed my laptop for three weeks and hasn't given it back."
GOAL = "Get my brother to return the laptop by Sunday."
INTERNAL = re.compile(r"\b(?:bank|exemplars?|the bank's example|cues?|centroids?|neighbou?rs?|classifiers?|model|probabilit\w*|"
                      r"scores?|thresholds?|regex|knn|embedding\w*|trained|training)\b", re.IGNORECASE)


def rate(message: str, partner_last: str = "", situation: str = SITUATION, goal: str = GOAL):
    return default_rater().rate(MessageContext.checked(situation, goal, message, partner_last))


# -- the blind batch --

@pytest.fixture(scope="module")
def blind_report():
    return ev.evaluate(default_rater().rate)


def test_offline_rater_holds_its_figures_on_the_blind_batch(blind_report):
    # Regression floor on batch Q, a little under what the sentence classifiers learning from batches
    # A-G measured when they were adopted (README: used 0.865, Strong 0.893, Mindful 0.945, Confident
    # 0.991); the used and Strong floors are over what the rater before them gave there (used 0.845,
    # Strong 0.851), the Mindful and Confident floors are not (0.954, 0.982).
    assert blind_report["messages"] >= 100
    assert "errors" not in blind_report  # the blind batch's misses are never listed
    assert blind_report["macro_used_f1"] >= 0.86, blind_report["skills"]
    assert blind_report["macro_strong_f1"] >= 0.88, blind_report["skills"]
    assert blind_report["skills"]["mindful"]["accuracy"] >= 0.93
    assert blind_report["skills"]["confident"]["accuracy"] >= 0.97


def test_the_blind_batch_shares_no_text_with_the_training_bank():
    ev.check_disjoint(ev.load_eval())  # raises EvaluationLeak otherwise; the message names no text


def test_an_evaluation_set_copied_from_the_bank_is_refused_even_reworded_in_case_and_punctuation():
    rows = as_eval_rows(default_messages()[:3])
    with pytest.raises(ev.EvaluationLeak, match="3 evaluation item"):
        ev.evaluate(default_rater().rate, rows)
    sentence = max((p.text for p in default_messages()[0].parts), key=len)
    assert len(sentence.split()) >= ev.MIN_SHARED_WORDS
    shouted = {**rows[0], "message": "Hello there. " + sentence.upper().replace(",", " ,")}
    with pytest.raises(ev.EvaluationLeak):
        ev.check_disjoint([shouted])
    ev.check_disjoint([{**rows[0], "message": "A sentence nobody has written in the bank before, about kites."}])


@pytest.mark.parametrize("args", [[], ["--file", str(ev.BLIND_FILE)]])
def test_the_command_line_never_lists_a_blind_batchs_misses(capsys, args):
    assert all(Path(a).exists() for a in args[1:])
    with pytest.raises(SystemExit):
        ev.main([*args, "--errors"])
    assert "blind" in capsys.readouterr().err


def test_a_second_coders_agreement_is_counted_per_skill_and_a_missing_label_is_refused(tmp_path, capsys):
    full = {"describe": "strong", "express": "strong", "assert": "strong", "reinforce": "weak",
            "negotiate": "none", "mindful": "yes", "confident": "yes"}
    rows = [{"id": f"m{n}", "situation": "s", "goal": "g", "partner_last": "", "message": f"message {n}",
             "labels": {**full, "express": "none" if n % 2 else "strong"}} for n in range(6)]
    batch, second = tmp_path / "batch.jsonl", tmp_path / "second.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # The second coder hears a feeling in every message: half of the batch's Express calls differ.
    second.write_text("".join(json.dumps({"id": r["id"], "labels": full}) + "\n" for r in rows))
    assert ev.main(["--file", str(batch), "--second-coder", str(second)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["skills"]["describe"]["exact"] == 1.0 and out["skills"]["mindful"]["accuracy"] == 1.0
    assert out["skills"]["express"]["exact"] == 0.5
    low, high = out["intervals"]["macro_used_f1"]  # half of Express differs: the figure moves by resample
    assert low <= out["macro_used_f1"] <= high and low < high
    assert out["intervals"]["mindful"] == [1.0, 1.0]
    second.write_text("".join(json.dumps({"id": r["id"], "labels": full}) + "\n" for r in rows[:4]))
    assert ev.main(["--file", str(batch), "--second-coder", str(second)]) == 2
    assert "no labels for 2 message(s)" in capsys.readouterr().err


# -- the training bank and the stored model --

def test_the_bank_is_large_varied_and_derives_message_labels_from_sentence_tags():
    messages = default_messages()
    assert len(messages) >= 700 and len({m.group for m in messages}) >= 50
    for skill in STRATEGIES:
        for level in ("none", "weak", "strong"):
            assert sum(m.labels[skill] == level for m in messages) >= 20, (skill, level)
    assert sum(len(m.parts) >= 3 for m in messages) >= 200
    for m in messages:
        flags = set().union(*(p.flags for p in m.parts))
        if m.labels["describe"] == "strong":
            assert not flags & {"judgement", "off_goal"}, m.source  # facts mixed with judgement are weak
        assert (m.labels["mindful"] == "no") == bool(flags & {"off_goal", "gives_up"}), m.source


def test_a_broken_bank_line_is_reported_by_file_line_and_field(tmp_path):
    (tmp_path / "messages").mkdir()
    (tmp_path / "situations.json").write_text((BANK_DIR / "situations.json").read_text())
    good = {"sit": "roommate-bills", "parts": [["I need the $140 by Friday.", "A2"]]}
    bad = {"sit": "roommate-bills", "parts": [["I need the $140 by Friday.", "A3"]]}
    (tmp_path / "messages" / "x.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(BankFileError) as err:
        load_messages(tmp_path)
    assert err.value.file == "x.jsonl:2" and "parts" in err.value.field and "A3" in str(err.value)
    (tmp_path / "messages" / "x.jsonl").write_text(json.dumps({**good, "sit": "nowhere"}) + "\n")
    with pytest.raises(BankFileError, match="nowhere"):
        load_messages(tmp_path)


def test_the_stored_model_was_trained_on_the_current_bank():
    # Editing the bank or the features without `python -m simulator.dearman.classifier train`
    # would leave a stale model (it would then be retrained at start-up, slowly, with a warning).
    model = classifier.Model.load()
    assert model.meta["fingerprint"] == classifier.training_fingerprint()
    assert set(model.heads) == set(classifier.HEADS)


def test_two_first_requests_at_once_share_one_model_loaded_once(monkeypatch):
    loads: list[int] = []

    def slow_load() -> classifier.Model:  # a load (or a retraining) takes a while
        loads.append(threading.get_ident())
        time.sleep(0.2)
        return classifier.Model(heads={}, thresholds={})

    monkeypatch.setattr(classifier, "_model", None)  # a fresh process: nothing loaded yet
    monkeypatch.setattr(classifier, "_load_or_train", slow_load)
    start = threading.Barrier(2)
    got: list[classifier.Model] = []

    def first_request() -> None:
        start.wait()
        got.append(classifier.default_model())

    threads = [threading.Thread(target=first_request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(got) == 2 and got[0] is got[1]
    assert len(loads) == 1
    assert classifier.default_model() is got[0] and len(loads) == 1  # later requests reuse it


def test_the_sentence_exemplars_still_have_fifteen_per_skill_and_level():
    bank = load_bank()
    for skill in SKILLS:
        levels = ("strong", "weak", "none") if skill in STRATEGIES else ("yes", "no")
        for level in levels:
            assert sum(ex.level == level for ex in bank.examples[skill]) >= 15, (skill, level)


def test_a_broken_exemplar_file_is_reported_by_file_and_field(tmp_path):
    for path in EXEMPLARS_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    data = json.loads((tmp_path / "express.json").read_text())
    data["examples"][0]["level"] = "excellent"
    (tmp_path / "express.json").write_text(json.dumps(data))
    with pytest.raises(ExemplarFileError) as err:
        load_bank(tmp_path)
    assert err.value.file == "express.json" and "examples.0.level" in err.value.field


# -- what the trainee sees --

def test_a_full_dear_man_message_is_strong_on_the_strategies_it_uses():
    r = rate("You've had my laptop since the 2nd, three weeks now, and I've asked for it twice. "
             "I feel frustrated because I need it for my course. Please bring it back by Sunday. "
             "If you do, you can borrow my tablet next weekend.")
    assert r.describe.rating == "strong" and r.express.rating == "strong"
    assert r.assert_.rating == "strong" and r.reinforce.rating == "strong"
    assert r.mindful.rating == "yes" and r.confident.rating == "yes"
    assert r.describe.suggestion == "" and r.assert_.suggestion == ""
    assert "I feel frustrated" in r.express.reason  # the reason quotes the trainee's own words


def test_an_attack_phrased_as_a_question_is_not_mindful_and_gets_a_note_on_the_judgement():
    r = rate("You never pay anyone back, Marcus. Where's my money?",
             situation="My friend Marcus borrowed $200 from me in June and promised to pay it back in July; it is now October.",
             goal="Get Marcus to agree to a date for paying back the $200.")
    assert r.mindful.rating == "no" and r.mindful.suggestion
    assert r.describe.rating != "strong"
    assert "never" in r.describe.reason and "judg" in r.describe.reason


def test_a_judgement_on_an_otherwise_calm_message_is_named():
    r = rate("Keeping my laptop for three weeks is really selfish. Please bring it back by Sunday.")
    assert "selfish" in r.describe.reason or "selfish" in r.mindful.reason
    assert r.describe.rating != "strong"


def test_a_payment_plan_with_dates_is_a_concrete_negotiation():
    r = rate("Marcus, could you pay $100 on the 1st of November and the other $100 on the 15th?",
             situation="My friend Marcus borrowed $200 from me in June and promised to pay it back in July; it is now October.",
             goal="Get Marcus to agree to a date for paying back the $200.")
    assert r.negotiate.rating == "strong" and r.assert_.rating == "strong"


def test_a_short_hedged_request_is_a_weak_assert():
    from simulator.dearman.scenarios import ScenarioLibrary

    scenario = ScenarioLibrary.load().get("restaurant-wrong-order")  # the DEAR MAN page's first draft
    r = rate("sorry, maybe you could possibly bring another dish?", scenario.counterpart.opening,
             situation=scenario.situation, goal=scenario.goal)
    assert r.assert_.rating == "weak" and r.confident.rating == "no"


def test_a_hedged_apologetic_draft_gets_weak_ratings_suggestions_and_a_direct_rewrite():
    r = rate("Sorry, um, I know you're busy, but maybe you could possibly think about the laptop at some point?")
    assert r.assert_.rating == "weak" and r.confident.rating == "no"
    assert r.describe.rating == "none" and r.describe.suggestion
    assert r.confident.suggestion and "sorry" in r.confident.reason.lower()
    assert "sorry" not in r.rewrite.lower() and "maybe" not in r.rewrite.lower()
    assert "return the laptop by Sunday" in r.rewrite  # the goal becomes the request


def test_hedges_cut_from_the_rewrite_take_their_commas_with_them():
    # One hedge each: two would make the request an optional favour (Assert weak), rewritten from the goal.
    for hedged in ("Could you, I guess, bring the laptop back on Sunday?", "Could you bring the laptop back on Sunday, maybe?"):
        r = rate(hedged)
        assert r.assert_.rating == "strong" and "Could you bring the laptop back on Sunday?" in r.rewrite
    kept = rate("If Sunday is hard, maybe Monday morning before work?")  # a comma of the sentence stays
    assert kept.negotiate.rating == "strong" and "If Sunday is hard, Monday morning before work?" in kept.rewrite


def test_a_hedging_tail_the_feedback_names_is_cut_from_the_rewrite():
    r = rate("Could you bring the laptop back on Sunday, if that's okay?")
    assert r.confident.rating == "no" and "if that's okay" in r.confident.reason
    assert "Could you bring the laptop back on Sunday?" in r.rewrite and "okay" not in r.rewrite


def test_a_weak_request_gets_the_advice_that_fits_why_it_is_weak():
    hinted = rate("Where's my money?").assert_
    assert hinted.rating == "weak" and "hedge" not in hinted.suggestion.lower() and "hinting" in hinted.suggestion
    hedged = rate("Sorry, could you maybe bring the laptop back at some point, if that's okay?").assert_
    assert hedged.rating == "weak" and "hedges" in hedged.suggestion


def test_a_request_hedged_twice_is_weak_and_the_rewrite_asks_from_the_goal():
    r = rate("Could you, maybe, bring the laptop back on Sunday, perhaps?")
    assert r.assert_.rating == "weak"  # the manual's A1: hedged into an optional favour
    assert "return the laptop by Sunday" in r.rewrite and "maybe" not in r.rewrite and "perhaps" not in r.rewrite


def test_a_counter_attack_is_not_mindful():
    r = rate("Oh please, you're the one who broke my headphones last year, so don't lecture me.",
             partner_last="You're so dramatic about everything.")
    assert r.mindful.rating == "no" and r.mindful.suggestion


def test_giving_up_and_a_side_attack_get_the_advice_that_fits_each():
    gave_up = rate("Oh, you're using it for school? Never mind then, no worries, keep it.")
    attacked = rate("Oh please, you're the one who broke my headphones last year, so don't lecture me.",
                    partner_last="You're so dramatic about everything.")
    assert gave_up.mindful.rating == attacked.mindful.rating == "no"
    assert "side issue" not in gave_up.mindful.suggestion and "again" in gave_up.mindful.suggestion
    assert "side issue" in attacked.mindful.suggestion


def test_what_kind_of_is_not_quoted_back_as_a_hedge():
    r = rate("My laptop has been at yours for three weeks and I need it for work. Please bring it back by "
             "Sunday. What kind of brother keeps it this long?")
    assert "kind of" not in r.confident.reason
    hedged = rate("I kind of need the laptop back by Sunday.")
    assert "\u201ckind of\u201d" in hedged.confident.reason
    asked = rate("I need the laptop back by Sunday. Is that kind of okay?")
    assert "\u201ckind of\u201d" in asked.confident.reason


def test_no_reason_or_suggestion_ever_shows_internal_words():
    messages = [m.message for m in default_messages()[::7]] + [
        "ok", "You never pay anyone back. Where's my money?", "I guess I'm kind of upset, maybe?",
        "How about $50 a week until it's paid?", "Fine, forget it.", "lol whatever"]
    for message in messages:
        r = rate(message)
        for skill in SKILLS:
            item = r.get(skill)
            for text in (item.reason, item.suggestion):
                ours = re.sub("\u201c[^\u201d]*\u201d", "", text)  # the trainee's own words, quoted, may say anything
                assert not INTERNAL.search(ours), (message, skill, text)
                assert "{" not in text and "}" not in text, (message, skill, text)


def test_every_skill_has_a_reason_and_the_json_shape_is_the_documented_one():
    out = rate("I need the laptop back by Sunday.").as_json()
    assert list(out) == ["describe", "express", "assert", "reinforce", "negotiate", "mindful", "confident", "rewrite",
                         "judging"]
    for skill in SKILLS:
        # Mindful also says how a message left the goal ("gave_up" or "sidetracked"; null when it did not).
        extra = {"off_goal"} if skill == "mindful" else set()
        assert set(out[skill]) == {"rating", "reason", "suggestion"} | extra and out[skill]["reason"]
    assert out["mindful"]["rating"] == "yes" and out["mindful"]["off_goal"] is None
    assert out["judging"] is False
    assert rate("You're such a flake. When will you pay me back the $200?").judging


@pytest.mark.parametrize("field", ["situation", "goal", "message"])
@pytest.mark.parametrize("bad", ["", "   ", "x" * 2001])
def test_empty_or_over_long_input_is_rejected_with_a_clear_message(field, bad):
    values = {"situation": SITUATION, "goal": GOAL, "message": "Please return it.", field: bad}
    with pytest.raises(InputRejected) as err:
        MessageContext.checked(values["situation"], values["goal"], values["message"])
    text = str(err.value)
    assert field in text.lower()
    assert ("empty" in text) if not bad.strip() else re.search(r"2,001 characters; the limit is 2,000", text)
