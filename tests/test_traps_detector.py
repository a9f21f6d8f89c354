"""The thinking-traps detector: accuracy on held-out thoughts, "none", the CLI, and the LLM path."""

import json

import pytest

from simulator.cli import main
from simulator.core.settings import LLMSettings, Settings
from simulator.traps.detector import detect, detect_offline
from simulator.traps.evaluation import evaluate
from simulator.traps.patterns import EVAL_FILE, NONE, exemplars, load_eval, pattern_ids

HOLDOUT = EVAL_FILE.with_name("patterns_holdout.jsonl")


def test_bank_has_twenty_original_thoughts_per_pattern_and_neutral_ones():
    rows = exemplars()
    for pid in pattern_ids():
        assert sum(label == pid for _, label in rows) >= 20, pid
    assert sum(label == NONE for _, label in rows) >= 20
    assert len({t.lower() for t, _ in rows}) == len(rows), "duplicate exemplars"


def test_evaluation_sets_are_separate_from_the_bank():
    bank = {t.lower() for t, _ in exemplars()}
    items = load_eval() + load_eval(HOLDOUT)
    assert len(load_eval()) >= 60
    assert not [t for t, _ in items if t.lower() in bank]
    assert {label for _, label in load_eval()} == set(pattern_ids()) | {NONE}


@pytest.mark.parametrize("path", [EVAL_FILE, HOLDOUT], ids=["eval", "holdout"])
def test_detector_meets_accuracy_targets(path):
    report = evaluate(path)
    assert report["top1"] >= 0.70, report["misses"]
    assert report["top2"] >= 0.85, report["misses"]
    assert set(report["neighbour_confusion"]) == {
        "discounting_the_positive/mental_filtering", "fortune_telling/catastrophizing", "personalization/labeling"}


def test_neutral_statement_is_none_and_a_clear_trap_is_ranked_first():
    assert detect_offline("I'll pick up some bread on the way back from work.").none
    hit = detect_offline("I spilled coffee on my shirt. I'm such a clumsy idiot.")
    assert not hit.none and hit.top == "labeling"
    assert [p.pattern for p in hit.patterns][:1] == ["labeling"]
    assert len(hit.patterns) == 10 and abs(sum(p.score for p in hit.patterns) - 1) < 0.01


def test_cli_detect_patterns_json(capsys):
    assert main(["detect-patterns", "--text", "My boss will fire me tomorrow, I just know it.", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["top"] in {"fortune_telling", "catastrophizing"}
    scores = [p["score"] for p in out["patterns"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 10


def _llm(server) -> Settings:
    return Settings(engine="llm", llm=LLMSettings(base_url=server.base_url, model="fake-model", max_retries=0,
                                                  timeout=5, structured_method="function_calling"))


def test_llm_path_uses_the_model_answer(openai_server):
    openai_server.script.structured_object = {
        "scores": [{"pattern": "should_statements", "score": 0.8}, {"pattern": "labeling", "score": 0.2}],
        "none": False}
    result = detect("I should never be late.", _llm(openai_server))
    assert result.engine == "fake-model" and result.top == "should_statements"
    assert result.patterns[1].pattern == "labeling"
    sent = json.dumps(openai_server.requests[-1])
    assert "Mind reading" in sent and "I should never be late." in sent


def test_llm_failure_falls_back_to_offline(openai_server):
    openai_server.script.fail_status = 500
    result = detect("I'm such an idiot.", _llm(openai_server))
    assert result.engine == "offline" and "offline detector used" in result.note
    assert result.top == "labeling"
