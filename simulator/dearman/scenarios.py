"""DEAR MAN scenarios: one validated JSON file per scenario in data/scenarios/.

Like the case library, a broken file never hides the good ones: each problem becomes a
`ScenarioFileError` (file, field, problem), worded by the library's one translator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.core.datafiles import DataFileError, load_model_file, validate_file_data
from simulator.core.settings import DATA_DIR
from simulator.dearman.schema import CounterpartSpec, Scenario, check_text

SCENARIOS_DIR = DATA_DIR / "scenarios"


class ScenarioFileError(DataFileError):
    """A problem in a scenario file (or in a scenario typed into the authoring form)."""


def validate_scenario_data(data: Any, file: str) -> Scenario:
    return validate_file_data(Scenario, data, file, ScenarioFileError, "scenario")


def load_scenario_file(path: str | Path) -> Scenario:
    return load_model_file(path, Scenario, ScenarioFileError, "scenario")


@dataclass
class ScenarioLibrary:
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    errors: list[ScenarioFileError] = field(default_factory=list)

    @classmethod
    def load(cls, directory: str | Path = SCENARIOS_DIR) -> ScenarioLibrary:
        directory = Path(directory)
        if not directory.is_dir():
            raise FileNotFoundError(f"the scenario folder {directory} does not exist")
        good, errors = [], []
        for path in sorted(directory.glob("*.json")):
            try:
                good.append(load_scenario_file(path))
            except ScenarioFileError as exc:
                errors.extend(exc.all)
        good.sort(key=lambda s: (s.difficulty, s.title.casefold()))
        return cls(scenarios={s.id: s for s in good}, errors=errors)

    def get(self, scenario_id: str) -> Scenario:
        try:
            return self.scenarios[scenario_id]
        except KeyError:
            raise KeyError(f"no DEAR MAN scenario with id {scenario_id!r}") from None

    def __len__(self) -> int:
        return len(self.scenarios)

    def __iter__(self):
        return iter(self.scenarios.values())


CUSTOM_SCENARIO = "custom"  # the id of a situation the trainee describes themselves


def custom_scenario(situation: str, goal: str, who: str, difficulty: int = 5) -> Scenario:
    """A scenario from the trainee's own words; the counterpart uses generic lines."""
    from simulator.dearman.counterpart import generic_lines

    situation = check_text("situation", situation)
    goal = check_text("goal", goal)
    who = check_text("who", who, limit=60) if who and who.strip() else "The other person"
    lines = generic_lines()
    return Scenario(
        id=CUSTOM_SCENARIO, title="Your own situation", category="friends",
        difficulty=max(1, min(9, int(difficulty))), situation=situation, goal=goal,
        counterpart=CounterpartSpec(name=who, relationship=who, persona=lines["persona"],
                                    opening=lines["opening"], objections=lines["objections"],
                                    softening=lines["softening"], agreement=lines["agreement"]),
    )
