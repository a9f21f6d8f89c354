"""Sessions made before accounts existed, handed by an admin to their owners with their formulation work."""

from __future__ import annotations

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import require_admin
from simulator.accounts.users import AccountError
from simulator.core.db import Store


def ownerless_sessions(store: Store, actor: Actor | None) -> list[dict]:
    """Sessions made before accounts existed, for an admin to hand to their owners."""
    require_admin(actor)
    with store.db() as db:
        return list(db["sessions"].rows_where("owner is null", select="id, case_id, style, created_at",
                                              order_by="created_at"))


def assign_session(store: Store, actor: Actor | None, session_id: str, user_id: str) -> None:
    require_admin(actor)
    with store.write() as db:
        if not db.execute("select 1 from users where id = ?", [user_id]).fetchone():
            raise AccountError("No such account.")
        cur = db.execute("update sessions set owner = ? where id = ? and owner is null", [user_id, session_id])
        if cur.rowcount != 1:
            raise AccountError("That session has an owner already, or does not exist.")
        # Its formulation work (and the reveal it made) goes with it, so progress and exports find it.
        for table in ("formulation_drafts", "formulation_submissions", "formulation_reveals"):
            db.execute(f"update {table} set owner = ? where session_id = ? and owner is null", [user_id, session_id])
    audit(store, actor.id, "session.assign", {"session_id": session_id, "user_id": user_id})
