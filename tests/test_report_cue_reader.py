"""The interview report's risk cues in a transcript with no disclosure state: a hint that names no
death or suicide (giving things away, being a burden) is a cue and flags a session with no risk
question; an answer to a risk question never is; the stored reader belongs to the graded sets it
was trained on, and without it the sentence rule decides and the log says why."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from simulator.cbt.report import cue_reader
from simulator.cbt.report import evaluate as ev
from simulator.cbt.report.build import interview_report
from simulator.cbt.report.record import from_plain

HINT = ("I've started giving my tools away to the lads on the next plot. My daughter would be better off "
        "not having to ferry me about. I'm just a weight round her neck.")
TURNS = [("therapist", "Hi, I'm Sam. What would you like to focus on today?"),
         ("patient", "The allotment, mostly. I can't keep it up since my knee went."),
         ("therapist", "How has that been for you?"),
         ("patient", HINT),
         ("therapist", "What did you do last Saturday?"),
         ("patient", "Sat in the shed. Watched the rain."),
         ("therapist", "Okay. Let's talk about what you'd like to get from these sessions.")]


def report(turns):
    return interview_report(from_plain([{"role": r, "text": t} for r, t in turns]))


@pytest.fixture
def fresh_reader():
    cue_reader.reset()
    yield
    cue_reader.reset()


def test_a_hint_without_words_of_death_is_a_cue_and_flags_a_session_that_never_asks(fresh_reader):
    r = report(TURNS).risk
    assert [c.turn for c in r.cues] == [4] and r.cues[0].quote.startswith("I've started giving my tools away")
    assert not r.asked and r.flag


def test_the_same_words_answering_a_risk_question_are_not_a_cue(fresh_reader):
    asked = [*TURNS[:2], ("therapist", "Have you had any thoughts of ending your life?"), *TURNS[3:]]
    r = report(asked).risk
    assert r.asked and 4 not in [c.turn for c in r.cues] and not r.flag


def test_without_a_reader_for_the_current_sets_the_sentence_rule_decides_and_says_why(tmp_path, monkeypatch,
                                                                                    caplog, fresh_reader):
    monkeypatch.setattr(cue_reader, "MODEL_FILE", tmp_path / "cue_model.npz")
    with caplog.at_level(logging.WARNING, logger="simulator.cbt.report.cue_reader"):
        r = report(TURNS).risk
        report(TURNS)
    assert r.cues == [] and not r.flag  # the sentence rule hears no cue in a hint
    assert caplog.text.count("no risk-cue reader") == 1 and "cue_reader train" in caplog.text
    stale = cue_reader.CueModel.load(ev.DATA_DIR / "report" / "cue_model.npz")
    stale.fingerprint = "trained-on-other-sets"
    stale.save(tmp_path / "cue_model.npz")
    cue_reader.reset()
    with caplog.at_level(logging.WARNING, logger="simulator.cbt.report.cue_reader"):
        assert report(TURNS).risk.cues == []
    assert "trained on other transcripts" in caplog.text


def test_the_stored_reader_was_trained_on_the_graded_sets_as_they_are():
    # After editing a graded set or the risk statements: python -m simulator.cbt.report.cue_reader train
    assert cue_reader.CueModel.load().fingerprint == cue_reader.fingerprint()
    assert all(f.is_dir() and len(list(f.glob("*.json"))) >= 12 for f in cue_reader.training_folders())


def test_a_set_the_reader_learns_from_says_its_cue_figures_are_tuned_on(tmp_path, monkeypatch):
    assert ev.trains_cue_reader(ev.GRADED_DIR) and ev.trains_cue_reader(ev.GRADED_DIR.parent / "interviews_n")
    assert not ev.trains_cue_reader(ev.GRADED_DIR.parent / "interviews_o")
    folder = tmp_path / "cal"
    shutil.copytree(ev.CALIBRATION_DIR, folder)
    assert not ev.evaluate(folder, check=False)["risk"]["cues_and_flag_tuned_on"]
    monkeypatch.setattr(cue_reader, "training_folders", lambda: [folder])
    out = ev.evaluate(folder, check=False)
    assert out["risk"]["cues_and_flag_tuned_on"] and "cue turns and flag are tuned on" in ev.format_report(out)


def test_a_fresh_set_copying_a_long_turn_of_the_readers_transcripts_is_refused_but_common_short_turns_pass(
        tmp_path):
    graded = ev.load(ev.GRADED_DIR)[0]
    long_turn = next(t["text"] for t in graded.turns if len(t["text"].split()) >= ev.CUE_READER_MIN_WORDS + 3)
    short_turn = "And how did that make you feel?"
    fresh = [{"role": "therapist", "text": "Where would you like to start today, given everything?"},
             {"role": "patient", "text": "Mostly the way my evenings have been going lately, to be honest."},
             {"role": "therapist", "text": short_turn}]
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / "f-01.json").write_text(json.dumps({"id": "f-01", "turns": fresh, "risk": {}}), encoding="utf-8")
    ev.check_overlap(ev.load(folder), folder)  # a common short turn is not a copy
    copied = [*fresh, {"role": "patient", "text": long_turn.upper()}]
    (folder / "f-01.json").write_text(json.dumps({"id": "f-01", "turns": copied, "risk": {}}), encoding="utf-8")
    with pytest.raises(ev.OverlapError, match="screening decision's transcripts|calibration|move bank|risk statements"):
        ev.check_overlap(ev.load(folder), folder)
