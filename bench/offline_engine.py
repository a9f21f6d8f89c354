"""Offline engine: reply time per turn over a 40-turn scripted session, for each style.

Each reply includes recognising the trainee's move (sentence embeddings); the recogniser is warmed
first, as the practice page does when a session starts.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.stats import percentile
from simulator.cbt import moves
from simulator.cbt.engine import TurnRequest
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.interview import DisclosureState, Turn
from simulator.cbt.library import CaseLibrary
from simulator.cbt.vocab import STYLES
from simulator.core import embeddings
from simulator.core.settings import DATA_DIR

SCRIPT = Path(__file__).with_name("script_40.txt")


def run() -> dict:
    moves.warm().join()
    lines = [ln for ln in SCRIPT.read_text(encoding="utf-8").splitlines() if ln.strip()]
    lib = CaseLibrary.load(DATA_DIR / "patients")
    engine = OfflineEngine()
    results = {}
    for style in STYLES:
        times: list[float] = []
        for case in lib.cases.values():
            if style not in case.styles:
                continue
            transcript: list[Turn] = []
            state = DisclosureState()
            for line in lines:
                transcript.append(Turn(index=len(transcript), role="therapist", text=line))
                embeddings.encode_one.cache_clear()  # every message is new to the recogniser
                start = time.perf_counter()
                reply = engine.reply(TurnRequest(case=case, situation_index=0, style=style,
                                                 transcript=transcript, state=state, seed=1))
                text = "".join(reply.chunks)
                times.append((time.perf_counter() - start) * 1000)
                state = reply.state
                transcript.append(Turn(index=len(transcript), role="patient", text=text))
        results[style] = {"replies": len(times), "p50_ms": percentile(times, 50),
                          "p95_ms": percentile(times, 95)}
    return {"offline_reply_ms": results, "target_p95_ms": 25}
