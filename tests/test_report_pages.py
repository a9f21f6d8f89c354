"""The interview report, corrections and live counts on the pages, under AppTest, on a database
seeded with one of everything (tests/browser/seed.py)."""

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.accounts.actor import Actor
from simulator.cbt.engine_offline import OfflineEngine
from simulator.core.db import Store
from simulator.core.settings import ROOT, Settings
from simulator.services import Services, case_library, scenario_library
from tests.browser.seed import seed


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    db = tmp_path_factory.mktemp("report-pages") / "app.db"
    ids = seed(db)
    return db, ids


@pytest.fixture(autouse=True)
def env(world, monkeypatch):
    monkeypatch.setenv("PRACTICUM_DB", str(world[0]))
    monkeypatch.setenv("PRACTICUM_ENGINE", "offline")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()


def actor(world, name: str) -> Actor:
    store = Store(world[0])
    with store.db() as db:
        row = next(db.query("select id, username, role from users where username = ?", [name]))
    return Actor(id=row["id"], username=row["username"], role=row["role"])


def services_for(world, name: str) -> Services:
    settings = Settings(db_path=world[0])
    return Services(Store(world[0]), settings, actor(world, name), case_library(settings),
                    scenario_library(settings), OfflineEngine())


def page(world, name: str, who: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "views" / name), default_timeout=120)
    at.session_state["actor"] = actor(world, who)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def text(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "error", "warning", "success", "metric", "subheader", "title"):
        for e in getattr(at, kind):
            parts += [str(getattr(e, "value", "")), str(getattr(e, "label", ""))]
    for df in [*at.dataframe, *at.table]:
        parts.append(df.value.to_string())
    return "\n".join(parts)


def test_the_trainee_sees_the_report_with_the_risk_step_after_an_ended_session(world):
    at = page(world, "practice.py", "tess", session=world[1]["interview"])
    assert not at.exception, at.exception
    shown = text(at)
    assert "How you interviewed" in shown and "Assessment coverage" in shown
    assert "never asked" in shown  # an area the seeded interview never asked about, with a question
    assert "Risk was not asked about" in shown  # screening expected in every first session
    assert "Competence rubric" in shown and "Risk screening" in shown


def test_each_transcript_line_carries_the_turn_number_the_report_cites(world):
    """The report says where each area was first asked ("turn 5"); the transcript above it numbers
    its lines the same way, so the trainee can find the line."""
    at = page(world, "practice.py", "tess", session=world[1]["interview"])
    assert not at.exception, at.exception
    report = services_for(world, "tess").reports.report(world[1]["interview"])
    cited = {row.first_turn for row in report.coverage_rows if row.first_turn is not None}
    assert cited
    for chat in at.chat_message:
        number = next(c.value for c in chat.caption if c.value.startswith("Turn "))
        n = int(number.removeprefix("Turn "))
        if n in cited:
            assert chat.name == "user"  # the trainee's question, not the patient's answer
    numbers = [int(c.value.removeprefix("Turn ")) for chat in at.chat_message for c in chat.caption
               if c.value.startswith("Turn ")]
    assert numbers == list(range(1, len(numbers) + 1)) and cited <= set(numbers)
    # An area never asked reads "never" (a bare "-" in a static table is drawn as a list bullet).
    first = at.table[0].value["first asked"]
    assert "never" in set(first) and set(first) <= {"never"} | {f"turn {n}" for n in numbers}


def test_a_supervisors_correction_shows_on_review_and_to_the_trainee(world):
    sam = services_for(world, "sam")
    sid = world[1]["interview"]
    report = sam.reports.report(sid)
    automatic = report.rubric.items["empathy"].score
    right = (automatic + 2) % 7
    sam.supervision.correct_interview_item(sid, "empathy", right, "Several reflections were accurate and warm.")

    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    next(s for s in review.selectbox if s.label == "Session").set_value(sid).run()
    assert "corrected this" in text(review) and "Several reflections were accurate" in text(review)

    practice = page(world, "practice.py", "tess", session=sid)
    assert not practice.exception
    assert "corrected this" in text(practice)
    # The corrected score replaces the automatic one in the item's heading and in the total.
    assert f"Empathy and reflection: {right} / 6** (automatic {automatic})" in text(practice)
    corrected_total = report.rubric.total - automatic + right
    assert f"({corrected_total} of {report.rubric.max_total} after supervisor corrections; automatic {report.rubric.total}," \
        in text(practice)
    mine = page(world, "sessions.py", "tess")
    assert not mine.exception
    assert "Corrections from your supervisors" in text(mine) and "Several reflections were accurate" in text(mine)


def test_review_lists_the_other_scores_a_supervisor_can_correct(world):
    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    assert "Agreement with supervisors" in [t.label for t in review.tabs]
    review.session_state["review-tab"] = "DEAR MAN"
    assert "Describe" in text(review.run())  # DEAR MAN skill ratings
    review.session_state["review-tab"] = "Thinking-traps drill"
    assert "Addresses the thought" in text(review.run())  # the reframe checks of the drill


def test_live_counts_show_in_free_practice_and_are_off_for_an_assignment_that_did_not_allow_them(world):
    tess = services_for(world, "tess")
    free = world[1]["active_interview"]
    at = page(world, "practice.py", "tess", session=free)
    assert not at.exception, at.exception
    assert "Live counts" in text(at)
    assignment = tess.supervision.my_assignments()[0]
    assert assignment.live_counts is False
    assigned = tess.interviews.start_assignment(assignment.id, seed=3)
    tess.interviews.say(assigned.id, "Hello, what brings you here today?")
    list(tess.interviews.respond(assigned.id))
    at = page(world, "practice.py", "tess", session=assigned.id)
    assert not at.exception
    assert "Live counts" not in text(at) and not [t for t in at.toggle if t.label == "Show live counts"]
    services_for(world, "sam").supervision.set_live_counts(assignment.id, True)
    at = page(world, "practice.py", "tess", session=assigned.id)
    assert [t for t in at.toggle if t.label == "Show live counts"]


def test_cues_never_asked_about_are_flagged_first_on_review_and_on_the_trainees_report(world, monkeypatch, tmp_path):
    from tests import report_helpers as h

    tess = actor(world, "tess")
    store = Store(world[0])
    _, sid = h.play(tmp_path, monkeypatch, [h.OPEN, h.SITUATION, h.FEELINGS, h.REFLECT, h.THOUGHTS, h.VALIDATE,
                                            h.BEHAVIOUR], actor=tess, store=store, end=True)
    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    assert any("risk cues not asked about" in str(o) for o in review.selectbox[1].options)
    review.selectbox[1].set_value(sid).run()
    banner = [e.value for e in review.error]
    assert banner and "Risk was not asked about after the patient gave a cue" in banner[0]
    assert "ask directly about thoughts of suicide" in banner[0]
    practice = page(world, "practice.py", "tess", session=sid)
    assert [e.value for e in practice.error][0] == banner[0]


def test_a_grade_saves_only_the_items_the_supervisor_set_and_the_trainee_sees_it_is_new(world):
    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    next(s for s in review.selectbox if s.label == "Session").set_value(world[1]["interview"]).run()
    assert "How tess interviewed" in text(review)  # the supervisor reads about the trainee, not "you"
    before = len(services_for(world, "sam").supervision.grades(world[1]["interview"]))
    review.radio(key="g-empathy").set_value(5)
    review.radio(key="g-agenda").set_value(2)
    next(b for b in review.button if b.label == "Save grade").click().run()
    assert not review.exception, review.exception
    assert any("Saved:" in s.value for s in review.success), [e.value for e in review.error]
    grades = services_for(world, "sam").supervision.grades(world[1]["interview"])
    assert len(grades) == before + 1
    graded = grades[0]
    assert graded.scores == {"empathy": 5, "agenda": 2}  # unset items are not scores
    assert graded.total == round(7 / 12 * 100, 1)

    mine = page(world, "sessions.py", "tess")
    badge = next(m.value for m in mine.markdown if "New from your supervisor" in m.value)
    assert "comments or grades" in badge or "a comment or grade" in badge, badge
    assert "(s)" not in badge, badge
    page(world, "practice.py", "tess", session=world[1]["interview"])  # she reads it
    again = page(world, "sessions.py", "tess")
    assert "New from your supervisor" not in " ".join(m.value for m in again.markdown)


def transcript_reads(world, after: int) -> list[tuple[str, str]]:
    """(what, item id) of every `transcript.open` audit entry after entry `after`."""
    with Store(world[0]).db() as db:
        rows = db.execute("select details_json from audit_log where action = 'transcript.open' and id > ? "
                          "order by id", [after]).fetchall()
    return [(d["what"], d["session_id"]) for d in (json.loads(r[0]) for r in rows)]


def last_audit_id(world) -> int:
    with Store(world[0]).db() as db:
        return db.execute("select coalesce(max(id), 0) from audit_log").fetchone()[0]


def test_the_audit_log_records_only_the_transcripts_a_supervisor_opens_on_review(world, monkeypatch):
    from simulator.accounts import audit

    monkeypatch.setattr(audit, "_reads", {})  # no read of an earlier test is still within its window
    start = last_audit_id(world)
    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    assert transcript_reads(world, start) == []  # listing sessions and dialogues reads none of them
    assert not review.chat_message

    next(s for s in review.selectbox if s.label == "Session").set_value(world[1]["interview"]).run()
    assert not review.exception, review.exception
    assert review.chat_message  # the chosen transcript is shown
    assert transcript_reads(world, start) == [("interview", world[1]["interview"])]

    review.session_state["review-tab"] = "Cognitive restructuring"
    review.run()
    assert not review.exception, review.exception
    assert transcript_reads(world, start) == [("interview", world[1]["interview"])]
    review.selectbox(key="review-rs").set_value(world[1]["restructuring"]).run()
    assert not review.exception, review.exception
    assert review.chat_message
    assert transcript_reads(world, start) == [("interview", world[1]["interview"]),
                                              ("restructuring", world[1]["restructuring"])]

    # DEAR MAN conversations and drill attempts are someone's work too: opened, they are logged.
    review.session_state["review-tab"] = "DEAR MAN"
    review.run()
    assert not review.exception, review.exception
    shown = next(s for s in review.selectbox if s.label == "Conversation").value
    review.session_state["review-tab"] = "Thinking-traps drill"
    review.run()
    assert not review.exception, review.exception
    tess = actor(world, "tess").id
    assert transcript_reads(world, start)[2:] == [("dearman", shown), ("drill", tess)]


def test_risk_flags_on_the_session_list_are_worked_out_again_only_when_a_transcript_changes(
        world, monkeypatch, tmp_path):
    from simulator.cbt.library import CaseLibrary
    from simulator.cbt.practice import Practice
    from simulator.cbt.report import store as report_store
    from simulator.core.settings import DATA_DIR
    from tests import report_helpers as h

    built = []
    real = report_store.interview_report

    def counted(record, *args, **kwargs):
        built.append(len(record.turns))
        return real(record, *args, **kwargs)

    monkeypatch.setattr(report_store, "interview_report", counted)
    store = Store(world[0])
    _, sid = h.play(tmp_path, monkeypatch, [h.OPEN, h.SITUATION, h.FEELINGS, h.REFLECT, h.THOUGHTS, h.VALIDATE],
                    actor=actor(world, "tess"), store=store)  # cues, never asked about; still active

    def label(review) -> str:
        return next(s for s in review.selectbox if s.label == "Session").format_func(sid)

    review = page(world, "review.py", "sam")
    assert not review.exception, review.exception
    assert "risk cues not asked about" in label(review)
    built.clear()
    review.run()  # any rerun: a toggle, a grade, another tab
    assert not review.exception, review.exception
    assert built == [] and "risk cues not asked about" in label(review)

    h.scripted_recogniser(monkeypatch, [h.RISK])
    practice = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine(),
                        actor=actor(world, "tess"))
    practice.say(sid, h.RISK[0])
    "".join(practice.respond(sid))
    review.run()
    assert not review.exception, review.exception
    assert len(built) == 1  # only the session that changed
    assert "risk cues not asked about" not in label(review)
