"""DEAR MAN scenarios: one validated JSON file per scenario in data/scenarios/.

Like the case library, a broken file never hides the good ones: each problem becomes a
`ScenarioFileError` (file, field, problem), worded by the library's one translator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..library import describe_validation_error
from ..settings import DATA_DIR
from .schema import CounterpartSpec, Scenario, check_text

SCENARIOS_DIR = DATA_DIR / "scenarios"


class ScenarioFileError(Exception):
    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file, self.field, self.problem = file, field, problem
        self.all: list[ScenarioFileError] = [self]
        super().__init__(str(self))

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.field, self.problem) if part)


def _problem(text: str) -> str:
    # The shared translator speaks of patient cases; these files hold scenarios.
    return text.replace("a patient case has no such field", "a scenario has no such field").replace(
        "(one patient case)", "(one scenario)")


def validate_scenario_data(data: Any, file: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [ScenarioFileError(file, where, _problem(what))
                    for where, what in describe_validation_error(exc)]
        problems[0].all = problems
        raise problems[0] from None


def load_scenario_file(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioFileError(path.name, "", "is not UTF-8 text") from None
    except OSError as exc:
        raise ScenarioFileError(path.name, "", f"cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioFileError(path.name, "", f"not valid JSON at line {exc.lineno}, column {exc.colno}: "
                                               f"{exc.msg}") from None
    scenario = validate_scenario_data(data, path.name)
    if path.stem != scenario.id:
        raise ScenarioFileError(path.name, "id", f"the id {scenario.id!r} does not match the file name "
                                                 f"(expected {scenario.id}.json)")
    return scenario


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


def custom_scenario(situation: str, goal: str, who: str, difficulty: int = 5) -> Scenario:
    """A scenario from the trainee's own words; the counterpart uses generic lines."""
    from .counterpart import generic_lines

    situation = check_text("situation", situation)
    goal = check_text("goal", goal)
    who = check_text("who", who, limit=60) if who and who.strip() else "The other person"
    lines = generic_lines()
    return Scenario(
        id="custom", title="Your own situation", category="friends",
        difficulty=max(1, min(9, int(difficulty))), situation=situation, goal=goal,
        counterpart=CounterpartSpec(name=who, relationship=who, persona=lines["persona"],
                                    opening=lines["opening"], objections=lines["objections"],
                                    softening=lines["softening"], agreement=lines["agreement"]),
    )
