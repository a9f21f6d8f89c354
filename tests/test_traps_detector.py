"""The thinking-traps detector: bank and model, multi-label decisions, "none", evaluation that refuses
to flatter, the CLI, and the LLM path with its logged fallback."""

import ast
import json
import logging

import pytest

from simulator.cli import main
from simulator.core.settings import ROOT, LLMSettings, Settings
from simulator.core.text import text_key
from simulator.traps.detector import (
    MODEL_FILE,
    bank_fingerprint,
    calibration,
    detect_offline,
)
from simulator.traps.engine import detect
from simulator.traps.evaluation import OverlapError, evaluate_patterns
from simulator.traps.patterns import (
    BLIND_FILES,
    EVAL_FILE,
    NONE,
    bank,
    load_eval,
    pattern_ids,
    same_text_key,
)

HOLDOUT = EVAL_FILE.with_name("patterns_holdout.jsonl")


def test_bank_is_large_varied_and_free_of_duplicates():
    rows = bank()
    for pid in pattern_ids():
        assert sum(pid in labels for _, labels in rows) >= 150, pid
    assert sum(not labels for _, labels in rows) >= 200
    assert sum(len(labels) > 1 for _, labels in rows) >= 200  # thoughts showing several patterns
    assert len({same_text_key(t) for t, _ in rows}) == len(rows)


def test_shipped_model_was_fitted_on_this_bank():
    assert MODEL_FILE.exists()
    assert calibration()["bank_fingerprint"] == bank_fingerprint(), (
        "the training bank changed: run `python -m simulator build-trap-models`")


def test_no_evaluation_thought_is_in_the_training_bank():
    seen = {text_key(t) for t, _ in bank()}
    for path in (*BLIND_FILES, EVAL_FILE, HOLDOUT):
        assert not [t for t, _ in load_eval(path) if text_key(t) in seen], path.name


def test_evaluation_refuses_a_set_that_overlaps_the_bank(tmp_path, capsys):
    text, labels = bank()[0]
    leaky = tmp_path / "leaky.jsonl"
    # Same thought with different case, spacing and punctuation still counts as the same.
    leaky.write_text(json.dumps({"text": "  " + text.upper().rstrip(".") + " ", "labels": list(labels)}) + "\n")
    with pytest.raises(OverlapError):
        evaluate_patterns([leaky])
    assert main(["eval-patterns", "--file", str(leaky)]) == 2
    assert "also appear in the thinking-trap training bank" in capsys.readouterr().err


def test_evaluation_reports_every_figure_per_file_and_combined():
    report = evaluate_patterns([EVAL_FILE, HOLDOUT])
    assert set(report["files"]) == {EVAL_FILE.name, HOLDOUT.name}
    for r in (*report["files"].values(), report["combined"]):
        assert r["kind"] == "tuned-on"
        assert {"top1", "top2", "none_recall", "macro_f1", "per_label"} <= set(r)
        assert 0 <= r["top1"] <= r["top2"] <= 1
    assert report["combined"]["items"] == sum(r["items"] for r in report["files"].values())
    assert "misses" not in report["files"][EVAL_FILE.name]


def test_blind_sets_are_reported_without_their_items():
    report = evaluate_patterns(with_misses=True)
    assert [r["kind"] for r in report["files"].values()] == ["blind", "blind"]
    assert all("misses" not in r for r in report["files"].values())
    combined = report["combined"]
    # Floors well under the figures in the README: a broken model or a lost calibration shows here.
    assert combined["top1"] >= 0.70 and combined["top2"] >= 0.85
    assert combined["none_recall"] >= 0.60 and combined["macro_f1"] >= 0.60


def test_neutral_everyday_thoughts_are_none():
    for text in ("I'll pick up some bread on the way back from work.",
                 "bus was late again so i texted my boss i'd be ten mins behind",
                 "The plumber is coming on Thursday morning to look at the boiler."):
        result = detect_offline(text)
        assert result.none and result.passing == [] and result.ranked_labels()[0] == NONE, text


def test_clear_traps_lead_and_a_thought_can_show_several():
    assert detect_offline("I spilled coffee on my shirt. I'm such a clumsy idiot.").top == "labeling"
    assert detect_offline("I should always be on top of everything, no excuses.").top == "should_statements"
    both = detect_offline("I failed one exam, so I'll fail every exam I ever take. I'm a complete idiot.")
    # "every exam" from one exam reads as overgeneralization or all-or-nothing; the label is plain.
    assert "labeling" in both.passing and {"overgeneralization", "all_or_nothing"} & set(both.passing)
    # The ranked list keeps all ten, best first; the passing ones come first.
    assert len(both.patterns) == 10
    assert [p.pattern for p in both.patterns][:len(both.passing)] == both.passing


def test_cli_detect_patterns_json_keeps_the_ranking_and_adds_what_passes(capsys):
    assert main(["detect-patterns", "--text", "My boss will fire me tomorrow, I just know it.", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["top"] in {"fortune_telling", "catastrophizing"}
    assert out["passing"] and out["passing"][0] == out["top"]
    ranked = [p["pattern"] for p in out["patterns"]]
    assert sorted(ranked) == sorted(pattern_ids()) and ranked[:len(out["passing"])] == out["passing"]
    assert all(p["passes"] == (p["pattern"] in out["passing"]) for p in out["patterns"])


def test_detector_and_reframe_never_import_the_llm_judge():
    for name in ("detector", "reframe", "patterns", "features", "learn", "metrics"):
        tree = ast.parse((ROOT / "simulator" / "traps" / f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {"simulator.traps.llm_judge", "simulator.traps.engine"} & imported, name


def _llm(server) -> Settings:
    return Settings(engine="llm", llm=LLMSettings(base_url=server.base_url, model="fake-model", max_retries=0,
                                                  timeout=5, structured_method="function_calling"))


def test_llm_path_uses_the_model_answer(openai_server):
    openai_server.script.structured_object = {
        "scores": [{"pattern": "should_statements", "score": 0.8}, {"pattern": "labeling", "score": 0.6},
                   {"pattern": "mind_reading", "score": 0.1}],
        "none": False}
    result = detect("I should never be late.", _llm(openai_server))
    assert result.engine == "fake-model" and result.top == "should_statements"
    assert result.passing == ["should_statements", "labeling"]
    sent = json.dumps(openai_server.requests[-1])
    assert "Mind reading" in sent and "I should never be late." in sent


def test_llm_failure_falls_back_to_offline_and_logs_why(openai_server, caplog):
    openai_server.script.fail_status = 500
    with caplog.at_level(logging.WARNING, logger="simulator"):
        result = detect("I'm such an idiot.", _llm(openai_server))
    assert result.engine == "offline" and "offline detector used" in result.note
    assert result.top == "labeling"
    assert any("thinking-trap detection" in r.getMessage() and "offline answer" in r.getMessage() for r in caplog.records)


def test_stored_ngram_weights_rebuild_the_fitted_vectors_exactly():
    import numpy as np

    from simulator.traps import features

    texts = [t for t, _ in bank()][:300]
    fitted = features.fit_vectorizers(texts)
    blocks = features.blocks_from_arrays(features.arrays_from_vectorizers(fitted))
    probe = [*texts[:20], "im not gonna make it, everyone will see im a fraud", "Totally new words: zyxwv."]
    assert np.allclose(features.transform(blocks, probe).toarray(), features.transform_fitted(fitted, probe).toarray(),
                       atol=1e-5)
