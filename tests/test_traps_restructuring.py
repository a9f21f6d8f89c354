"""Guided restructuring: stage tracking, a patient true to its case, belief that moves only for
good restructuring, per-stage feedback, and stored exercises and drill attempts that respect owners."""

import pytest

from simulator.accounts.actor import Actor
from simulator.accounts.policy import AccessDenied
from simulator.cbt.interview import Turn
from simulator.cbt.library import CaseLibrary
from simulator.core.settings import DATA_DIR, Settings
from simulator.traps import drill
from simulator.traps.annotate import annotate_patient_lines
from simulator.traps.progress import summary
from simulator.traps.restructuring import dialogue as rs
from simulator.traps.restructuring import store as records
from simulator.traps.restructuring.belief import belief_now
from simulator.traps.restructuring.practice import RestructuringPractice
from simulator.traps.restructuring.state import IDENTIFICATION
from simulator.traps.restructuring.texts import texts

GOOD_RUN = [
    "What went through your mind when that happened?",
    "It sounds painful. If that were true, what would it mean?",
    "And what does that say about you as a person?",
    "What is the evidence that the thought is true?",
    "Is that a fact, or your interpretation?",
    "What evidence is there against the thought?",
    "Anything else?",
    "Weighing it all up, what would be a more balanced way to see it?",
]


@pytest.fixture(scope="module")
def case():
    return CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")


def run(case, messages, seed=1):
    state = rs.begin(case, rs.distorted_thoughts(case)[0], seed)
    for m in messages:
        state = rs.respond(state, case, m)
    return state


def patient_lines(state):
    return [t.text for t in state.turns if t.role == "patient"]


def practice(store, actor=None, **settings) -> RestructuringPractice:
    return RestructuringPractice(store, Settings(**settings), actor)


def test_thoughts_come_from_the_case_and_distorted_ones_are_offered(case):
    texts_ = [t.text for t in rs.case_thoughts(case)]
    assert "They could all see I'm not good enough." in texts_
    assert all(t.patterns for t in rs.distorted_thoughts(case))


def test_stages_follow_what_the_trainee_does_and_the_patient_stays_in_the_case(case):
    state = run(case, GOOD_RUN[:3])
    assert [state.mark(s).status for s in IDENTIFICATION] == ["done"] * 3
    assert state.stage == "core_belief" and state.next_stage() == "evidence_for"
    lines = patient_lines(state)
    assert "head chef job went to a younger cook" in lines[0]  # the situation, from the case
    assert "If I make a mistake, people will see I was never good enough." in lines[2]  # intermediate belief
    assert "incompetent" in lines[3]  # the case's core belief


def test_core_belief_is_not_given_before_the_rule_behind_the_thought(case):
    state = run(case, ["What does that say about you as a person?"])
    assert state.identification["core_belief"].status == "pending"
    assert "incompetent" not in patient_lines(state)[-1]


def test_belief_falls_only_when_restructuring_is_done_well(case):
    good = rs.conclude(run(case, GOOD_RUN))
    work = good.current
    assert work.facts_only and len(work.evidence_against) == 2 and work.alternative_ok
    assert work.belief_end <= work.belief_start - 40
    # Identification alone, then a verdict with no evidence: the rating does not move.
    shallow = rs.conclude(run(case, GOOD_RUN[:3] + ["So what's a more balanced way to see it?"]))
    assert shallow.current.belief_end == shallow.current.belief_start
    # Arguing with the patient earns nothing.
    argued = rs.conclude(run(case, ["That's not true, you're wrong to think that.", "That's irrational."]))
    assert argued.current.belief_end >= argued.current.belief_start


def test_the_patient_states_the_rating_when_asked(case):
    state = run(case, GOOD_RUN + ["How much do you believe the original thought now, from 0 to 100?"])
    assert f"{belief_now(state.current)}%" in patient_lines(state)[-1]
    assert state.current.belief_end == belief_now(state.current)


def test_a_proposed_alternative_is_accepted_only_when_it_is_balanced(case):
    base = GOOD_RUN[:7]
    toxic = run(case, base + ["How about: everything is perfect and you are the best chef in the world?"])
    assert not toxic.current.alternative_ok
    assert patient_lines(toxic)[-1] in texts().phrases("reject")
    fair = run(case, base + ["Would it be fair to say: they picked someone else for head chef, which hurts, "
                             "but one decision doesn't prove I'm not good enough at my job?"])
    assert fair.current.alternative_ok and fair.current.alternative_by == "trainee"
    assert belief_now(fair.current) < belief_now(toxic.current)


def test_next_thought_and_per_stage_feedback(case):
    state = run(case, GOOD_RUN + ["Is there another thought we could look at?"])
    assert len(state.thoughts) == 2 and state.thoughts[0].belief_end is not None
    assert state.current.text in patient_lines(state)[-1]
    done = rs.conclude(state)
    titles = [f.title for f in done.feedback]
    assert "Core belief" in titles and "Evidence against (thought 2)" in titles
    by_title = {f.title: f for f in done.feedback}
    assert "facts" in by_title["Evidence for (facts only) (thought 1)"].text
    assert by_title["Evidence against (thought 2)"].status == "pending"
    with pytest.raises(ValueError):
        rs.respond(done, case, "Hello?")


def test_manner_notes_count_in_words(case):
    # GOOD_RUN reflects once ("It sounds painful."); two judging messages follow.
    state = rs.conclude(run(case, GOOD_RUN + ["You're wrong, that's ridiculous.", "Honestly, that's a silly way to think."]))
    by_title = {f.title: f.text for f in state.feedback}
    assert "summarised 1 time," in by_title["Support"], by_title["Support"]
    assert "in 2 messages;" in by_title["Manner"], by_title["Manner"]
    assert not any("(s)" in f.text for f in state.feedback)


def test_feedback_and_patient_wording_come_from_the_data_file(case, tmp_path, monkeypatch):
    import json

    from simulator.traps.restructuring import texts as texts_module

    raw = json.loads(texts_module.PATH.read_text(encoding="utf-8"))
    raw["feedback"]["evidence_against"]["enough"] = "Two or more counters ({count}): well done."
    raw["patient"]["judged"] = ["Ouch."]
    changed = tmp_path / "restructuring.json"
    changed.write_text(json.dumps(raw), encoding="utf-8")
    monkeypatch.setattr(texts_module, "PATH", changed)
    texts_module.texts.cache_clear()
    texts_module.act_patterns.cache_clear()
    try:
        state = rs.conclude(run(case, GOOD_RUN + ["You're wrong, that's ridiculous."]))
        assert patient_lines(state)[-1].startswith("Ouch.")
        assert any(f.text == "Two or more counters (2): well done." for f in state.feedback)
    finally:
        texts_module.texts.cache_clear()
        texts_module.act_patterns.cache_clear()


def test_exercises_are_stored_per_owner(case, store):
    alice = Actor(id="u-alice", username="alice", role="trainee")
    bob = Actor(id="u-bob", username="bob", role="trainee")
    sid = practice(store, alice).start(case, rs.distorted_thoughts(case)[0], seed=2)
    for m in GOOD_RUN[:4]:
        practice(store, alice).say(sid, m)
    practice(store, alice).finish(sid)
    state = practice(store, alice).open(sid).state
    assert state.finished and len(state.turns) == 9
    with pytest.raises(AccessDenied):
        practice(store, bob).open(sid)
    with pytest.raises(AccessDenied):
        practice(store, bob).say(sid, "hi")
    with pytest.raises(AccessDenied):
        practice(store, bob).finish(sid)
    assert practice(store, bob).dialogues() == [] and len(practice(store, alice).dialogues()) == 1


def test_drill_attempts_are_graded_stored_and_summarised(store):
    item = drill.item("d13")
    result = drill.submit(store, None, "d13", ["mind_reading", "labeling"],
                          "I don't know what the director thinks; hard questions could mean she takes my "
                          "proposal seriously, and I can ask her for feedback.")
    assert result.grade.hits == ["mind_reading"] and result.grade.extra == ["labeling"]
    assert result.grade.score == 0.5 and "Mind reading" in drill.explain(result.grade, item)
    assert result.feedback.met >= 3 and result.feedback.examples == item.reframes[:2]
    with pytest.raises(ValueError):
        drill.submit(store, None, "d13", ["mind_reading"], "   ")
    data = summary(store, Settings(), None)
    assert data["drill_attempts"] == 1 and data["pattern_exact"] == 0.0 and data["pattern_score"] == 0.5
    trainee = Actor(id="u-t", username="t", role="trainee")
    assert summary(store, Settings(), trainee)["drill_attempts"] == 0  # single-user work is not theirs
    with pytest.raises(AccessDenied):
        summary(store, Settings(), trainee, owner="someone-else")


def test_annotate_patient_lines_marks_only_patient_traps():
    turns = [
        Turn(index=0, role="therapist", text="You're such an idiot to think that."),
        Turn(index=1, role="patient", text="I went to work on Monday. Everyone there thinks I'm useless."),
        Turn(index=2, role="patient", text="I had toast for breakfast."),
    ]
    marks = annotate_patient_lines(turns)
    assert [i for i, _ in marks] == [1]
    assert "mind_reading" in [p.pattern for p in marks[0][1]]


def test_bad_messages_are_refused_and_a_finished_exercise_takes_no_more(case, store):
    from simulator.core.messages import MessageRejected

    p = practice(store)
    sid = p.start(case, rs.case_thoughts(case)[0], seed=1)
    opening = p.open(sid).state.turns
    with pytest.raises(MessageRejected):
        p.say(sid, "   ")
    with pytest.raises(MessageRejected):
        p.say(sid, "x" * 2001)
    assert p.open(sid).state.turns == opening
    p.say(sid, "What went through your mind when that happened?")
    p.finish(sid)
    with pytest.raises(records.DialogueClosed, match="ended"):
        p.say(sid, "One more question?")
    assert len(p.open(sid).state.turns) == 3


def test_with_the_llm_engine_the_model_words_the_answer_and_failure_keeps_the_rules(case, store, openai_server):
    from simulator.core.settings import LLMSettings

    llm = RestructuringPractice(store, Settings(engine="llm", llm=LLMSettings(
        base_url=openai_server.base_url, model="m", max_retries=0)))
    offline = practice(store)
    sid = llm.start(case, rs.case_thoughts(case)[0], seed=1)
    offline_sid = offline.start(case, rs.case_thoughts(case)[0], seed=1)
    rule_based = offline.say(offline_sid, "What went through your mind?").turns[-1].text

    openai_server.script.reply = "Honestly? That I'm not good enough for this kitchen."
    state = llm.say(sid, "What went through your mind?")
    assert state.turns[-1].text == "Honestly? That I'm not good enough for this kitchen."
    assert llm.open(sid).state.turns[-1].text == state.turns[-1].text  # what is stored is what was shown
    sent = openai_server.requests[-1]["messages"]
    assert rule_based in sent[-1]["content"]  # the model is told what to convey

    openai_server.script.fail_status = 500
    state = llm.say(sid, "And what did that mean to you?")
    expected = offline.say(offline_sid, "And what did that mean to you?").turns[-1].text
    assert state.turns[-1].text == expected  # the rules' wording stands when the model fails
    assert llm.open(sid).state.turns[-1].text == expected
