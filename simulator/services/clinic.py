"""Running Practicum in a clinic, for the pages: where a trainee's text goes and their
acknowledgement, the engine each exercise uses now, and for an admin: which exercises may use
the model, model usage, erasure and the next retention purge.

Every admin operation is refused (AccessDenied) unless the actor is an admin; the checks are in
the domain functions called here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from simulator.accounts.actor import Actor
from simulator.accounts.policy import AccessDenied, require_admin
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.llm.destination import Destination, destination
from simulator.modeluse import access, summary
from simulator.ops import erasure


@dataclass
class ClinicService:
    store: Store
    settings: Settings
    actor: Actor | None

    @property
    def _user_id(self) -> str | None:
        return self.actor.id if self.actor else None

    # -- every signed-in account --
    def engine_for(self, exercise: str) -> access.EngineDecision:
        """The engine `exercise` uses for this account now: the badge, and the plain reason when offline."""
        return access.decide(self.store, self.settings, exercise, self._user_id)

    def where_text_goes(self) -> Destination | None:
        """Where text sent to the model goes (None when no model is configured)."""
        return destination(self.settings.llm) if self.settings.uses_llm else None

    def needs_acknowledgement(self) -> bool:
        """True when this account must read `where_text_goes().notice` and confirm before using the model."""
        return self.settings.uses_llm and access.needs_acknowledgement(self.store, self._user_id, self.settings.llm)

    def acknowledge(self) -> None:
        if self.actor is None:
            raise AccessDenied("Please sign in first.")
        access.acknowledge(self.store, self.actor, self.settings.llm)

    # -- admin --
    def llm_permissions(self) -> dict[str, bool]:
        """exercise -> may it use the model (admins only)."""
        require_admin(self.actor)
        return access.llm_permissions(self.store)

    @staticmethod
    def exercise_label(exercise: str) -> str:
        return access.exercise_label(exercise)

    def set_llm_permission(self, exercise: str, allowed: bool) -> None:
        access.set_llm_permission(self.store, self.actor, exercise, allowed)

    def usage(self, by: summary.Grouping = "day", since: date | None = None,
              until: date | None = None) -> list[summary.UsageRow]:
        return summary.summary(self.store, self.actor, by, since, until)

    def erase_preview(self, username: str) -> erasure.ErasureReport:
        """What erasing `username` would remove and keep; changes nothing."""
        return erasure.erase(self.store, self.actor, username, dry_run=True)

    def erase(self, username: str) -> erasure.ErasureReport:
        return erasure.erase(self.store, self.actor, username)

    def next_purge(self) -> erasure.PurgePlan:
        """What the next retention purge would remove (nothing when PRACTICUM_RETENTION_DAYS is unset)."""
        return erasure.next_purge(self.store, self.actor, self.settings.retention_days)
