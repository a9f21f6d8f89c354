"""Placeholder: replaced by the real disclosure tracker (plan_turn) in the offline-engine work."""

from __future__ import annotations

from .engine import TurnPlan
from .schema import DisclosureState, PatientCase


def plan_turn(case: PatientCase, situation_index: int, style: str, state: DisclosureState,
              message: str, seed: int = 0) -> tuple[TurnPlan, DisclosureState]:
    """Decide what the patient does in reply to `message`; return the plan and the new state."""
    new_state = state.model_copy(update={"turn": state.turn + 1})
    return TurnPlan(moves=["other"]), new_state
