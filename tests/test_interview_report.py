"""The interview report: counts, the one coverage computation, risk, the rubric, storage, the
LLM judge, the CLI and the evaluation on graded transcripts."""

import json
import shutil

import pytest

from simulator.cbt.interview import DisclosureState, Turn, turn_number
from simulator.cbt.moves import Recognition
from simulator.cbt.report import evaluate
from simulator.cbt.report import record as record_module
from simulator.cbt.report import screening
from simulator.cbt.report import store as reports
from simulator.cbt.report.build import interview_report
from simulator.cbt.report.competence import competence_rubric
from simulator.cbt.report.record import from_plain, from_session
from simulator.cbt.sessions import SessionStore
from simulator.cli import main as cli_main
from simulator.core.settings import LLMSettings, Settings
from tests import report_helpers as h

OFFLINE = Settings(engine="offline")
NO_RISK = [h.OPEN, h.SITUATION, h.FEELINGS, h.REFLECT, h.THOUGHTS, h.VALIDATE, h.BEHAVIOUR, h.MEANING]
SCREENED = [h.OPEN, h.SITUATION, h.FEELINGS, h.REFLECT, h.THOUGHTS, h.VALIDATE, h.RISK, h.PLAN, h.INTENT,
            h.MEANS, h.PAST, h.PROTECT, h.BEHAVIOUR]


def turn_of(store, sid, text) -> int:
    return next(turn_number(t.index) for t in SessionStore(store).transcript(sid) if t.text == text)


def test_cues_with_no_risk_question_are_flagged_with_the_turn_and_a_plain_next_step(tmp_path, monkeypatch):
    store, sid = h.play(tmp_path, monkeypatch, NO_RISK, end=True)
    report = reports.report(store, None, sid, OFFLINE)
    r = report.risk
    transcript = {turn_number(t.index): t for t in SessionStore(store).transcript(sid)}
    assert r.cues and not r.asked and r.flag
    cue = r.cues[0]
    assert transcript[cue.turn].role == "patient" and cue.quote in transcript[cue.turn].text
    assert f"at turn {cue.turn}" in r.next_steps[0] and "thoughts of suicide" in r.next_steps[0]
    assert r.source == "disclosure" and r.disclosed_level == "not_asked"
    assert report.rubric.items["risk_screening"].score == 0
    assert cue.turn in report.rubric.items["risk_screening"].evidence_turns


def test_a_full_risk_screen_is_read_aspect_by_aspect_with_what_the_patient_disclosed(tmp_path, monkeypatch):
    store, sid = h.play(tmp_path, monkeypatch, SCREENED, end=True)
    r = reports.report(store, None, sid, OFFLINE).risk
    assert r.asked and not r.flag
    assert r.first_asked_turn == turn_of(store, sid, h.RISK[0])
    assert r.plan_asked and r.intent_asked and r.means_asked and r.history_asked and r.protective_asked
    assert r.aspects["means"] == turn_of(store, sid, h.MEANS[0])
    assert r.disclosed_level == "passive"  # Dale's profile, answered honestly to a warm question
    assert "ideation" in r.disclosed_aspects
    assert any("passive thoughts of death" in s for s in r.next_steps)


def test_risk_screening_scores_a_full_screen_above_a_bare_question_and_no_question_lowest(tmp_path, monkeypatch):
    scores = []
    for i, lines in enumerate([NO_RISK, NO_RISK[:6] + [h.RISK, h.BEHAVIOUR], SCREENED]):
        (tmp_path / str(i)).mkdir()
        store, sid = h.play(tmp_path / str(i), monkeypatch, lines, end=True)
        scores.append(reports.report(store, None, sid, OFFLINE).rubric.items["risk_screening"].score)
    assert scores[0] < scores[1] < scores[2], scores


def test_coverage_gives_the_first_turn_each_area_was_asked_and_a_question_for_the_rest(tmp_path, monkeypatch):
    store, sid = h.play(tmp_path, monkeypatch, NO_RISK)
    report = reports.report(store, None, sid, OFFLINE)  # an active session: built afresh
    rows = {row.area: row for row in report.coverage_rows}
    assert rows["situation"].first_turn == turn_of(store, sid, h.SITUATION[0])
    assert rows["feelings"].first_turn == turn_of(store, sid, h.FEELINGS[0])
    assert rows["meaning"].first_turn == turn_of(store, sid, h.MEANING[0])
    for area in ("body", "intensity", "history", "coping", "goals"):
        assert rows[area].first_turn is None and "Next time" in rows[area].text
    assert report.cli_json()["coverage"]["thoughts"] == turn_of(store, sid, h.THOUGHTS[0])


def test_moves_are_kept_on_the_trainees_turn_with_the_risk_aspects_asked(tmp_path, monkeypatch):
    store, sid = h.play(tmp_path, monkeypatch, [h.OPEN, h.RISK, h.MEANS])
    turns = SessionStore(store).transcript(sid)
    asked = next(t for t in turns if t.text == h.MEANS[0])
    assert asked.moves == h.MEANS[1] and asked.risk_aspects == ["means"]


def test_a_question_about_what_keeps_someone_going_is_a_risk_question_only_once_risk_has_come_up(monkeypatch):
    """ "What stops you going?" before any talk of risk is an ordinary question; after the patient
    speaks of being better off dead, or after a screening question, it asks about protective factors.
    A question that names self-harm screens however its aspect was read. (The screening rule, which
    simulated sessions use and the learned decision reads: a stand-in recogniser gives no probabilities.)"""
    monkeypatch.setattr(screening, "installed", lambda: None)
    follow_up = "What stops you going down to the club these days?"
    monkeypatch.setattr(record_module, "recognise", lambda message, previous="": (
        Recognition(moves=["open_question", "ask_risk"], risk_aspects=["protective_factors"])
        if message == follow_up else
        Recognition(moves=["closed_question", "ask_risk"], risk_aspects=["ideation"])
        if "ending your life" in message else Recognition(moves=["open_question"])))

    def risk_of(*lines):
        roles = ["therapist", "patient"] * len(lines)
        return interview_report(from_plain([{"role": r, "text": t} for r, t in zip(roles, lines)])).risk

    plain = risk_of("How have the evenings been?", "Long. I sit in with the telly.", follow_up, "My knee, mostly.")
    assert not plain.asked and plain.asked_turns == [] and not plain.protective_asked
    cued = risk_of("How have the evenings been?", "Some nights I think they'd all be better off if I was dead.",
                   follow_up, "The grandkids, I suppose.")
    assert cued.asked and cued.first_asked_turn == 3 and cued.protective_asked
    screened = risk_of("Have you had any thoughts of ending your life?", "No. Never that.", follow_up, "My knee.")
    assert screened.asked_turns == [1, 3] and screened.aspects == {"ideation": 1, "protective_factors": 3}
    # An answer about suicide shows the question was a risk question, also one read as asking about
    # protective factors only.
    denied = risk_of("How have the evenings been?", "Long.", follow_up, "God, no, I'd never kill myself.")
    assert denied.asked_turns == [3] and denied.disclosed_level == "none"
    # A question naming self-harm by a euphemism screens, whatever aspect it was read as.
    silly = "You're not going to do anything silly, are you?"
    monkeypatch.setattr(record_module, "recognise", lambda message, previous="": (
        Recognition(moves=["closed_question", "ask_risk"], risk_aspects=["protective_factors"])
        if message == silly else Recognition(moves=["open_question"])))
    assert risk_of("How have the evenings been?", "Long.", silly, "No. God, no.").asked_turns == [3]
    # A simulated patient answered the question as a risk question: the report agrees with it.
    turns = [Turn(index=i, role=r, text=x, moves=m, risk_aspects=a) for i, (r, x, m, a) in enumerate([
        ("therapist", "How have the evenings been?", ["open_question"], []),
        ("patient", "Long. I sit in with the telly.", [], []),
        ("therapist", follow_up, ["open_question", "ask_risk"], ["protective_factors"]),
        ("patient", "The grandkids, I suppose.", [], [])])]
    simulated = interview_report(from_session(turns, {1: DisclosureState(turn=1), 3: DisclosureState(turn=2)}, None))
    assert simulated.risk.asked_turns == [3]


def test_a_risk_question_at_the_end_of_a_long_summary_counts_as_asked_at_that_turn():
    """A trainee who screens at the tail of a long turn has asked: the whole turn reads as a summary
    (the classifier reads its first 128 tokens), its last part as a risk question. A long turn with
    no risk in it is not counted."""
    summary = ("Okay, let me see if I've got this. The job went in March, after nineteen years, and since then "
               "the days have lost their shape, you're up late, you skip breakfast, the lads have stopped ringing, "
               "and you've been snapping at Julie over little things, and underneath it there's this thought "
               "that you're no use to anyone now. I'll put some of that on paper for next week, and I'll also "
               "just check, as I do with everyone, whether it ever gets so bad that you think about doing "
               "something to yourself.")
    ordinary = ("Right, so the evenings drag, and there's the drinking, which we'll come back to, and I'm also "
                "going to ask what you'd like to be different by the end of our sessions, but first, how much "
                "are you drinking on a typical night, roughly?")
    lines = ["What's brought you here today?", "I just don't see the point in getting up most days.",
             ordinary, "Four or five cans. More at the weekend.", summary, "No. I wouldn't. I've thought it'd be "
             "easier not to wake up, but I wouldn't do anything."]
    roles = ["therapist", "patient"] * 3
    record = from_plain([{"role": r, "text": t} for r, t in zip(roles, lines)])
    assert "summarise" in record.turns[4].moves and "ask_risk" in record.turns[4].moves
    assert "ask_risk" not in record.turns[2].moves
    risk = interview_report(record).risk
    assert risk.asked and risk.asked_turns == [5] and "ideation" in risk.aspects


def test_everyday_questions_read_unsurely_as_risk_questions_are_not_screening_until_risk_has_come_up(monkeypatch):
    """The recogniser reads "Does that sound like a plan?" after homework is agreed, and a question
    about the patient's safety behaviours ("helps you feel safe"), as risk questions. In a transcript
    where nobody has spoken of death they are ordinary questions: no risk asked. Once the patient has,
    the screening rule counts the same question as asking about risk; the learned decision does not,
    and the cue is flagged as never followed."""
    def record_of(second_reply):
        lines = ["What's been hardest this week?", second_reply,
                 "So sitting by the door is one of the things that helps you feel safe?",
                 "Yeah. If I can get off quick I'm alright.",
                 "Could you jot down what goes through your mind on the bus before next week?",
                 "I suppose. I'll try writing them down.",
                 "Does that sound like a plan?", "Yeah. Okay."]
        return from_plain([{"role": r, "text": t} for r, t in zip(["therapist", "patient"] * 4, lines)])

    plain = record_of("The bus. I carry my water and sit near the door.")
    assert "ask_risk" in plain.turns[2].moves and "ask_risk" in plain.turns[6].moves
    risk = interview_report(plain).risk
    assert not risk.asked and risk.asked_turns == [] and not risk.flag
    cued_record = record_of("The bus. Some days I think everyone would be better off if I was dead.")
    learned = interview_report(cued_record).risk
    assert not learned.asked and learned.flag and [c.turn for c in learned.cues] == [2]
    monkeypatch.setattr(screening, "installed", lambda: None)
    ruled = interview_report(cued_record).risk
    assert ruled.asked and ruled.first_asked_turn == 3


def test_a_long_turn_is_read_in_parts_each_once_and_a_part_read_as_risk_makes_it_a_risk_question(monkeypatch):
    """The parts are the sentences, a long sentence as runs of its clauses; with a stand-in
    recogniser, only a part read as a risk question counts, and the turn keeps one form label."""
    from simulator.cbt import moves as moves_module

    long_sentence = ("and I know the mornings are hard, and the lads have stopped ringing, and Julie is worried, "
                     "and I'd like to ask as well whether you ever think of ending your life, or anything like that")
    assert moves_module.parts("How was work? " + long_sentence + ".") == [
        "how was work?",
        "and i know the mornings are hard, and the lads have stopped ringing, and julie is worried",
        "and the lads have stopped ringing, and julie is worried",
        "and julie is worried, and i'd like to ask as well whether you ever think of ending your life, "
        "or anything like that.",
        "and i'd like to ask as well whether you ever think of ending your life, or anything like that.",
        "or anything like that."]
    turn = ("So the job went in March and the days have lost their shape since. How are you sleeping at the "
            "moment, and are you eating? And I check this with everyone: any thoughts of ending things?")
    monkeypatch.setattr(record_module, "recognise", lambda message, previous="": (
        Recognition(moves=["closed_question", "ask_risk"], risk_aspects=["ideation"], scores={"ask_risk": 0.6})
        if message.startswith("and i check this") else
        Recognition(moves=["summarise", "open_question"], scores={"ask_risk": 0.1})
        if message == turn else Recognition(moves=["closed_question"], scores={"ask_risk": 0.1})))
    record = from_plain([{"role": "therapist", "text": turn}, {"role": "patient", "text": "No. Nothing like that."}])
    assert record.turns[0].moves == ["open_question", "ask_risk", "summarise"]
    assert record.turns[0].risk_aspects == ["ideation"]
    # A turn not in English is `other` whole, and its short parts are too short to tell the language by.
    spanish = ("Hola, ¿cómo estás hoy? ¿Suicidio? Necesito saber si has pensado en hacerte daño alguna vez, "
               "porque es importante para mí saberlo ahora mismo.")
    assert moves_module.risk_in_parts(spanish) is None


def test_counts_link_each_move_to_its_turns_and_tell_simple_from_complex_reflections(monkeypatch):
    moves = {
        "What's been happening?": ["open_question"],
        "Did it start at work?": ["closed_question"],
        "You sat in the car for an hour.": ["reflect"],
        "Going home felt like more than you could face, as if you had nothing left.": ["reflect"],
    }
    monkeypatch.setattr(record_module, "recognise",
                        lambda message, previous="": Recognition(moves=moves.get(message, ["other"])))
    turns = [{"role": "therapist", "text": "What's been happening?"},
             {"role": "patient", "text": "I sat in the car for an hour before going in."},
             {"role": "therapist", "text": "You sat in the car for an hour."},
             {"role": "patient", "text": "Yeah. Couldn't face it."},
             {"role": "therapist", "text": "Going home felt like more than you could face, as if you had nothing left."},
             {"role": "patient", "text": "Pretty much."},
             {"role": "therapist", "text": "Did it start at work?"},
             {"role": "patient", "text": "Probably."}]
    c = interview_report(from_plain(turns)).counts
    assert c.open_questions.turns == [1] and c.closed_questions.turns == [7]
    assert c.simple_reflections.turns == [3] and c.complex_reflections.turns == [5]
    assert c.reflection_to_question_ratio == 1.0 and c.complex_share == 0.5


def test_the_rubric_scores_every_item_of_the_current_version_within_0_to_6(tmp_path, monkeypatch):
    store, sid = h.play(tmp_path, monkeypatch, SCREENED, end=True)
    rubric = reports.report(store, None, sid, OFFLINE).rubric
    assert list(rubric.items) == [i.id for i in competence_rubric().items_of()]
    assert rubric.rubric_version == competence_rubric().version == 2 and rubric.engine == "offline"
    assert all(0 <= i.score <= 6 and i.reason for i in rubric.items.values())
    assert rubric.total == sum(i.score for i in rubric.items.values()) and rubric.max_total == 66


def test_a_warm_structured_interview_outscores_a_cold_one(tmp_path, monkeypatch):
    cold = [("Name and problem?", ["closed_question", "abrupt"], []),
            ("Sleeping? Eating? Drinking?", ["closed_question", "abrupt"], []),
            ("You should just get more exercise.", ["psychoeducation"], []),
            h.SMALL_TALK, ("That's a silly way to think about it.", ["judgmental"], [])]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    warm_store, warm = h.play(tmp_path / "a", monkeypatch, SCREENED, end=True)
    cold_store, cold_sid = h.play(tmp_path / "b", monkeypatch, cold, end=True)
    warm_total = reports.report(warm_store, None, warm, OFFLINE).rubric.total
    cold_total = reports.report(cold_store, None, cold_sid, OFFLINE).rubric.total
    assert warm_total >= cold_total + 20, (warm_total, cold_total)


def test_an_ended_sessions_report_is_kept_with_its_engine_and_not_rebuilt(tmp_path, monkeypatch):
    store, sid = h.play(tmp_path, monkeypatch, NO_RISK, end=True)
    first = reports.report(store, None, sid, OFFLINE)
    with store.db() as db:
        row = next(db.query("select engine, rubric_version, turns from interview_reports where session_id = ?", [sid]))
    assert row == {"engine": "offline", "rubric_version": 2, "turns": 2 * len(NO_RISK)}
    monkeypatch.setattr(reports, "interview_report", lambda *a, **k: pytest.fail("rebuilt"))
    assert reports.report(store, None, sid, OFFLINE) == first


def _judge_answer(score: int) -> dict:
    return {"items": [{"id": i.id, "score": score, "evidence_turns": [1, 999], "reason": f"{i.title} seen."}
                      for i in competence_rubric().items_of()]}


def llm(server) -> Settings:
    return Settings(engine="llm", llm=LLMSettings(base_url=server.base_url, model="judge-model", timeout=5.0,
                                                  max_retries=0))


def test_the_llm_judge_scores_the_rubric_and_its_engine_is_kept(tmp_path, monkeypatch, openai_server):
    openai_server.script.structured_object = _judge_answer(5)
    store, sid = h.play(tmp_path, monkeypatch, NO_RISK, end=True)
    report = reports.report(store, None, sid, llm(openai_server))
    assert report.rubric.engine == "llm:judge-model" and report.rubric.fallback_reason is None
    assert all(i.score == 5 and i.evidence_turns == [1] for i in report.rubric.items.values())
    sent = json.dumps(openai_server.requests[-1])
    assert "risk_screening" in sent and h.FEELINGS[0] in sent  # the rubric from prompts/ and the transcript


def test_the_judge_obeys_the_admins_choice_for_interviews_and_its_calls_are_counted(tmp_path, monkeypatch,
                                                                                     openai_server):
    from simulator.accounts import users
    from simulator.modeluse import access

    openai_server.script.structured_object = _judge_answer(5)
    store, sid = h.play(tmp_path, monkeypatch, NO_RISK, end=True)
    admin = users.create_user(store, None, "ada", "a long enough password", "admin")
    access.set_llm_permission(store, admin, "interview", False)
    sent = len(openai_server.requests)
    report = reports.report(store, None, sid, llm(openai_server))
    assert report.rubric.engine == "offline" and "offline engine" in report.rubric.fallback_reason
    assert len(openai_server.requests) == sent  # nothing went to the model
    with store.db() as db:
        db.execute("delete from interview_reports")
        db.conn.commit()
    access.set_llm_permission(store, admin, "interview", True)
    assert reports.report(store, None, sid, llm(openai_server)).rubric.engine == "llm:judge-model"
    with store.db() as db:
        assert [r["exercise"] for r in db.query("select exercise from llm_calls")] == ["interview"]


@pytest.mark.parametrize("how", ["server_error", "missing_item"])
def test_any_judge_failure_keeps_the_offline_rubric_with_the_reason(tmp_path, monkeypatch, openai_server, how):
    if how == "server_error":
        openai_server.script.fail_status = 503
    else:
        answer = _judge_answer(4)
        answer["items"] = answer["items"][:-1]
        openai_server.script.structured_object = answer
    store, sid = h.play(tmp_path, monkeypatch, NO_RISK, end=True)
    report = reports.report(store, None, sid, llm(openai_server))
    assert report.rubric.engine == "offline" and report.rubric.fallback_reason
    assert report.rubric.items["risk_screening"].score == 0  # the offline scores stand


# -- the command line --

def test_cli_reads_what_simulate_prints(tmp_path, capsys):
    script = tmp_path / "script.txt"
    script.write_text("\n".join(line for line, _, _ in NO_RISK), encoding="utf-8")
    assert cli_main(["simulate", "--case", "dale-hutchins", "--situation", "1", "--style", "plain",
                     "--script", str(script), "--seed", "3", "--json"]) == 0
    simulated = tmp_path / "sim.json"
    simulated.write_text(capsys.readouterr().out, encoding="utf-8")
    assert cli_main(["interview-report", "--transcript", str(simulated), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("moves", "open_questions", "closed_questions", "reflections", "reflection_to_question_ratio",
                "coverage", "risk", "rubric"):
        assert key in out
    for key in ("cues", "asked", "first_asked_turn", "plan_asked", "intent_asked", "means_asked",
                "history_asked", "protective_asked", "disclosed_level"):
        assert key in out["risk"]
    transcript = json.loads(simulated.read_text())["transcript"]
    for cue in out["risk"]["cues"]:  # read from the states simulate printed: the patient's own turns
        assert transcript[cue["turn"] - 1]["role"] == "patient"
    assert set(out["coverage"]) == {"situation", "thoughts", "feelings", "body", "intensity", "behaviour",
                                    "meaning", "history", "coping", "goals"}
    assert all(set(v) == {"score", "evidence_turns", "reason"} for v in out["rubric"].values())


def test_cli_reads_a_graded_transcript_and_a_stored_session(tmp_path, monkeypatch, capsys):
    graded = next(evaluate.CALIBRATION_DIR.glob("*.json"))
    assert cli_main(["interview-report", "--transcript", str(graded), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rubric_max"] == 66
    store, sid = h.play(tmp_path, monkeypatch, NO_RISK, end=True)
    monkeypatch.setenv("PRACTICUM_DB", str(store.path))
    assert cli_main(["interview-report", "--session", sid]) == 0
    assert "RISK FLAG" in capsys.readouterr().out
    assert cli_main(["interview-report", "--transcript", str(graded), "--session", sid]) == 2


# -- evaluation --

def test_the_evaluation_refuses_a_set_that_shares_text_with_what_the_report_was_built_on(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    source = json.loads(next(evaluate.CALIBRATION_DIR.glob("*.json")).read_text(encoding="utf-8"))
    (folder / "copy.json").write_text(json.dumps(source), encoding="utf-8")
    with pytest.raises(evaluate.OverlapError, match="calibration transcripts"):
        evaluate.evaluate(folder)
    bank_line = json.loads((evaluate.DATA_DIR / "report" / "risk_statements.jsonl").read_text().splitlines()[0])
    source["turns"] = [{"role": "therapist", "text": "How have things been?"},
                       {"role": "patient", "text": bank_line["text"].upper()}]  # normalised comparison
    (folder / "copy.json").write_text(json.dumps(source), encoding="utf-8")
    with pytest.raises(evaluate.OverlapError, match="risk statements"):
        evaluate.evaluate(folder)


@pytest.mark.parametrize("folder", sorted(p.name for p in evaluate.GRADED_DIR.parent.glob("interviews*")))
def test_each_graded_set_is_large_enough_and_its_turn_numbers_are_as_shown(folder):
    graded = evaluate.load(evaluate.GRADED_DIR.parent / folder)
    assert len(graded) >= 12  # 16 written per set; a transcript sharing a turn with a bank is dropped unread
    ids = {i.id for i in competence_rubric().items_of()}
    for g in graded:
        assert set(g.grades) == ids, g.id
        if g.risk["asked"]:
            assert g.turns[g.risk["first_asked_turn"] - 1]["role"] == "therapist", g.id
        for turn in g.risk["cues_turns"]:
            assert g.turns[turn - 1]["role"] == "patient", g.id
    kinds = {g.risk["asked"] for g in graded} | {bool(g.risk["cues_turns"]) for g in graded}
    assert kinds == {True, False}


def test_the_evaluation_reports_spearman_and_risk_agreement_on_a_set(tmp_path):
    folder = tmp_path / "cal"
    shutil.copytree(evaluate.CALIBRATION_DIR, folder)
    out = evaluate.evaluate(folder, check=False)  # the calibration set itself, so no overlap check
    assert out["transcripts"] == 8 and set(out["per_item"]) == {i.id for i in competence_rubric().items_of()}
    assert out["spearman_total"] is not None and out["spearman_total"] > 0.7  # tuned on: a floor, not a figure
    assert 0 <= out["risk"]["asked_agreement"] <= 1


def test_a_second_supervisors_grading_is_compared_like_the_report_and_a_missing_file_refused(tmp_path, capsys):
    folder, second = tmp_path / "cal", tmp_path / "second"
    shutil.copytree(evaluate.CALIBRATION_DIR, folder)
    second.mkdir()
    graded = evaluate.load(folder)
    for k, g in enumerate(graded):
        risk = dict(g.risk)
        if k == 0:  # the second supervisor does not count the first transcript's risk question
            risk.update(asked=not risk["asked"], first_asked_turn=None)
        (second / g.path.name).write_text(json.dumps({"grades": g.grades, "risk": risk}), encoding="utf-8")
    assert cli_main(["eval-interview-report", "--set", str(folder), "--second-coder", str(second), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["spearman_total"] == 1.0 and out["risk"]["asked_agreement"] == round(7 / 8, 3)
    low, high = out["intervals"]["asked_agreement"]  # 7 of 8 agree: far from proof of a 100% method
    assert low < 0.6 and high < 1.0 and out["intervals"]["spearman_total"] == [1.0, 1.0]
    assert cli_main(["eval-interview-report", "--set", str(folder), "--second-coder", str(second)]) == 0
    assert f"agreement: 0.88 (90% interval {low:.2f}-{high:.2f})" in capsys.readouterr().out
    assert [r["id"] for r in out["risk"]["rows"] if r["asked"][0] != r["asked"][1]] == [graded[0].id]
    (second / graded[-1].path.name).unlink()
    assert cli_main(["eval-interview-report", "--set", str(folder), "--second-coder", str(second)]) != 0
    assert f"no grading of {graded[-1].path.name}" in capsys.readouterr().err


def test_report_sentences_agree_in_number_with_their_counts():
    from simulator.cbt.report.wording import say

    one = say("rubric", "summarising", summaries=1, checked=0, feedback=1)
    two = say("rubric", "summarising", summaries=2, checked=1, feedback=0)
    assert one.startswith("1 summary,") and "asked 1 time." in one and "(" not in one
    assert two.startswith("2 summaries,") and "asked 0 times." in two
    harsh = say("rubric", "empathy", warm=1, turns=9, complex=1, harsh=0)
    assert "(1 complex reflection)" in harsh and "0 judgemental or abrupt turns." in harsh
    assert say("rubric", "empathy", warm=0, turns=1, complex=0, harsh=0).startswith("0 of 1 turn reflected")
