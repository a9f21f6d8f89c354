"""Formulation feedback that never contradicts itself, over every graded formulation
(data/graded/formulations/) submitted after interviews of different depth with the offline engine:
for every element the badge, the sentence and the points agree; evidence is a line of the turn
where the element surfaced; turn numbers are the ones shown; and no advice asks for something the
transcript already asked (read from the same coverage the interview report shows)."""

import re

import pytest

from bench.formulation_calibrate import load_graded
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.formulation import reveal
from simulator.cbt.formulation.scoring import LIST_FIELDS
from simulator.cbt.formulation.store import submit
from simulator.cbt.interview import turn_number
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.cbt.report import store as reports
from simulator.cbt.report.coverage import FIELD_AREAS
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, Settings
from simulator.migrations import migrate
from tests.formulation_helpers import FULL_SCRIPT

SCRIPTS = {
    "full": FULL_SCRIPT,
    "surface": FULL_SCRIPT[:4],
    # Coping and history asked at the very start, before any trust: asked, and still not said.
    "early": ["How do you usually cope when things get hard?",
              "When did you first feel like this? Tell me about your childhood.", *FULL_SCRIPT[1:4]],
}
GRADED = load_graded()
OPENINGS = {"captured": "You have it", "partly": "You have part of it", "missed": "Missing from your formulation",
            "never_surfaced": "Never came up"}


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    """(graded, script, store, session id, submission) for every graded formulation and script.

    Short interviews and near-empty formulations are the point here (every verdict must show), so the
    rule that a submission needs six turns and four filled parts (tests/test_reveal.py) is lifted.
    """
    lifted = pytest.MonkeyPatch()
    lifted.setattr(reveal, "MIN_FILLED", 0)
    store = Store(tmp_path_factory.mktemp("graded-feedback") / "f.db")
    migrate(store)
    practice = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine())
    out = []
    for g in GRADED:
        for name, lines in SCRIPTS.items():
            info = practice.start(g.case_id, "plain", situation_index=g.situation - 1, seed=5)
            for line in lines:
                practice.say(info.id, line)
                "".join(practice.respond(info.id))
            sub = submit(store, None, info.id, g.formulation.model_dump(), Settings(engine="offline", reveal_min_turns=0))
            out.append((g, name, store, info.id, sub))
    lifted.undo()
    return out


def _cases(submitted):
    return [pytest.param(i, id=f"{g.id}-{name}") for i, (g, name, *_) in enumerate(submitted)]


def test_every_graded_formulation_was_checked_after_every_script(submitted):
    assert len(submitted) == len(GRADED) * len(SCRIPTS) >= 60
    statuses = {e.status for *_, sub in submitted for e in sub.score.evidence.elements}
    assert statuses == {"captured", "partly", "missed", "never_surfaced"}  # every verdict is exercised
    assert any(sub.score.evidence.extras for *_, sub in submitted)


def test_badges_sentences_and_points_agree_for_every_element(submitted):
    for g, name, store, sid, sub in submitted:
        ev = sub.score.evidence
        where = f"{g.id} after the {name} interview"
        for fs in sub.score.fields:
            fb = next(f for f in ev.fields if f.field == fs.field)
            mine = [e for e in ev.elements if e.field == fs.field]
            extras = [x for x in ev.extras if x.field == fs.field]
            # The badges are exactly the statuses of the field's elements, plus "extra".
            expected = {e.status for e in mine} | ({"extra"} if extras else set())
            assert set(fb.statuses) == expected, (where, fs.field, fb.statuses)
            for e in mine:
                assert e.sentence.startswith(OPENINGS[e.status]), (where, e.element, e.sentence)
                if fs.field in LIST_FIELDS:
                    assert (e.status == "captured") == (e.reference in getattr(sub.formulation, fs.field)), (where, e.element)
                else:  # free text is judged as a whole: every element has the field's level
                    level = {"captured": 2, "partly": 1}.get(e.status, 0)
                    assert level == fs.level, (where, fs.field, e.status, fs.level)
            # Points: full only when every element is captured (and, for a closed list, nothing
            # ticked that is not the patient's); none when nothing is captured.
            full = all(e.status == "captured" for e in mine) and not (fs.closed and fs.closed.extras)
            assert (fs.points == pytest.approx(fs.weight)) == full, (where, fs.field, fb.statuses, fs.points)
            if "captured" not in fb.statuses and "partly" not in fb.statuses:
                assert fs.points == 0, (where, fs.field)
            # Points lost to interview gaps only where something never came up, and then some.
            if "never_surfaced" in fb.statuses:
                assert fb.gap_points > 0, (where, fs.field)
            else:
                assert fb.gap_points == 0, (where, fs.field)
            if fs.closed:
                assert bool(fs.closed.extras) == any(x.kind == "label" for x in extras), (where, fs.field)
        assert ev.gap_points == pytest.approx(sum(f.gap_points for f in ev.fields), abs=0.3), where


def test_evidence_is_a_line_of_the_turn_where_the_element_surfaced_numbered_as_shown(submitted):
    for g, name, store, sid, sub in submitted:
        sessions = SessionStore(store)
        turns = {turn_number(t.index): t for t in sessions.transcript(sid)}
        states = {turn_number(i): s for i, s in sessions.states(sid).items()}
        for e in sub.score.evidence.elements:
            assert e.surfaced == bool(e.quotes) == (e.first_turn is not None)
            if not e.surfaced:
                continue
            q = e.quotes[0]
            assert turns[q.turn].role == "patient" and q.text in turns[q.turn].text, (g.id, name, e.element)
            assert f"turn {q.turn}:" in e.sentence
            before = max((n for n in states if n < q.turn), default=None)
            if e.field == "core_beliefs":
                now, earlier = states[q.turn].core_beliefs_surfaced, states[before].core_beliefs_surfaced if before else []
                assert e.reference in now and e.reference not in earlier, (g.id, name, e.element)
            else:
                key = "emotions" if e.field == "emotions" else e.element
                assert states[q.turn].surfaced.get(key) is not None, (g.id, name, e.element)
                assert before is None or key not in states[before].surfaced, (g.id, name, e.element)
        # The narrative names the same turns, with the same words.
        for n in sub.narratives:
            for c in n.narrative.improvements:
                for turn, quote in re.findall(r"At turn (\d+) the patient said \u201c(.+?)(?:\u2026)?\u201d", c.comment):
                    assert quote[:40] in turns[int(turn)].text, (g.id, name, c.comment)


def test_no_advice_asks_for_something_the_transcript_already_asked(submitted):
    for g, name, store, sid, sub in submitted:
        ev = sub.score.evidence
        coverage = reports.report(store, None, sid, Settings(engine="offline")).coverage  # the report's own
        asked = {a for a in coverage.areas if coverage.asked(a)}
        advised = {a.area for a in ev.advice}
        assert not advised & asked, (g.id, name, advised & asked)
        assert ev.asked == {a: coverage.first(a) for a in coverage.areas}
        # Whatever never came up and was never asked is advised on.
        for e in ev.elements:
            area = FIELD_AREAS[e.field][0]
            if not e.surfaced and area not in asked:
                assert area in advised, (g.id, name, e.element)
            if not e.surfaced and area in asked and e.status == "never_surfaced":
                assert f"at turn {coverage.first(area)}" in e.sentence and e.ask_next is None
        offline = next(n for n in sub.narratives if n.engine == "offline")
        assert offline.narrative.next_interview == [a.text for a in ev.advice][:5]


def test_history_asked_before_any_trust_is_explained_not_advised(submitted):
    checked = 0
    for g, name, store, sid, sub in submitted:
        if name != "early":
            continue
        ev = sub.score.evidence
        history = next(e for e in ev.elements if e.field == "history")
        assert "history" not in {a.area for a in ev.advice} and "coping" not in {a.area for a in ev.advice}
        if history.status == "never_surfaced":  # asked at turn 3, too early to be told
            assert "although you asked about history at turn 3" in history.sentence
            checked += 1
    assert checked


def test_feedback_stored_before_one_verdict_per_element_is_rebuilt_once_on_reading(tmp_path):
    import json

    from simulator.cbt.formulation.store import submission
    from tests.formulation_helpers import interviewed

    store, sid = interviewed(tmp_path, FULL_SCRIPT[:4])
    first = submit(store, None, sid, {"situation": "Passed over at the Monday briefing.", "emotions": ["hurt"],
                                      "behavior": "He left the kitchen before service ended.",
                                      "automatic_thoughts": "They could all see I am not good enough."},
                   Settings(engine="offline", reveal_min_turns=0))
    old = json.loads(first.score.model_dump_json())
    old["evidence"].update(version=1, fields=[], extras=[], advice=[], asked={},
                           field_status={"history": "interview_gap"})
    for e in old["evidence"]["elements"]:
        e["sentence"] = ""
    with store.db() as db:
        db.execute("update formulation_scores set result_json = ? where kind = 'score'", [json.dumps(old)])
    again = submission(store, None, sid)
    assert again.score.evidence.version == 2 and again.score.evidence.fields
    assert all(e.sentence for e in again.score.evidence.elements)
    assert again.score.total == first.score.total  # the score never changes, only its explanation
    with store.db() as db:
        kept = json.loads(db.execute("select result_json from formulation_scores where kind = 'score'").fetchone()[0])
    assert kept["evidence"]["version"] == 2  # rebuilt once, then read as stored


def test_a_clause_cut_at_a_semicolon_is_quoted_back_without_it():
    from simulator.cbt.formulation.scoring import sentences

    # Quoted to the trainee as "Nothing the patient said supports “Everyone thinks I'm useless;”".
    assert sentences("Everyone thinks I'm useless; I'll never get it right.") == [
        "Everyone thinks I'm useless", "I'll never get it right."]
