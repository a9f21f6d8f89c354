"""What pages call: one `Services` object bound to the signed-in actor.

Every read and write goes through a service method that checks access with
simulator.accounts.policy first; pages never hold the store. `SignIn` is the one service used
before anyone is signed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from simulator.accounts.actor import Actor
from simulator.cbt.engine import PatientEngine
from simulator.cbt.library import CaseLibrary
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.dearman.scenarios import SCENARIOS_DIR, ScenarioLibrary
from simulator.migrations import migrate
from simulator.services.accounts import AccountService, SignIn
from simulator.services.authoring import AuthoringService
from simulator.services.clinic import ClinicService
from simulator.services.dearman import DearmanService
from simulator.services.formulations import FormulationService
from simulator.services.interviews import InterviewService
from simulator.services.reports import ReportService
from simulator.services.research import ResearchService
from simulator.services.supervision import SupervisionService
from simulator.services.traps import TrapsService
from simulator.services.work import WorkService
from simulator.supervision import authoring

__all__ = ["Services", "SignIn", "case_library", "prepare_database", "scenario_library"]


def prepare_database(settings: Settings) -> list[str]:
    """Create and migrate the database file; the names of the migrations applied now."""
    return migrate(Store(settings.db_path))


def case_library(settings: Settings) -> CaseLibrary:
    """The case files plus every authored version: the one case repository the app uses."""
    return authoring.case_library(Store(settings.db_path), settings.cases_dir)


def scenario_library(settings: Settings) -> ScenarioLibrary:
    """DEAR MAN scenario files plus authored versions."""
    return authoring.scenario_library(Store(settings.db_path), SCENARIOS_DIR)


@dataclass
class Services:
    store: Store
    settings: Settings
    actor: Actor | None
    library: CaseLibrary
    scenarios: ScenarioLibrary
    engine: PatientEngine

    @classmethod
    def for_actor(cls, settings: Settings, actor: Actor | None, library: CaseLibrary,
                  scenarios: ScenarioLibrary, engine: PatientEngine) -> Services:
        return cls(Store(settings.db_path), settings, actor, library, scenarios, engine)

    @cached_property
    def interviews(self) -> InterviewService:
        return InterviewService(self.store, self.library, self.engine, self.actor)

    @cached_property
    def formulations(self) -> FormulationService:
        return FormulationService(self.store, self.settings, self.actor)

    @cached_property
    def dearman(self) -> DearmanService:
        return DearmanService(self.store, self.settings, self.actor)

    @cached_property
    def traps(self) -> TrapsService:
        return TrapsService(self.store, self.settings, self.actor, self.library)

    @cached_property
    def work(self) -> WorkService:
        """The actor's own work of every kind, for My sessions."""
        return WorkService(self.interviews, self.dearman, self.traps)

    @cached_property
    def supervision(self) -> SupervisionService:
        return SupervisionService(self.store, self.actor, self.library, self.scenarios, self.settings)

    @cached_property
    def reports(self) -> ReportService:
        return ReportService(self.store, self.settings, self.actor)

    @cached_property
    def authoring(self) -> AuthoringService:
        return AuthoringService(self.store, self.actor)

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(self.store, self.actor)

    @cached_property
    def research(self) -> ResearchService:
        return ResearchService(self.store, self.settings, self.actor)

    @cached_property
    def clinic(self) -> ClinicService:
        return ClinicService(self.store, self.settings, self.actor)
