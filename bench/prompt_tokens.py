"""Prompt tokens per turn at turns 1, 10 and 40, and whether the prompt prefix stays byte-identical."""

from __future__ import annotations

from pathlib import Path

from simulator.cbt.disclosure import plan_turn
from simulator.cbt.engine import TurnRequest
from simulator.cbt.engine_llm import build_messages
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.interview import DisclosureState, Turn
from simulator.cbt.library import CaseLibrary
from simulator.core.settings import DATA_DIR
from simulator.llm.client import count_tokens

SCRIPT = Path(__file__).with_name("script_40.txt")
CHECKPOINTS = (1, 10, 40)


def run() -> dict:
    lines = [ln for ln in SCRIPT.read_text(encoding="utf-8").splitlines() if ln.strip()]
    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    engine = OfflineEngine()  # supplies realistic patient lines for the history
    transcript: list[Turn] = []
    state = DisclosureState()
    tokens: dict[int, int] = {}
    previous: list[str] | None = None
    prefix_identical = True
    for turn, line in enumerate(lines, start=1):
        transcript.append(Turn(index=len(transcript), role="therapist", text=line))
        request = TurnRequest(case=case, situation_index=0, style="plain", transcript=list(transcript),
                              state=state, seed=1)
        plan, after = plan_turn(case, 0, "plain", state, line, 1)
        contents = [m.content for m in build_messages(request, plan, after)]
        if previous is not None:
            # Everything before the per-turn note of the last request must open this one unchanged.
            prefix_identical &= contents[: len(previous) - 1] == previous[:-1]
        previous = contents
        if turn in CHECKPOINTS:
            tokens[turn] = sum(count_tokens(c) for c in contents)
        reply = engine.reply(request)
        text = "".join(reply.chunks)
        state = reply.state
        transcript.append(Turn(index=len(transcript), role="patient", text=text))
    return {"prompt_tokens": {"per_turn": {f"turn_{k}": v for k, v in tokens.items()},
                              "prefix_byte_identical": prefix_identical,
                              "system_prompt_tokens": count_tokens(previous[0])}}
