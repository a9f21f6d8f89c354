"""The audit log: who did what to whose account or work, and when."""

from __future__ import annotations

import json

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require_admin
from simulator.core.clock import now_iso
from simulator.core.db import Store


def audit(store: Store, actor_id: str | None, action: str, details: dict) -> None:
    with store.db() as db:
        db["audit_log"].insert({"at": now_iso(), "actor_id": actor_id, "action": action,
                                "details_json": json.dumps(details, sort_keys=True)})


def audit_entries(store: Store, actor: Actor | None, limit: int = 500) -> list[dict]:
    require_admin(actor)
    with store.db() as db:
        return list(db["audit_log"].rows_where(order_by="id desc", limit=limit))


