"""Reframe feedback: the four checks, the strategy, example reframes, the evaluation, the CLI and the
LLM path."""

import json
import logging

import pytest

from simulator.cli import main
from simulator.core.settings import LLMSettings, Settings
from simulator.core.text import text_key
from simulator.traps.engine import check_reframe
from simulator.traps.evaluation import BLIND_REFRAMES, OverlapError, evaluate_reframes
from simulator.traps.reframe import (
    BANK_FILE,
    CRITERIA,
    check_reframe_offline,
    drill_items,
    load_reframes,
)

THOUGHT = "I failed my first nursing exam. I'll never become a nurse."
CONTEXT = "Ana, 20, a first-year nursing student, failed one pharmacology exam."


def test_reframe_bank_is_labelled_for_every_check_and_apart_from_the_blind_set():
    rows = load_reframes(BANK_FILE)
    assert len(rows) >= 400 and len({r["thought"] for r in rows}) >= 50
    for c in CRITERIA:
        assert sum(not r["labels"][c] for r in rows) >= 50, c  # enough failures to learn each check
    for path in BLIND_REFRAMES.parent.glob("reframes*.jsonl"):  # every blind set
        blind = {text_key(r["reframe"]) for r in load_reframes(path)}
        shared = [n for n, r in enumerate(rows, 1) if text_key(r["reframe"]) in blind]
        # Bank line numbers only: a failure must not print a blind set's text.
        assert len(blind) >= 60 and not shared, f"{path.name} shares reframes with bank lines {shared}"


def test_balanced_specific_reframe_meets_all_four_checks():
    fb = check_reframe_offline(THOUGHT, "Failing one exam is disappointing, and it doesn't mean I can't become a "
                                        "nurse; I can resit it and ask my tutor what to work on.", CONTEXT)
    assert fb.met == 4, fb
    assert fb.strategy in {"growth_mindset", "neutralizing"}
    # The evidence quoted is the clause that weighs things up, never a lone cue word such as "one".
    assert fb.realistic.detail == ("It is balanced rather than simply upbeat "
                                   "(\u201cand it doesn't mean I can't become a nurse\u201d)."), fb.realistic.detail


def test_toxic_positivity_is_not_realistic_and_dismissing_the_feeling_is_caught():
    fb = check_reframe_offline(THOUGHT, "Everything will be fine! Don't be sad, you're amazing.", CONTEXT)
    assert not fb.realistic.ok and "merely positive" in fb.realistic.detail
    assert not fb.honours_feeling.ok
    assert fb.verdict == "needs work"


def test_off_topic_and_generic_reframes_fail_the_right_checks():
    off = check_reframe_offline(THOUGHT, "I love walking my dog on sunny afternoons.", CONTEXT)
    assert not off.addresses_thought.ok and off.met < 4
    generic = check_reframe_offline(THOUGHT, "Things change and this feeling will pass with time.", CONTEXT)
    specific = check_reframe_offline(THOUGHT, "One failed pharmacology exam in first year can be resat; it says "
                                              "nothing yet about the nurse Ana will be.", CONTEXT)
    # A slogan that fits anyone is judged less likely to keep the context than one with Ana's details.
    assert generic.keeps_context.confidence < specific.keeps_context.confidence and specific.keeps_context.ok
    assert generic.strategy == "impermanence"


def test_examples_come_from_the_drill_bank():
    item = drill_items()[0]
    fb = check_reframe_offline(item["thought"], "It might be nothing serious.", item["context"], item["id"])
    assert fb.examples == item["reframes"][:2]
    nearest = check_reframe_offline("My mole looks odd; it must be cancer and my kids will lose me.", "Maybe not.")
    assert nearest.examples == item["reframes"][:2]


def test_reframe_evaluation_reports_each_check_and_refuses_overlap(tmp_path, capsys):
    report = evaluate_reframes()
    assert report["kind"] == "blind" and report["items"] >= 60
    assert set(report["accuracy"]) == {*CRITERIA, "strategy"}
    # Floors well under the README's figures: a lost model or calibration shows here.
    assert all(report["accuracy"][c] >= 0.70 for c in CRITERIA), report["accuracy"]
    row = load_reframes(BANK_FILE)[0]
    leaky = tmp_path / "leaky.jsonl"
    leaky.write_text(json.dumps({"thought": row["thought"], "reframe": row["reframe"].lower(),
                                 "labels": row["labels"]}) + "\n")
    with pytest.raises(OverlapError):
        evaluate_reframes(leaky)
    assert main(["eval-reframes", "--file", str(leaky)]) == 2
    assert "reframe training bank" in capsys.readouterr().err


def test_a_reframe_written_for_another_thought_does_not_address_this_one():
    interview = ("This interview didn't lead to an offer, and that hurts. But one interview isn't every interview; "
                 "I got to the final round last month, so I can ask for feedback and use it next time.")
    fb = check_reframe_offline("A good mum cooks a proper meal every night. I should be able to manage.", interview,
                               "Bea, 35, a mother of two, felt exhausted and ordered takeaway instead of cooking.")
    assert not fb.addresses_thought.ok and "speaks to the thought itself" not in fb.addresses_thought.detail
    assert fb.verdict != "strong"


def test_the_evaluation_sets_each_addressing_reframe_against_another_thought(tmp_path, capsys):
    ok = {"addresses_thought": True, "realistic": True, "keeps_context": True, "honours_feeling": True,
          "strategy": "neutralizing"}
    rows = [
        {"thought": "My sourdough collapsed again, I will never be able to bake bread.",
         "reframe": "Two flat loaves tell me the proving time is off, not that baking is beyond me; "
                    "I can try a shorter prove on Sunday.", "labels": ok},
        {"thought": "My sourdough collapsed again, I will never be able to bake bread.",
         "reframe": "Cheer up, it's only bread.", "labels": {**ok, "addresses_thought": False}},
        {"thought": "The new manager didn't say hello this morning, she must dislike me.",
         "reframe": "She walked past in a rush with her phone out; one missed hello says more about her "
                    "morning than about what she thinks of me.", "labels": ok},
    ]
    path = tmp_path / "two_thoughts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    off = evaluate_reframes(path)["off_topic"]
    # Only the reframes that answer their own thought are crossed, each with the other thought.
    assert off["pairs"] == 2 and set(off["caught"]) == {"addresses_thought", "keeps_context"}
    assert main(["eval-reframes", "--file", str(path)]) == 0
    assert "off-topic: 2 reframes set against another thought of the set" in capsys.readouterr().out


def test_cli_check_reframe_json(capsys):
    assert main(["check-reframe", "--thought", THOUGHT, "--reframe", "Stop worrying, it's not a big deal.",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["honours_feeling"]["ok"] is False and out["criteria_met"] < 4 and out["examples"]


def test_llm_judge_and_its_logged_fallback(openai_server, caplog):
    settings = Settings(engine="llm", llm=LLMSettings(base_url=openai_server.base_url, model="fake-model",
                                                      max_retries=0, timeout=5))
    ok = {"ok": True, "why": "fine"}
    openai_server.script.structured_object = {"addresses_thought": ok, "realistic": ok, "keeps_context": ok,
                                              "honours_feeling": {"ok": False, "why": "It tells her not to be sad."},
                                              "strategy": "optimism"}
    fb = check_reframe(THOUGHT, "Don't be sad, it might go well.", CONTEXT, settings=settings)
    assert fb.engine == "fake-model" and fb.strategy == "optimism" and fb.met == 3
    assert fb.honours_feeling.detail == "It tells her not to be sad." and fb.examples
    openai_server.script.fail_status = 503
    with caplog.at_level(logging.WARNING, logger="simulator"):
        fb = check_reframe(THOUGHT, "Don't be sad, it might go well.", CONTEXT, settings=settings)
    assert fb.engine == "offline" and "offline checker used" in fb.note
    assert any("reframe check" in r.getMessage() and "offline answer" in r.getMessage() for r in caplog.records)
