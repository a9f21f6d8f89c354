"""Whether an exercise may use the model for this account, now.

Three things decide, in this order, once the settings choose the LLM engine:

1. the admin's choice for the exercise (stored in the database; every exercise may by default);
2. where the text goes: when the endpoint is not on this machine, the account must have read and
   confirmed the notice for this endpoint (stored per account and endpoint, asked again when the
   endpoint changes);
3. the daily token cap per account (PRACTICUM_LLM_DAILY_TOKENS).

`decide` gives a page its engine, badge and plain message; the same check runs inside the model
client before every call (through the `Caller` that `caller_for` builds), so no exercise reaches
the model past it even if a page forgets to ask. Every exercise falls back to its offline engine
when refused.
"""

from __future__ import annotations

import logging
from typing import Literal

import sqlite_utils
from pydantic import BaseModel

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import AccessDenied, require_admin
from simulator.core.clock import now_iso
from simulator.core.db import Store
from simulator.core.errors import EngineError
from simulator.core.settings import LLMSettings, Settings
from simulator.llm import destination as dest
from simulator.llm.usage import Caller, tokens_used

log = logging.getLogger(__name__)

# Every exercise that can use the model, and whether it has an offline stand-in when a call fails
# (the interview shows the failure and offers to ask again instead).
FALLS_BACK: dict[str, bool] = {
    "interview": False,
    "formulation": True,
    "dearman": True,
    "dearman_own": True,  # DEAR MAN about the trainee's own, real situation
    "traps": True,
    "restructuring": True,
}
EXERCISES: tuple[str, ...] = tuple(FALLS_BACK)

Reason = Literal["offline_setting", "exercise_offline", "needs_acknowledgement", "daily_cap", "allowed"]


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m016_llm_access (registered in simulator/migrations.py)."""
    db["exercise_llm"].create(
        {"exercise": str, "allowed": int, "changed_by": str, "changed_at": str},
        pk="exercise", not_null={"allowed", "changed_at"},
    )
    db["llm_acknowledgements"].create(
        {"user_id": str, "endpoint": str, "acknowledged_at": str},
        pk=("user_id", "endpoint"), foreign_keys=[("user_id", "users", "id")],
        not_null={"acknowledged_at"},
    )


def exercise_label(exercise: str) -> str:
    return dest.notices().exercises.get(exercise, exercise)


def _check_exercise(exercise: str) -> None:
    if exercise not in FALLS_BACK:
        raise ValueError(f"unknown exercise {exercise!r}; one of {', '.join(EXERCISES)}")


# -- the admin's choice per exercise --

def llm_permissions(store: Store) -> dict[str, bool]:
    """exercise -> may it use the model. Exercises no admin has set may."""
    with store.db() as db:
        chosen = {r["exercise"]: bool(r["allowed"]) for r in db["exercise_llm"].rows}
    return {e: chosen.get(e, True) for e in EXERCISES}


def llm_allowed(store: Store, exercise: str) -> bool:
    _check_exercise(exercise)
    with store.db() as db:
        row = db.execute("select allowed from exercise_llm where exercise = ?", [exercise]).fetchone()
    return True if row is None else bool(row[0])


def set_llm_permission(store: Store, actor: Actor | None, exercise: str, allowed: bool) -> None:
    require_admin(actor)
    _check_exercise(exercise)
    with store.db() as db:
        db["exercise_llm"].upsert({"exercise": exercise, "allowed": int(allowed), "changed_by": actor.id,
                                   "changed_at": now_iso()}, pk="exercise")
    audit(store, actor.id, "llm.exercise", {"exercise": exercise, "allowed": allowed})


# -- where the text goes: the notice, acknowledged per account and endpoint --

def acknowledged(store: Store, user_id: str, settings: LLMSettings) -> bool:
    with store.db() as db:
        return db.execute("select 1 from llm_acknowledgements where user_id = ? and endpoint = ?",
                          [user_id, dest.endpoint_key(settings)]).fetchone() is not None


def needs_acknowledgement(store: Store, user_id: str | None, settings: LLMSettings) -> bool:
    """True when this account must read and confirm where its text goes before using the model."""
    if user_id is None or dest.is_on_this_machine(settings):
        return False
    return not acknowledged(store, user_id, settings)


def acknowledge(store: Store, actor: Actor | None, settings: LLMSettings) -> None:
    """The signed-in account has read the notice for the configured endpoint."""
    if actor is None:
        raise AccessDenied("Please sign in first.")
    endpoint = dest.endpoint_key(settings)
    with store.db() as db:
        db["llm_acknowledgements"].upsert({"user_id": actor.id, "endpoint": endpoint,
                                           "acknowledged_at": now_iso()}, pk=("user_id", "endpoint"))
    audit(store, actor.id, "llm.acknowledge", {"endpoint": endpoint})


# -- the decision --

class LLMUnavailable(EngineError):
    """The model may not be used for this call; `user_message` says why, plainly."""

    def __init__(self, reason: Reason, user_message: str) -> None:
        super().__init__(user_message)
        self.reason = reason


def refusal(store: Store, settings: LLMSettings, exercise: str, user_id: str | None) -> LLMUnavailable | None:
    """Why this exercise may not call the model for this account now, or None if it may."""
    _check_exercise(exercise)
    text = dest.notices()
    if not llm_allowed(store, exercise):
        return LLMUnavailable("exercise_offline", text.exercise_offline)
    if needs_acknowledgement(store, user_id, settings):
        return LLMUnavailable("needs_acknowledgement",
                              dest.fill(text.needs_acknowledgement, host=dest.endpoint_host(settings)))
    cap = settings.daily_tokens_per_trainee
    if cap is not None and user_id is not None and tokens_used(store, user_id) >= cap:
        return LLMUnavailable("daily_cap", dest.fill(text.daily_cap, cap=f"{cap:,}"))
    return None


def admit(store: Store, settings: LLMSettings, exercise: str, user_id: str | None) -> None:
    """Raise LLMUnavailable if the call may not go out (the client asks before each call)."""
    refused = refusal(store, settings, exercise, user_id)
    if refused is not None:
        log.info("model not used for %s (account %s): %s", exercise, user_id, refused.reason)
        raise refused


def caller_for(store: Store, exercise: str, user_id: str | None) -> Caller:
    """The `Caller` an exercise hands the model client: admitted here, recorded in llm_calls."""
    _check_exercise(exercise)
    return Caller(store=store, exercise=exercise, user_id=user_id, falls_back=FALLS_BACK[exercise],
                  gate=lambda settings: admit(store, settings, exercise, user_id))


class EngineDecision(BaseModel):
    """What a page shows and uses for an exercise: the engine, its badge, and why."""

    engine: Literal["llm", "offline"]
    label: str  # the model's name, or "offline"
    reason: Reason
    message: str | None = None  # for the trainee, when the model is configured but not used
    destination: dest.Destination | None = None  # where the text goes, when the model is configured


def decide(store: Store, settings: Settings, exercise: str, user_id: str | None) -> EngineDecision:
    """The engine this exercise uses for this account now, its badge, and the message to show."""
    _check_exercise(exercise)
    if settings.engine != "llm":
        return EngineDecision(engine="offline", label="offline", reason="offline_setting")
    return decide_llm(store, settings.llm, exercise, user_id)


def decide_llm(store: Store, settings: LLMSettings, exercise: str, user_id: str | None) -> EngineDecision:
    """`decide` when the settings choose the model."""
    where = dest.destination(settings)
    refused = refusal(store, settings, exercise, user_id)
    if refused is not None:
        return EngineDecision(engine="offline", label="offline", reason=refused.reason,
                              message=refused.user_message, destination=where)
    return EngineDecision(engine="llm", label=settings.model, reason="allowed", destination=where)


def settings_for(store: Store, settings: Settings, exercise: str, user_id: str | None) -> Settings:
    """The settings with the engine this exercise may use now (offline when refused)."""
    if decide(store, settings, exercise, user_id).engine == "llm":
        return settings
    return settings.model_copy(update={"engine": "offline"})
