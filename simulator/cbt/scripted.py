"""Run a scripted list of trainee lines through any engine (used by tests and `simulate`)."""

from __future__ import annotations

from simulator.cbt.case import PatientCase
from simulator.cbt.engine import PatientEngine, TurnPlan, TurnRequest
from simulator.cbt.interview import DisclosureState, Turn


def run_script(engine: PatientEngine, case: PatientCase, situation_index: int, style: str,
               lines: list[str], seed: int = 0, *,
               trace: list[tuple[TurnPlan, DisclosureState]] | None = None,
               ) -> tuple[list[Turn], DisclosureState]:
    """Play `lines` as the trainee; return the transcript and the final state.

    Each reply's chunks are drained as a UI would. Pass a list as `trace` to collect the plan and
    the state after every turn.
    """
    turns: list[Turn] = []
    state = DisclosureState()
    for line in lines:
        turns.append(Turn(index=len(turns), role="therapist", text=line))
        reply = engine.reply(TurnRequest(case=case, situation_index=situation_index, style=style,
                                         transcript=list(turns), state=state, seed=seed))
        text = "".join(reply.chunks)
        turns[-1] = turns[-1].model_copy(update={
            "moves": list(reply.plan.moves), "risk_aspects": list(reply.plan.risk_aspects)})
        turns.append(Turn(index=len(turns), role="patient", text=text))
        # An engine that streams can only know its reply once drained.
        state = reply.state.model_copy(update={"last_reply": text})
        if trace is not None:
            trace.append((reply.plan, state))
    return turns, state
