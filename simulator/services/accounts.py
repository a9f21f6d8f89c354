"""Accounts: signing in (before there is an actor) and, for the signed-in actor, their own
account and, for an admin, everyone's."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.accounts import audit, cohorts, signin, users
from simulator.accounts.actor import Actor, UserRole
from simulator.accounts.policy import require_admin
from simulator.cbt import handover
from simulator.core.db import Store
from simulator.core.settings import Settings


@dataclass
class SignIn:
    store: Store
    idle_minutes: int

    @classmethod
    def for_settings(cls, settings: Settings) -> SignIn:
        return cls(Store(settings.db_path), settings.idle_minutes)

    def has_accounts(self) -> bool:
        return users.has_accounts(self.store)

    def create_first_admin(self, username: str, password: str) -> str:
        """The very first account (an admin); returns a sign-in token for it."""
        users.create_user(self.store, None, username, password, "admin")
        return self.login(username, password)

    def login(self, username: str, password: str) -> str:
        return signin.login(self.store, username, password)[1]

    def login_by_email(self, email: str) -> str:
        return signin.login_by_email(self.store, email)[1]

    def resume(self, token: str | None) -> Actor | None:
        return signin.resume(self.store, token, self.idle_minutes)

    def logout(self, token: str | None) -> None:
        signin.logout(self.store, token)


@dataclass
class AccountService:
    store: Store
    actor: Actor | None

    # -- one's own account --
    def consent(self) -> bool:
        return users.consent_of(self.store, self.actor.id) if self.actor else False

    def set_consent(self, consent: bool) -> None:
        users.set_consent(self.store, self.actor, consent)

    def change_password(self, new: str) -> None:
        users.set_password(self.store, self.actor, self.actor.id if self.actor else "", new)

    # -- administration (every call is refused unless the actor is an admin) --
    def list_users(self) -> list[dict]:
        return users.list_users(self.store, self.actor)

    def create_user(self, username: str, password: str, role: UserRole, email: str | None = None) -> Actor:
        return users.create_user(self.store, self.actor, username, password, role, email)

    def set_role(self, user_id: str, role: UserRole) -> None:
        users.set_role(self.store, self.actor, user_id, role)

    def set_active(self, user_id: str, active: bool) -> None:
        users.set_active(self.store, self.actor, user_id, active)

    def set_password(self, user_id: str, password: str) -> None:
        users.set_password(self.store, self.actor, user_id, password)

    def cohorts(self) -> list[dict]:
        require_admin(self.actor)
        return cohorts.cohorts(self.store)

    def create_cohort(self, name: str) -> str:
        return cohorts.create_cohort(self.store, self.actor, name)

    def add_member(self, cohort_id: str, user_id: str, role: str) -> None:
        cohorts.add_member(self.store, self.actor, cohort_id, user_id, role)

    def cohort_members(self, cohort_id: str) -> list[dict]:
        require_admin(self.actor)
        return cohorts.cohort_members(self.store, cohort_id)

    def ownerless_sessions(self) -> list[dict]:
        return handover.ownerless_sessions(self.store, self.actor)

    def assign_session(self, session_id: str, user_id: str) -> None:
        handover.assign_session(self.store, self.actor, session_id, user_id)

    def audit_entries(self, limit: int = 500) -> list[dict]:
        return audit.audit_entries(self.store, self.actor, limit)
