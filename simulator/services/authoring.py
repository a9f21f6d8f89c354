"""Authoring for supervisors and admins: versioned cases and DEAR MAN scenarios, and case imports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require_author
from simulator.cbt.case import PatientCase
from simulator.cbt.library import CaseLibrary
from simulator.core.db import Store
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.dearman.schema import Scenario
from simulator.supervision import authoring


@dataclass
class AuthoringService:
    store: Store
    actor: Actor | None

    def history(self, kind: str, item_id: str) -> list[dict]:
        require_author(self.actor)
        return authoring.history(self.store, kind, item_id)

    def save_case(self, data: dict, library: CaseLibrary, *, new: bool,
                  baseline: int | None = None) -> tuple[PatientCase, int]:
        return authoring.save_case(self.store, self.actor, data, library, new=new, baseline=baseline)

    def import_cases(self, path: Path, library: CaseLibrary) -> tuple[list[PatientCase], list[str]]:
        return authoring.import_cases(self.store, self.actor, path, library)

    def scenario_version(self, library: ScenarioLibrary, scenario_id: str) -> int:
        require_author(self.actor)
        return authoring.scenario_version(self.store, library, scenario_id)

    def save_scenario(self, data: dict, library: ScenarioLibrary, *, new: bool,
                      baseline: int | None = None) -> tuple[Scenario, int]:
        return authoring.save_scenario(self.store, self.actor, data, library, new=new,
                                       baseline=baseline)
