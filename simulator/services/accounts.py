"""Accounts: signing in (before there is an actor) and, for the signed-in actor, their own
account and, for an admin, everyone's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from simulator.accounts import audit, cohorts, setup, signin, throttle, users
from simulator.accounts.actor import Actor, UserRole
from simulator.accounts.policy import require_admin
from simulator.cbt import handover
from simulator.core import clock
from simulator.core.db import Store
from simulator.core.settings import Settings


@dataclass
class SignIn:
    store: Store
    idle_minutes: int
    lifetime_hours: float = signin.LIFETIME_HOURS

    @classmethod
    def for_settings(cls, settings: Settings) -> SignIn:
        return cls(Store(settings.db_path), settings.idle_minutes, settings.session_hours)

    def has_accounts(self) -> bool:
        return users.has_accounts(self.store)

    def start(self) -> None:
        """At server start: while there is no account, write a one-time setup code to the log."""
        setup.ensure_issued(self.store)

    def create_first_admin(self, code: str, username: str, password: str) -> str:
        """The very first account (an admin), for whoever holds the setup code; a sign-in token."""
        setup.create_first_admin(self.store, code, username, password)
        return self.login(username, password)

    def login(self, username: str, password: str, *, device: str | None = None,
              client: str | None = None) -> str:
        return signin.login(self.store, username, password, device=device, client=client)[1]

    def login_by_email(self, email: str) -> str:
        return signin.login_by_email(self.store, email)[1]

    def handoff(self, token: str) -> str:
        """A one-time code the browser exchanges for its HttpOnly cookie (POST /auth/cookie)."""
        return signin.handoff(self.store, token)

    def redeem(self, code: str, old_token: str | None = None,
               device: str | None = None) -> tuple[str, str | None]:
        return signin.redeem(self.store, code, old_token=old_token, device=device)

    def resume(self, token: str | None) -> Actor | None:
        return signin.resume(self.store, token, self.idle_minutes, self.lifetime_hours)

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

    def change_password(self, current: str, new: str, token: str | None) -> int:
        """Needs the current password; every other sign-in of the account ends (the count)."""
        if self.actor is None:
            raise users.AccountError("Please sign in first.")
        return signin.change_own_password(self.store, self.actor, current, new, token)

    # -- administration (every call is refused unless the actor is an admin) --
    def list_users(self) -> list[dict]:
        rows = users.list_users(self.store, self.actor)
        now = clock.now().timestamp()
        with self.store.db() as db:
            for row in rows:
                row["slowed"] = throttle.wait_left(db, [throttle.username_key(row["username"])], now) > 0
        return rows

    def create_user(self, username: str, password: str, role: UserRole, email: str | None = None) -> Actor:
        return users.create_user(self.store, self.actor, username, password, role, email)

    def set_role(self, user_id: str, role: UserRole) -> None:
        users.set_role(self.store, self.actor, user_id, role)

    def set_active(self, user_id: str, active: bool) -> None:
        users.set_active(self.store, self.actor, user_id, active)

    def set_password(self, user_id: str, password: str) -> int:
        """An admin's reset: every sign-in of that account ends (the count)."""
        return users.set_password(self.store, self.actor, user_id, password)

    def cohorts(self) -> list[dict]:
        require_admin(self.actor)
        return cohorts.cohorts(self.store)

    def create_cohort(self, name: str) -> str:
        return cohorts.create_cohort(self.store, self.actor, name)

    def add_member(self, cohort_id: str, user_id: str, role: str) -> None:
        cohorts.add_member(self.store, self.actor, cohort_id, user_id, role)

    def remove_member(self, cohort_id: str, user_id: str) -> None:
        cohorts.remove_member(self.store, self.actor, cohort_id, user_id)

    def cohort_members(self, cohort_id: str) -> list[dict]:
        require_admin(self.actor)
        return cohorts.cohort_members(self.store, cohort_id)

    def ownerless_sessions(self) -> list[dict]:
        return handover.ownerless_sessions(self.store, self.actor)

    def assign_session(self, session_id: str, user_id: str) -> None:
        handover.assign_session(self.store, self.actor, session_id, user_id)

    def audit_entries(self, limit: int = 500, *, actions: list[str] | None = None, person: str | None = None,
                      since: date | None = None, until: date | None = None,
                      text: str | None = None) -> list[dict]:
        return audit.audit_entries(self.store, self.actor, limit, actions=actions, person=person,
                                   since=since, until=until, text=text)

    def audit_actions(self) -> list[str]:
        return audit.actions(self.store, self.actor)
