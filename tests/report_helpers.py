"""Shared by the interview-report tests: sessions played through the real Practice and offline
engine, with the trainee's moves given per message (as a recogniser would give them), so each test
controls what was asked whatever recogniser is installed."""

from __future__ import annotations

from simulator.cbt import disclosure
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.moves import Recognition
from simulator.cbt.practice import Practice
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR
from simulator.migrations import migrate

# (message, moves, risk aspects): a warm first interview with Dale Hutchins (passive risk, cues).
OPEN = ("Hi Dale, thanks for coming in. What would you like to focus on today?", ["greeting", "agenda", "open_question"], [])
SITUATION = ("Could you tell me about a recent time when it got really hard?", ["open_question", "ask_situation"], [])
FEELINGS = ("How did you feel, right then?", ["open_question", "ask_feelings"], [])
REFLECT = ("It sounds like you've been carrying all of this on your own.", ["reflect"], [])
THOUGHTS = ("What went through your mind at that moment?", ["open_question", "ask_thoughts"], [])
VALIDATE = ("That makes a lot of sense, given everything on your plate.", ["validate"], [])
BEHAVIOUR = ("And what did you do then?", ["open_question", "ask_behavior"], [])
COPING = ("When things get this hard, what do you do to get through?", ["open_question", "ask_coping"], [])
MEANING = ("If that were true, what would it say about you?", ["open_question", "ask_meaning"], [])
RISK = ("Sometimes when people feel this low they think about ending their life. Has that happened to you?",
        ["closed_question", "ask_risk"], ["ideation"])
PLAN = ("Have you thought about how you might do it?", ["closed_question", "ask_risk"], ["plan"])
INTENT = ("Do you think you might act on those thoughts?", ["closed_question", "ask_risk"], ["intent"])
MEANS = ("Is there anything at home you could use to harm yourself?", ["closed_question", "ask_risk"], ["means"])
PAST = ("Have you ever tried to harm yourself before?", ["closed_question", "ask_risk"], ["past_attempts"])
PROTECT = ("What keeps you going, even on the hardest days?", ["open_question", "ask_risk"], ["protective_factors"])
SMALL_TALK = ("Did you see the match at the weekend?", ["off_topic"], [])


def scripted_recogniser(monkeypatch, lines) -> None:
    """Make the patient's planner read each scripted message as its given moves."""
    known = {text: Recognition(moves=moves, risk_aspects=aspects) for text, moves, aspects in lines}
    real = disclosure.recognise
    monkeypatch.setattr(disclosure, "recognise", lambda message, previous="": known.get(message) or real(message, previous))


def play(tmp_path, monkeypatch, lines, case_id="dale-hutchins", actor=None, store=None, end=False):
    """(store, session id) after playing `lines` with the offline engine."""
    scripted_recogniser(monkeypatch, lines)
    if store is None:
        store = Store(tmp_path / "r.db")
        migrate(store)
    practice = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine(),
                        actor=actor)
    info = practice.start(case_id, "plain", situation_index=0, seed=11)
    for text, _, _ in lines:
        practice.say(info.id, text)
        "".join(practice.respond(info.id))
    if end:
        practice.end(info.id)
    return store, info.id
