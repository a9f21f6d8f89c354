"""Who may read or write whose work. Pages only hide what this module already refuses."""

from __future__ import annotations

from typing import Literal

from .schema import Actor


class AccessDenied(PermissionError):
    """Raised with a message fit to show the user."""


Action = Literal["read", "write"]


def require(store, actor: Actor | None, action: Action, owner: str | None) -> None:
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
        from .accounts import supervises

        if supervises(store, actor.id, owner):
            return
    raise AccessDenied("That belongs to someone else, so it is not available to you.")
