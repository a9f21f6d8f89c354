"""The interview report's learned screening decision on transcripts with no disclosure state: "Are
you keeping yourself safe?" after "what's the point of any of it" is risk screening (the rule alone
held it back), a question about feeling safe on the road after a panic patient's fear of dying is
not, a plain question about suicide is; the stored model belongs to the graded sets it learned from, and
without it (or with a damaged file) the screening rule decides and the log says why."""

from __future__ import annotations

import logging

import pytest

from simulator.cbt.report import screening
from simulator.cbt.report.coverage import coverage
from simulator.cbt.report.record import from_plain

PANIC = [("therapist", "Hi, I'm Jo, one of the trainees. What's brought you along today?"),
         ("patient", "Panic attacks. In the car, mostly. Last month on the ring road my heart went mad and I "
                     "honestly thought I was going to die right there in the fast lane."),
         ("therapist", "That sounds terrifying. What did you do?"),
         ("patient", "Pulled onto the hard shoulder and rang my husband. I haven't driven on it since."),
         ("therapist", "mm. and do you feel safe driving at all now, like round town"),
         ("patient", "Round town's okay. Short trips. Anything with a slip road and I'm gone.")]
ASKS = [*PANIC,
        ("therapist", "Some people who feel this low have thoughts of ending their life. Have you had any "
                      "thoughts of suicide?"),
        ("patient", "No. Never that. I just want to drive to my mum's again.")]


HOPELESS = [("therapist", "Hello, I'm Priya. What would you like help with?"),
            ("patient", "Since the shop closed I don't see the point of getting up. Honestly, what's the point of "
                        "any of it."),
            ("therapist", "Are you keeping yourself safe?"),
            ("patient", "My grandkids keep me going, mostly. And the dog.")]


@pytest.fixture
def fresh_decision():
    screening.reset()
    yield
    screening.reset()


def risk_turns(turns, learned=True):
    record = from_plain([{"role": r, "text": t} for r, t in turns])
    return coverage(record, learned=learned).risk_turns


def test_keeping_safe_after_hopelessness_screens_feeling_safe_on_the_road_does_not(fresh_decision):
    assert screening.installed() is not None
    assert risk_turns(HOPELESS) == [3]
    assert risk_turns(PANIC) == []
    assert risk_turns(ASKS) == [7]


def test_the_stored_decision_was_trained_on_the_graded_sets_as_they_are():
    # Fails when a graded set, the risk statements, the recognisers or the rule change without
    # `python -m simulator.cbt.report.screening_training train` (and then the cue reader's training).
    assert screening.ScreeningModel.load().fingerprint == screening.fingerprint()


@pytest.mark.parametrize("damage", ["missing", "stale", "garbage"])
def test_without_a_decision_for_the_current_sets_the_rule_decides_and_says_why(tmp_path, monkeypatch, caplog,
                                                                               fresh_decision, damage):
    path = tmp_path / "screening_model.npz"
    if damage == "stale":
        stale = screening.ScreeningModel.load()
        stale.fingerprint = "trained-on-other-sets"
        stale.save(path)
    elif damage == "garbage":
        path.write_bytes(b"not a model")
    monkeypatch.setattr(screening, "MODEL_FILE", path)
    with caplog.at_level(logging.WARNING, logger="simulator.cbt.report.screening"):
        assert screening.installed() is None
    said = {"missing": "no learned screening decision", "stale": "trained on other transcripts",
            "garbage": "unreadable learned screening decision"}[damage]
    assert said in caplog.text and "the screening rule decides" in caplog.text
    assert risk_turns(PANIC) == risk_turns(PANIC, learned=False)
