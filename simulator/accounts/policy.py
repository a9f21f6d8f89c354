"""Who may read or write whose work. Pages only hide what this module already refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from simulator.accounts.actor import Actor

if TYPE_CHECKING:
    from simulator.core.db import Store


class AccessDenied(PermissionError):
    """Raised with a message fit to show the user."""


Action = Literal["read", "write"]


def require(store: Store, actor: Actor | None, action: Action, owner: str | None) -> None:
    """Allow `actor` to `action` work owned by `owner`, or raise AccessDenied.

    Rules: everyone reads and writes their own work; admins read everything; supervisors read
    the work of trainees in cohorts they supervise; researchers see data only through the
    de-identified export. `actor=None` is the single-user mode before any account exists, and
    reaches only work that has no owner.
    """
    if actor is None:
        if owner is None:
            return
        raise AccessDenied("Please sign in to see this.")
    if owner is not None and owner == actor.id:
        return
    if action == "read" and actor.role == "admin":
        return
    if action == "read" and actor.role == "supervisor" and owner is not None:
        if supervises(store, actor.id, owner):
            return
    raise AccessDenied("That belongs to someone else, so it is not available to you.")


def require_admin(actor: Actor | None) -> None:
    if actor is None or actor.role != "admin":
        raise AccessDenied("Only an admin can manage accounts.")


def supervises(store: Store, supervisor_id: str, trainee_id: str) -> bool:
    with store.db() as db:
        return db.execute(
            "select 1 from cohort_members s join cohort_members t on s.cohort_id = t.cohort_id "
            "where s.user_id = ? and s.role = 'supervisor' and t.user_id = ? and t.role = 'trainee'",
            [supervisor_id, trainee_id],
        ).fetchone() is not None


