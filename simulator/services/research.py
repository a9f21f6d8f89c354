"""The research export for researchers and admins."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts import cohorts
from simulator.accounts.actor import Actor
from simulator.accounts.policy import require_exporter
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.research import export


@dataclass
class ResearchService:
    store: Store
    settings: Settings
    actor: Actor | None

    def cohort_names(self) -> list[str]:
        require_exporter(self.actor)
        return [c["name"] for c in cohorts.cohorts(self.store)]

    def collect(self, filters: export.Filters, free_text: bool = False) -> dict[str, list[dict]]:
        """Free text is left out unless asked for; then it is scrubbed (simulator/research/scrub.py)."""
        return export.collect(self.store, self.actor, self.settings.export_secret, filters, free_text=free_text)
