"""Shared by the formulation tests: a scripted offline interview on a temporary store."""

from __future__ import annotations

from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR
from simulator.migrations import migrate

# A warm interview that reaches every element of Tomás Herrera's first situation.
FULL_SCRIPT = [
    "Hi Tomás, what would you like to talk about today?",
    "Can you tell me about a recent situation that upset you?",
    "How did you feel when that happened?",
    "What did you do then?",
    "That sounds really hard. It makes sense you felt that way.",
    "What went through your mind at that moment?",
    "What does that say about you, if that were true?",
    "And what would that mean about you?",
    "What would that mean about you as a person?",
    "What does that say about you, deep down?",
    "How do you usually cope when things get hard?",
    "When did you first feel like this? Tell me about your childhood.",
]


def interviewed(tmp_path, lines=FULL_SCRIPT, actor=None, case_id="tomas-herrera"):
    """(store, session id) after playing `lines` with the offline engine."""
    store = Store(tmp_path / "f.db")
    migrate(store)
    practice = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"),
                        engine=OfflineEngine(), actor=actor)
    info = practice.start(case_id, "plain", situation_index=0, seed=0)
    for line in lines:
        practice.say(info.id, line)
        "".join(practice.respond(info.id))
    return store, info.id
