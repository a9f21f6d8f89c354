"""Drafts, final submission, evidence from a real offline interview, the LLM judge, and the CLI."""

import json

import pytest

from simulator.accounts.actor import Actor
from simulator.accounts.policy import AccessDenied
from simulator.cbt.formulation import scoring as formulation_module
from simulator.cbt.formulation.scoring import FormulationRejected
from simulator.cbt.formulation.store import (
    AlreadySubmitted,
    NotSubmitted,
    history,
    load_draft,
    save_draft,
    score_session,
    submission,
    submit,
)
from simulator.cbt.sessions import SessionStore
from simulator.cli import main as cli_main
from simulator.core.settings import LLMSettings, Settings
from tests.formulation_helpers import FULL_SCRIPT, interviewed

ANN = Actor(id="u-ann", username="ann", role="trainee")
BOB = Actor(id="u-bob", username="bob", role="trainee")
SAD = "sad, down, lonely, unhappy"
SHAME = "ashamed, embarrassed, humiliated"
OFFLINE = Settings(engine="offline")

GOOD = {
    "situation": "At the Monday briefing the manager said the head chef job went to a younger cook from outside.",
    "automatic_thoughts": "They could all see I'm not good enough. Twenty-five years and I'm still nobody.",
    "emotions": [SAD, SHAME],
    "behavior": "He said congratulations, hid in the walk-in fridge until the lunch rush and skipped the staff meal.",
    "core_beliefs": ["I am incompetent.", "I am a failure, loser."],
}


def rows(store, table):
    with store.db() as db:
        return db.execute(f"select count(*) from {table}").fetchone()[0]


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return interviewed(tmp_path_factory.mktemp("full"))


def test_a_draft_survives_a_new_connection_and_is_replaced_not_duplicated(tmp_path):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:2])
    save_draft(store, None, sid, {"situation": "first try"})
    save_draft(store, None, sid, {"situation": "second try", "emotions": [SAD]})
    again = type(store)(store.path)  # as after a reload: nothing but the database
    draft = load_draft(again, None, sid)
    assert draft.situation == "second try" and draft.emotions == [SAD]
    assert rows(store, "formulation_drafts") == 1


def test_submit_is_final_and_a_second_submit_overwrites_nothing(tmp_path):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:6])
    first = submit(store, None, sid, GOOD, OFFLINE)
    assert SessionStore(store).session(sid).status == "ended"
    with pytest.raises(AlreadySubmitted, match="already submitted"):
        submit(store, None, sid, {"situation": "something else"}, OFFLINE)
    with pytest.raises(AlreadySubmitted):
        save_draft(store, None, sid, {"situation": "something else"})
    again = submission(store, None, sid)
    assert again.formulation == first.formulation and again.score.total == first.score.total
    assert rows(store, "formulation_submissions") == 1 and rows(store, "formulation_scores") == 2


def test_the_reference_is_not_available_before_submission(tmp_path):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:2])
    with pytest.raises(NotSubmitted):
        submission(store, None, sid)


def test_bad_input_stores_nothing(tmp_path):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:2])
    with pytest.raises(FormulationRejected, match="Behaviour is 2,001 characters"):
        submit(store, None, sid, {**GOOD, "behavior": "y" * 2001}, OFFLINE)
    with pytest.raises(FormulationRejected, match="not on the list of emotions"):
        save_draft(store, None, sid, {"emotions": ["gloomy"]})
    assert rows(store, "formulation_submissions") == rows(store, "formulation_drafts") == 0
    assert SessionStore(store).session(sid).status == "active"


def test_a_failure_inside_the_write_leaves_nothing_half_stored(tmp_path, monkeypatch):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:6])
    save_draft(store, None, sid, {"situation": "kept"})

    def boom(self, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(formulation_module.FormulationScore, "model_dump_json", boom)
    with pytest.raises(RuntimeError):
        submit(store, None, sid, GOOD, OFFLINE)
    monkeypatch.undo()
    assert rows(store, "formulation_submissions") == rows(store, "formulation_scores") == 0
    assert load_draft(store, None, sid).situation == "kept" and SessionStore(store).session(sid).status == "active"


def test_someone_elses_session_is_refused(tmp_path):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:6], actor=ANN)
    for call in (lambda: submit(store, BOB, sid, GOOD, OFFLINE), lambda: save_draft(store, BOB, sid, GOOD),
                 lambda: load_draft(store, BOB, sid), lambda: submit(store, None, sid, GOOD, OFFLINE)):
        with pytest.raises(AccessDenied):
            call()
    assert rows(store, "formulation_submissions") == rows(store, "formulation_drafts") == 0
    submit(store, ANN, sid, GOOD, OFFLINE)
    assert [p.session_id for p in history(store, ANN)] == [sid]
    with pytest.raises(AccessDenied):
        history(store, BOB, owner=ANN.id)


# -- evidence from a real offline interview --

def test_every_element_is_linked_to_the_turn_that_disclosed_it(full):
    store, sid = full
    from simulator.cbt.formulation.scoring import Formulation

    _, score = score_session(store, None, sid, Formulation.model_validate(GOOD))
    turns = {t.index: t.text for t in SessionStore(store).transcript(sid)}
    ev = {e.element: e for e in score.evidence.elements}
    assert all(e.surfaced for e in ev.values()), [k for k, e in ev.items() if not e.surfaced]
    # The belief was hinted at in the patient's own words, never said as the checklist label.
    case = SessionStore(store).session_with_case(sid)[1]
    said = turns[ev["I am incompetent."].first_turn]
    assert any(v in said for v in case.voicings.core_beliefs["I am incompetent."])
    assert "I am incompetent" not in said
    assert "not good enough" in turns[ev["automatic_thoughts"].first_turn]
    disclosed = next(q.turn for q in ev["history"].quotes if q.source == "disclosure")
    assert any(v in turns[disclosed] for v in case.voicings.history)
    assert all(q.text in turns[q.turn] for e in ev.values() for q in e.quotes)
    # Came up and left out of the formulation: a formulation error, not an interview gap.
    assert ev["coping_strategies"].status == "missed"
    assert score.evidence.field_status["coping_strategies"] == "formulation_error"
    assert score.evidence.gap_points == 0 and score.evidence.suggestions == []


def test_what_never_came_up_is_an_interview_gap_with_a_question_to_ask(tmp_path):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:4])  # situation, feelings, behaviour only
    from simulator.cbt.formulation.scoring import Formulation

    _, score = score_session(store, None, sid, Formulation.model_validate(GOOD))
    ev = score.evidence
    cb = [e for e in ev.elements if e.field == "core_beliefs"]
    assert all(not e.surfaced and e.ask_next for e in cb)
    assert ev.field_status["history"] == "interview_gap" and ev.field_status["situation"] == "captured"
    assert any(s.startswith("Relevant history never came up: next time ask about") for s in ev.suggestions)
    assert ev.gap_points > 0 and ev.total_on_surfaced > score.total
    # Ticked without the patient ever voicing them: no support, said so.
    claims = {c.claim: c for c in ev.claims}
    assert not claims["I am incompetent."].supported
    assert claims[SAD].supported and "sad" in claims[SAD].quote.text


def test_an_invented_claim_is_unsupported_and_a_true_one_is_quoted(full):
    store, sid = full
    from simulator.cbt.formulation.scoring import Formulation

    mine = Formulation(history="He was badly bullied at boarding school by older boys.",
                       behavior="He went to the walk-in fridge and stayed there until the lunch rush.")
    _, score = score_session(store, None, sid, mine)
    claims = {c.claim: c for c in score.evidence.claims}
    assert not claims["He was badly bullied at boarding school by older boys."].supported
    fridge = claims["He went to the walk-in fridge and stayed there until the lunch rush."]
    assert fridge.supported and "walk-in fridge" in fridge.quote.text


# -- the LLM judge --

NARRATIVE = {"summary": "Solid on the situation; the beliefs need the downward arrow.",
             "strengths": ["Automatic thoughts close to his words."],
             "improvements": [{"field": "history", "comment": "Ask about his father."}],
             "next_interview": ["What was it like growing up?"]}


def llm_settings(server):
    return Settings(engine="llm", llm=LLMSettings(base_url=server.base_url, model="judge-model",
                                                  timeout=5.0, max_retries=0))


def test_the_llm_judge_adds_its_narrative_beside_the_offline_one(tmp_path, openai_server):
    openai_server.script.structured_object = NARRATIVE
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:6])
    sub = submit(store, None, sid, GOOD, llm_settings(openai_server))
    engines = {n.engine: n for n in sub.narratives}
    assert set(engines) == {"offline", "llm:judge-model"}
    assert engines["llm:judge-model"].narrative.summary == NARRATIVE["summary"]
    assert engines["offline"].fallback_reason is None
    sent = json.dumps(openai_server.requests[-1])
    assert "walk-in fridge" in sent  # the judge sees the reference and the evidence


@pytest.mark.parametrize("how", ["server_error", "invalid_object"])
def test_any_llm_failure_falls_back_to_the_offline_feedback(tmp_path, openai_server, how):
    if how == "server_error":
        openai_server.script.fail_status = 503
    else:
        openai_server.script.structured_object = {"summary": "", "improvements": [{"field": "mood"}]}
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:6])
    sub = submit(store, None, sid, GOOD, llm_settings(openai_server))
    assert [n.engine for n in sub.narratives] == ["offline"]
    assert sub.narratives[0].fallback_reason
    assert sub.score.total > 0


# -- the CLI --

def test_cli_scores_a_file_against_a_case(tmp_path, capsys):
    path = tmp_path / "f.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    assert cli_main(["score-formulation", "--case", "tomas-herrera", "--situation", "1",
                     "--formulation", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    fields = {f["field"]: f for f in out["fields"]}
    assert fields["core_beliefs"]["f1"] == 1.0 and fields["history"]["level"] == 0
    assert fields["automatic_thoughts"]["matches"] and out["evidence"] is None
    assert abs(out["total"] - sum(f["points"] for f in out["fields"])) < 0.1


def test_cli_scores_a_sessions_draft_with_evidence(tmp_path, capsys, monkeypatch):
    store, sid = interviewed(tmp_path, FULL_SCRIPT[:4])
    save_draft(store, None, sid, GOOD)
    monkeypatch.setenv("PRACTICUM_DB", str(store.path))
    assert cli_main(["score-formulation", "--session", sid, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["formulation_from"] == "draft" and out["evidence"]["suggestions"]


def test_cli_names_an_unknown_label(tmp_path, capsys):
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"core_beliefs": ["I am rubbish."]}), encoding="utf-8")
    assert cli_main(["score-formulation", "--case", "tomas-herrera", "--situation", "1",
                     "--formulation", str(path), "--json"]) == 2
    assert "'I am rubbish.' is not on the list of core beliefs" in capsys.readouterr().err
