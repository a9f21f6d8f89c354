"""The access policy: every "may this actor do this" question is answered here, and only here.

Services and domain functions call these checks before they read or write; pages only hide what
this module already refuses. Each check raises AccessDenied with a message fit to show the user.

Rules: everyone reads and writes their own work; admins read everything; supervisors read (and
comment on, and grade) the work of trainees in cohorts they supervise; researchers see data only
through the de-identified export. `actor=None` is the single-user mode before any account
exists, and reaches only work that has no owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from simulator.accounts.actor import Actor

if TYPE_CHECKING:
    from simulator.core.db import Store


class AccessDenied(PermissionError):
    """Raised with a message fit to show the user."""


Action = Literal["read", "write"]


def require(store: Store, actor: Actor | None, action: Action, owner: str | None) -> None:
    """Allow `actor` to `action` work owned by `owner`, or raise AccessDenied."""
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


def require_reviewer(store: Store, actor: Actor | None, owner: str | None) -> None:
    """Comments and grades come from an admin or a supervisor of the work's trainee."""
    if actor is not None and actor.role == "admin":
        return
    if actor is not None and actor.role == "supervisor" and owner and supervises(store, actor.id, owner):
        return
    raise AccessDenied("Only a supervisor of this trainee can comment on or grade this session.")


def require_trainee_reader(store: Store, actor: Actor | None, trainee_id: str) -> None:
    """Listing a trainee's work: the trainee, an admin, or a supervisor of their cohort."""
    require(store, actor, "read", trainee_id)


def require_author(actor: Actor | None) -> None:
    if actor is None or actor.role not in ("supervisor", "admin"):
        raise AccessDenied("Only supervisors and admins author cases and scenarios.")


def require_assigner(store: Store, actor: Actor | None, cohort_id: str | None, trainee_id: str | None) -> None:
    """Supervisors assign to cohorts they supervise and to those cohorts' trainees; admins to anyone."""
    if actor is None or actor.role not in ("supervisor", "admin"):
        raise AccessDenied("Only supervisors assign exercises.")
    if actor.role == "admin":
        return
    if cohort_id and not supervises_cohort(store, actor.id, cohort_id):
        raise AccessDenied("You do not supervise that cohort.")
    if trainee_id and not supervises(store, actor.id, trainee_id):
        raise AccessDenied("You do not supervise that trainee.")


def require_exporter(actor: Actor | None) -> None:
    if actor is None or actor.role not in ("researcher", "admin"):
        raise AccessDenied("Only researchers and admins can export.")


def require_account_creator(actor: Actor | None, first_account: bool) -> None:
    """Only an admin creates accounts, except the very first one (which must be an admin)."""
    if not first_account and (actor is None or actor.role != "admin"):
        raise AccessDenied("Only an admin can create accounts.")


def supervises(store: Store, supervisor_id: str, trainee_id: str) -> bool:
    with store.db() as db:
        return db.execute(
            "select 1 from cohort_members s join cohort_members t on s.cohort_id = t.cohort_id "
            "where s.user_id = ? and s.role = 'supervisor' and t.user_id = ? and t.role = 'trainee'",
            [supervisor_id, trainee_id],
        ).fetchone() is not None


def supervises_cohort(store: Store, supervisor_id: str, cohort_id: str) -> bool:
    with store.db() as db:
        return db.execute(
            "select 1 from cohort_members where cohort_id = ? and user_id = ? and role = 'supervisor'",
            [cohort_id, supervisor_id]).fetchone() is not None
