"""Scenario files: the shipped library, and broken files reported by file, field and problem."""

from __future__ import annotations

import json

import pytest

from simulator.dearman.scenarios import SCENARIOS_DIR, ScenarioLibrary, custom_scenario
from simulator.dearman.schema import InputRejected


def test_the_library_has_twelve_scenarios_across_settings_and_difficulties():
    lib = ScenarioLibrary.load()
    assert not lib.errors
    assert len(lib) >= 12
    assert {s.category for s in lib} == {"work", "family", "friends", "services"}
    difficulties = [s.difficulty for s in lib]
    assert min(difficulties) <= 2 and max(difficulties) >= 8
    assert [s.difficulty for s in lib] == sorted(difficulties)  # listed easy to hard


def copy_library(tmp_path):
    for path in SCENARIOS_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    return tmp_path


def test_a_broken_file_is_reported_and_the_good_ones_still_load(tmp_path):
    folder = copy_library(tmp_path)
    data = json.loads((folder / "gym-cancellation.json").read_text())
    data["difficulty"] = 12
    data["counterpart"]["objections"] = ["Only one."]
    data["mood"] = "grumpy"
    (folder / "gym-cancellation.json").write_text(json.dumps(data))
    (folder / "broken.json").write_text("{not json")
    lib = ScenarioLibrary.load(folder)
    assert "gym-cancellation" not in lib.scenarios and len(lib) == len(list(SCENARIOS_DIR.glob("*.json"))) - 1
    problems = {(e.file, e.field): e.problem for e in lib.errors}
    assert problems[("gym-cancellation.json", "difficulty")] == "must be at most 9"
    assert problems[("gym-cancellation.json", "counterpart.objections")] == "needs at least 3 items"
    assert problems[("gym-cancellation.json", "mood")] == "unknown field (a scenario has no such field)"
    assert problems[("broken.json", "")].startswith("not valid JSON at line 1")
    assert str(lib.errors[0]).count(":") >= 1


def test_a_file_whose_id_does_not_match_its_name_is_refused(tmp_path):
    folder = copy_library(tmp_path)
    (folder / "gym-cancellation.json").rename(folder / "gym.json")
    lib = ScenarioLibrary.load(folder)
    assert any(e.file == "gym.json" and e.field == "id" for e in lib.errors)


def test_a_custom_scenario_checks_the_trainees_text():
    s = custom_scenario("My friend keeps borrowing money.", "Say no to lending more.", "Alex", difficulty=3)
    assert s.counterpart.name == "Alex" and s.difficulty == 3 and len(s.counterpart.objections) >= 3
    with pytest.raises(InputRejected, match="situation is empty"):
        custom_scenario(" ", "Say no.", "Alex")
    with pytest.raises(InputRejected, match="goal is 2,001 characters"):
        custom_scenario("Something happened.", "g" * 2001, "Alex")
