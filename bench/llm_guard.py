"""Streaming guard on the LLM patient's path: leaks and character breaks caught, retries and
neutral endings, and what the guard costs per reply, against the project's test server.

The server is scripted with a fixed mix of replies: clean ones (some mentioning help in character),
ones that repeat a locked case field word for word, say a [tag] or a checklist belief label, and
ones that break character (a refusal, "as an AI", a crisis-line paragraph). A faulty reply is
followed by a clean retry, except in the double-fault rounds.
"""

from __future__ import annotations

import time

from bench.stats import percentile
from simulator.cbt.engine import TurnRequest
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.interview import DisclosureState, Turn
from simulator.cbt.library import CaseLibrary
from simulator.core.settings import DATA_DIR, LLMSettings
from simulator.core.text import split_sentences
from tests.openai_server import FakeOpenAIServer

ROUNDS = 5
CLEAN = [
    "I don't know. It's been a hard few weeks, honestly.",
    "A friend gave me a helpline number once, it is still on the fridge.",
    "My sister keeps telling me to talk to someone about it.",
    "I'm sorry, I know I keep going on about it.",
]
BREAKS = [
    "As an AI, I don't have personal experiences, but I can help you explore this.",
    "I'm sorry, but I can't continue with this role-play.",
    "If you are having thoughts of suicide, please call 988 or the Suicide and Crisis Lifeline.",
]
RETRY = "Sorry. It's just been a lot lately."


def _leaks(case) -> list[str]:
    history = split_sentences(case.history)[0]
    return [f"Well. {history}", "Honestly [core_beliefs] I don't know.",
            "I suppose I am a failure, loser, if you want the truth.",
            f"It's like {case.intermediate_beliefs}"]


def run() -> dict:
    case = CaseLibrary.load(DATA_DIR / "patients").get("river-castillo")
    leaks = _leaks(case)
    script: list[tuple[str, list[str]]] = []
    for _ in range(ROUNDS):
        script += [("clean", [r]) for r in CLEAN]
        script += [("leak", [r, RETRY]) for r in leaks]
        script += [("break", [r, RETRY]) for r in BREAKS]
        script += [("double", [leaks[0], BREAKS[0]])]
    server = FakeOpenAIServer().start()
    try:
        engine = LLMEngine(LLMSettings(base_url=server.base_url, model="bench-model", api_key="x",
                                       max_retries=0))
        server.script.replies = [r for _, rs in script for r in rs]
        shown_faults = clean_changed = 0
        per_reply_ms: list[float] = []
        for kind, replies in script:
            request = TurnRequest(case=case, situation_index=0, style="plain", state=DisclosureState(),
                                  transcript=[Turn(index=0, role="therapist", text="How have things been?")])
            start = time.perf_counter()
            text = "".join(engine.reply(request).chunks)
            per_reply_ms.append((time.perf_counter() - start) * 1000)
            if kind == "clean":
                clean_changed += text != replies[0]
            elif replies[0] in text or (kind == "double" and replies[1] in text):
                shown_faults += 1
        stats = engine.guard_stats.as_dict()
    finally:
        server.stop()
    planted = {"leak": ROUNDS * len(leaks) + ROUNDS, "break": ROUNDS * len(BREAKS) + ROUNDS}
    return {"stream_guard": {
        "replies": len(script), "planted_leaks": planted["leak"], "planted_breaks": planted["break"],
        "caught": stats, "faults_shown": shown_faults, "clean_replies_changed": clean_changed,
        "reply_ms_p50": percentile(per_reply_ms, 50), "reply_ms_p95": percentile(per_reply_ms, 95),
    }}
