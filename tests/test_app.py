"""The Practice and My sessions pages under Streamlit's AppTest: choose, chat, end, resume."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.accounts import cohorts, signin, users
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, ROOT
from simulator.migrations import migrate
from simulator.supervision import authoring

APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def fresh_app(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICUM_DB", str(tmp_path / "app.db"))
    monkeypatch.setenv("PRACTICUM_ENGINE", "offline")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path / "app.db"
    st.cache_resource.clear()


PASSWORD = "a long enough password"


def signed_in_token(db_path, username="ada", role="admin"):
    store = Store(db_path)
    migrate(store)
    if not users.has_accounts(store):
        users.create_user(store, None, "ada", PASSWORD, "admin")
    return signin.login(store, username, PASSWORD)[1]


def open_app(session_id=None, token="auto"):
    at = AppTest.from_file(APP, default_timeout=30)
    if token == "auto":
        token = signed_in_token(Store(__import__("os").environ["PRACTICUM_DB"]).path)
    if token:
        at.session_state["auth_token"] = token
    if session_id:
        at.query_params["session"] = session_id
    return at.run()


def chat_texts(at):
    return [m.markdown[0].value for m in at.chat_message]


def start_session(at, case_id="tomas-herrera", situation="Situation 1", style="plain"):
    at.button(key=f"choose-{case_id}").click().run()
    at.selectbox[0].select(situation)
    at.selectbox[1].select(style)
    next(b for b in at.button if b.label == "Start session").click().run()
    assert not at.exception, at.exception
    return at.query_params["session"][0] if isinstance(at.query_params["session"], list) else at.query_params["session"]


def test_cards_show_only_what_a_trainee_may_see_before_a_session(fresh_app):
    at = open_app()
    assert not at.exception
    page = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Tomás Herrera" in page
    assert "passed over for head chef" in page.replace("\\", "")  # the presenting problem
    assert "I am incompetent" not in page and "walk-in fridge" not in page
    assert any("badge[" in m.value and "Offline engine" in m.value for m in at.markdown)


def test_choose_chat_end_and_resume(fresh_app):
    at = open_app()
    session_id = start_session(at)
    assert "Tomás Herrera, 41" in at.title[0].value
    at.chat_input[0].set_value("Hi Tomás, what would you like to talk about today?").run()
    at.chat_input[0].set_value("What went through your mind when that happened?").run()
    assert not at.exception
    texts = chat_texts(at)
    assert len(texts) == 4 and texts[0].startswith("Hi Tom")
    assert at.metric[0].value == "2"  # your turns

    stored = SessionStore(Store(fresh_app)).transcript(session_id)
    assert [t.role for t in stored] == ["therapist", "patient", "therapist", "patient"]

    end = next(b for b in at.button if b.label == "End session")
    end.click().run()
    assert SessionStore(Store(fresh_app)).session(session_id).status == "ended"
    assert len(at.chat_input) == 0

    again = open_app(session_id)  # a reload, or another day
    assert chat_texts(again) == texts
    assert any("has ended" in i.value for i in again.info)


def test_an_active_session_resumes_where_it_was(fresh_app):
    at = open_app()
    session_id = start_session(at, style="reserved")
    at.chat_input[0].set_value("How have things been at work?").run()
    before = chat_texts(at)
    state_before = SessionStore(Store(fresh_app)).state(session_id)

    again = open_app(session_id)
    assert chat_texts(again) == before
    again.chat_input[0].set_value("That sounds hard.").run()
    assert len(chat_texts(again)) == 4
    assert SessionStore(Store(fresh_app)).state(session_id).turn == state_before.turn + 1


def test_over_long_and_markup_messages(fresh_app):
    at = open_app()
    session_id = start_session(at)
    at.chat_input[0].set_value("z" * 2001).run()
    assert any("limit is 2,000" in w.value for w in at.warning)
    assert at.text_area[0].value == "z" * 2001  # the text is kept for the trainee to shorten
    assert SessionStore(Store(fresh_app)).transcript(session_id) == []

    at.chat_input[0].set_value("<b>bold?</b> **not bold** [link](http://x)").run()
    shown = chat_texts(at)[0]
    assert "<b>" not in shown and "**not" not in shown
    assert SessionStore(Store(fresh_app)).transcript(session_id)[0].text == "<b>bold?</b> **not bold** [link](http://x)"


def test_my_sessions_lists_and_opens_a_session(fresh_app):
    at = open_app()
    session_id = start_session(at)
    at.chat_input[0].set_value("Hello there.").run()
    at.switch_page("views/sessions.py").run()
    assert not at.exception
    assert any("Tomás Herrera" in m.value and "2 messages" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Resume").click().run()
    assert not at.exception
    assert len(chat_texts(at)) == 2
    assert session_id in str(at.query_params["session"])


ADMIN_PAGES = ["views/practice.py", "views/sessions.py", "views/formulation.py", "views/feedback.py", "views/progress.py", "views/dearman.py", "views/traps_drill.py", "views/restructuring.py", "views/assignments.py", "views/account.py",
               "views/review.py", "views/authoring.py", "views/authoring_scenarios.py", "views/export.py", "views/admin.py"]


def test_every_page_opens_for_an_admin(fresh_app):
    at = open_app()
    for page in ADMIN_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.title, page


def test_export_page_offers_free_text_unticked_and_says_what_may_remain(fresh_app):
    at = open_app()
    at.switch_page("views/export.py").run()
    box = next(c for c in at.checkbox if "free text" in c.label.lower())
    assert box.value is False
    shown = " ".join(m.value for m in at.markdown)
    assert "Always removed" in shown and "What may remain in free text" in shown


def test_describe_your_own_asks_for_no_real_names(fresh_app):
    at = open_app()
    at.switch_page("views/dearman.py").run()
    assert any("don't use real names" in c.value for c in at.caption)


def test_first_start_asks_for_the_admin_account_then_signs_in(fresh_app):
    from simulator.accounts import setup

    at = open_app(token=None)
    assert at.title[0].value == "Welcome to Practicum"
    assert any("server's log" in i.value and "Practicum setup code" in i.value for i in at.info)
    at.text_input[0].input("WRNG-CODE-0000-0000")  # without the code from the log, no admin
    at.text_input[1].input("Root")
    at.text_input[2].input(PASSWORD)
    at.text_input[3].input(PASSWORD)
    next(b for b in at.button if b.label == "Create admin account").click().run()
    assert any("setup code is not right" in e.value for e in at.error)
    assert not users.has_accounts(Store(fresh_app))
    code = setup.issue(Store(fresh_app))  # as a restart would write to the log
    at.text_input[0].input(code.lower().replace("-", " "))
    at.text_input[2].input(PASSWORD)
    at.text_input[3].input(PASSWORD)
    next(b for b in at.button if b.label == "Create admin account").click().run()
    assert not at.exception
    assert "Signed in as **root** (admin)" in " ".join(c.value for c in at.sidebar.markdown)


def test_sign_in_form_and_a_trainee_sees_no_admin_pages(fresh_app):
    store = Store(fresh_app)
    migrate(store)
    admin = users.create_user(store, None, "ada", PASSWORD, "admin")
    users.create_user(store, admin, "tess", PASSWORD, "trainee")
    at = open_app(token=None)
    assert at.title[0].value == "Sign in to Practicum"
    at.text_input[0].input("tess")
    at.text_input[1].input("wrong password!")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert any("Wrong username or password" in e.value for e in at.error)
    at.text_input[1].input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert "tess" in " ".join(c.value for c in at.sidebar.markdown)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/admin.py")  # not registered for a trainee at all


def test_llm_engine_failure_shows_a_message_and_ask_again_recovers(fresh_app, monkeypatch, openai_server):
    monkeypatch.setenv("PRACTICUM_ENGINE", "llm")
    monkeypatch.setenv("PRACTICUM_LLM_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("PRACTICUM_LLM_MODEL", "clinic-model")
    monkeypatch.setenv("PRACTICUM_LLM_MAX_RETRIES", "1")
    openai_server.script.reply = "Work has been hard since the announcement."
    at = open_app()
    assert any("Model: clinic-model" in m.value for m in at.markdown)
    session_id = start_session(at)
    at.chat_input[0].set_value("What brings you in today?").run()
    assert chat_texts(at)[-1].replace("\\", "") == "Work has been hard since the announcement."

    openai_server.script.fail_status = 500
    at.chat_input[0].set_value("Can you tell me more?").run()
    assert any("HTTP 500" in e.value and "Ask again" in e.value for e in at.error)
    stored = SessionStore(Store(fresh_app)).transcript(session_id)
    assert stored[-1].role == "therapist" and stored[-1].text == "Can you tell me more?"

    openai_server.script.fail_status = None
    next(b for b in at.button if b.label == "Ask again").click().run()
    assert not at.exception
    assert [t.role for t in SessionStore(Store(fresh_app)).transcript(session_id)] == ["therapist", "patient"] * 2

    openai_server.script.cut_after = 2  # the stream breaks mid-reply
    at.chat_input[0].set_value("What happened next?").run()
    assert any("Ask again" in e.value for e in at.error)
    assert any("cut off" in c.value for c in at.caption)
    openai_server.script.cut_after = None
    next(b for b in at.button if b.label == "Ask again").click().run()
    last = SessionStore(Store(fresh_app)).transcript(session_id)[-3:]
    assert [(t.role, t.complete) for t in last] == [("therapist", True), ("patient", False), ("patient", True)]
    # On screen one question shows one answer: the cut reply is folded away under the question.
    assert [t.replace("\\", "") for t in chat_texts(at)[-2:]] == ["What happened next?", "Work has been hard since the announcement."]
    assert any("cut off, then asked again" in e.label for e in at.expander)


def test_show_thinking_traps_marks_patient_lines(fresh_app):
    at = open_app()
    session_id = start_session(at)
    store = Store(fresh_app)
    SessionStore(store).add_turn(session_id, "therapist", "What went through your mind?")
    SessionStore(store).add_turn(session_id, "patient", "Everyone in that kitchen thinks I'm a joke. I'll never get it right.")
    at = open_app(session_id)
    assert not any("Thinking traps:" in c.value for c in at.caption)
    at.toggle(key=f"traps-{session_id}").set_value(True).run()
    assert not at.exception
    marks = [c.value for c in at.caption if c.value.startswith("Thinking traps:")]
    assert len(marks) == 1 and ("Mind reading" in marks[0] or "Fortune" in marks[0])


def test_single_sign_on_maps_a_verified_email_to_its_account(fresh_app):
    store = Store(fresh_app)
    migrate(store)
    admin = users.create_user(store, None, "ada", PASSWORD, "admin")
    users.create_user(store, admin, "tess", PASSWORD, "trainee", email="Tess@Clinic.example")
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "s", "server_metadata_url": "http://idp/.well-known"}
    at.user = {"is_logged_in": True, "email": "tess@clinic.example", "email_verified": True}
    at.run()
    assert not at.exception
    assert "Signed in as **tess** (trainee)" in " ".join(c.value for c in at.sidebar.markdown)

    stranger = AppTest.from_file(APP, default_timeout=30)
    stranger.secrets["auth"] = at.secrets["auth"]
    stranger.user = {"is_logged_in": True, "email": "who@else.example", "email_verified": True}
    stranger.run()
    assert any("No Practicum account is linked to who@else.example" in e.value for e in stranger.error)

    unverified = AppTest.from_file(APP, default_timeout=30)
    unverified.secrets["auth"] = at.secrets["auth"]
    unverified.user = {"is_logged_in": True, "email": "tess@clinic.example", "email_verified": False}
    unverified.run()
    assert unverified.title[0].value == "Sign in to Practicum"
    assert any("did not confirm that email" in e.value for e in unverified.error)


def test_admin_sees_why_an_account_was_not_added(fresh_app):
    at = open_app()
    at.switch_page("views/admin.py").run()
    form_inputs = [t for t in at.text_input if t.label in ("Username", "Initial password")]
    form_inputs[0].input("bob")
    form_inputs[1].input("short")
    next(b for b in at.button if b.label == "Add account").click().run()
    assert any("at least 12 characters" in e.value for e in at.error)
    assert [u["username"] for u in users.list_users(Store(fresh_app), signin.login(Store(fresh_app), "ada", PASSWORD)[0])] == ["ada"]


def test_the_add_account_form_clears_after_a_save_and_a_role_change_asks_first(fresh_app):
    at = open_app()
    at.switch_page("views/admin.py").run()

    def field(label):
        return next(w for w in [*at.text_input, *at.selectbox] if w.label == label)

    field("Username").input("sup1")
    field("Role").set_value("supervisor")
    field("Initial password").input("lantern quarry obelisk 42")
    next(b for b in at.button if b.label == "Add account").click().run()
    assert not at.error, [e.value for e in at.error]
    # The next person starts from an empty form: never silently a supervisor like the last one.
    assert field("Username").value == "" and field("Role").value == "trainee"
    assert field("Initial password").value == ""

    store = Store(fresh_app)
    admin = signin.login(store, "ada", PASSWORD)[0]
    sup = next(u for u in users.list_users(store, admin) if u["username"] == "sup1")
    next(w for w in at.selectbox if w.label == "Role of sup1").set_value("admin").run()
    assert any("Change sup1's role from supervisor to admin?" in w.value for w in at.warning)
    assert next(u for u in users.list_users(store, admin) if u["id"] == sup["id"])["role"] == "supervisor"
    next(b for b in at.button if b.label == "Change role").click().run()
    assert next(u for u in users.list_users(store, admin) if u["id"] == sup["id"])["role"] == "admin"


def test_signing_out_leaves_nothing_for_the_next_person(fresh_app):
    at = open_app()
    at.button(key="choose-tomas-herrera").click().run()
    assert at.session_state["chosen_case"] == "tomas-herrera"
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert at.title[0].value == "Sign in to Practicum"
    assert "chosen_case" not in at.session_state and "actor" not in at.session_state


def test_review_shows_the_automatic_formulation_score(fresh_app):
    from simulator.cbt.formulation.store import submit

    store = Store(fresh_app)
    migrate(store)
    admin = users.create_user(store, None, "ada", PASSWORD, "admin")
    sup = users.create_user(store, admin, "sam", PASSWORD, "supervisor")
    tess = users.create_user(store, admin, "tess", PASSWORD, "trainee")
    cohort = cohorts.create_cohort(store, admin, "Autumn")
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    cohorts.add_member(store, admin, cohort, sup.id, "supervisor")
    from simulator.cbt.engine_offline import OfflineEngine
    from simulator.cbt.library import CaseLibrary
    from simulator.cbt.practice import Practice
    from simulator.core.settings import DATA_DIR, Settings

    p = Practice(store, CaseLibrary.load(DATA_DIR / "patients"), OfflineEngine(), actor=tess)
    info = p.start("tomas-herrera", "plain", situation_index=0, seed=1)
    lines = ["What happened at work?", "How did you feel?", "What did you do?", "What went through your mind?",
             "What does that say about you?", "How do you usually cope?"]  # six turns before submitting
    for line in lines:
        p.say(info.id, line)
        list(p.respond(info.id))
    submit(store, tess, info.id, {"situation": "Passed over for head chef in the Monday briefing",
                                  "emotions": ["sad, down, lonely, unhappy"],
                                  "behavior": "Hid in the walk-in fridge",
                                  "automatic_thoughts": "I am not good enough"}, Settings())
    at = open_app(token=signin.login(store, "sam", PASSWORD)[1])
    at.switch_page("views/review.py").run()
    assert not at.exception
    next(s for s in at.selectbox if s.label == "Session").set_value(info.id).run()
    assert any(m.label == "Formulation total" for m in at.metric)
    assert len(at.chat_message) == 2 * len(lines)
    rubric = next(e for e in at.expander if "rubric" in e.label)
    assert "Core beliefs" in str(rubric.dataframe[0].value)


def test_a_case_with_distressing_material_carries_a_content_note_on_its_card(fresh_app):
    at = open_app()
    notes = [c.value for c in at.caption if "Content note" in c.value]
    # The three cases with risk content (Dale, Walter, River) warn before a session.
    assert len(notes) == 3 and all("thoughts" in n for n in notes)
    assert any("thoughts of death" in n for n in notes) and any("attempt" in n for n in notes)


def test_a_supervisor_assigns_a_dear_man_scenario_from_the_page(fresh_app):
    at = open_app()
    store = Store(fresh_app)
    admin = signin.login(store, "ada", PASSWORD)[0]
    cohort = cohorts.create_cohort(store, admin, "Spring")
    tess = users.create_user(store, admin, "tess", PASSWORD, "trainee")
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    at.switch_page("views/assignments.py").run()
    at.radio[0].set_value("DEAR MAN conversation").run()
    next(b for b in at.button if b.label == "Assign").click().run()
    assert any(s.value == "Assigned." for s in at.success), [e.value for e in at.error]
    from simulator.supervision import reviews

    mine = reviews.assignments_for(store, tess)
    assert len(mine) == 1 and mine[0].kind == "dearman" and mine[0].style is None
    # The list says who it is for and who has done it; the form is empty again for the next one.
    listed = " ".join(m.value for m in at.markdown)
    assert "for **cohort Spring**" in listed and "done by 0 of 1" in listed and "tess: not done yet" in listed
    assert at.text_area(key="assign-note").value == ""
    assert not any(s.label == "Trainee" for s in at.selectbox)  # only the chosen target's field is shown


def test_a_trainee_sees_whether_each_assignment_is_done_and_can_start_it(fresh_app):
    from simulator.supervision import reviews

    signed_in_token(fresh_app)  # the database, with its first admin
    store = Store(fresh_app)
    admin = signin.login(store, "ada", PASSWORD)[0]
    cohort = cohorts.create_cohort(store, admin, "Spring")
    tess = users.create_user(store, admin, "tess", PASSWORD, "trainee")
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    from datetime import date

    from simulator.cbt.library import CaseLibrary
    from simulator.core.settings import DATA_DIR

    reviews.assign(store, admin, "cbt", "tomas-herrera", date(2030, 1, 1), cases=CaseLibrary.load(DATA_DIR / "patients"),
                   scenarios=None, style="plain", cohort_id=cohort)
    at = open_app(token=signin.login(store, "tess", PASSWORD)[1])
    at.switch_page("views/assignments.py").run()
    assert any("not done yet" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception
    session_id = SessionStore(store).list_sessions(owner=tess.id)[0].id
    SessionStore(store).end_session(session_id)
    at.switch_page("views/assignments.py").run()
    assert any(f"done {date.today():%Y-%m-%d}" in m.value for m in at.markdown)


def test_authoring_form_shows_problems_then_saves_a_new_version(fresh_app):
    at = open_app()
    at.switch_page("views/authoring.py").run()
    problem = next(t for t in at.text_input if t.label.startswith("Presenting problem"))
    problem.input("")  # a form sends its values with the submit click
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert any("presenting_problem: must not be empty" in e.value for e in at.error)
    problem = next(t for t in at.text_input if t.label.startswith("Presenting problem"))
    problem.input("Worry and poor sleep after a knock-back at university.")
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert any("as version 2" in s.value for s in at.success), [e.value for e in at.error]


def test_authoring_form_edits_the_version_2_fields_and_refuses_inconsistent_risk(fresh_app):
    at = open_app()
    at.switch_page("views/authoring.py").run()
    level = next(s for s in at.selectbox if s.label == "Level")
    assert level.value == "none"  # the first case, Amara Okafor, has no risk
    level.set_value("active_plan")
    plan = next(t for t in at.text_area if t.label.startswith("Plan"))
    plan.input("After the exams.")
    rating = next(t for t in at.text_input if t.label.startswith("Intensity of each emotion"))
    rating.input("80")
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "situations.0.emotion_intensity: give one number per chosen emotion" in errors
    rating = next(t for t in at.text_input if t.label.startswith("Intensity of each emotion"))
    rating.input("80, 60")
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "risk.plan: a plan without ideation" in errors, errors
    next(s for s in at.selectbox if s.label == "Level").set_value("none")
    next(t for t in at.text_area if t.label.startswith("Plan")).input("")
    goals = next(t for t in at.text_area if t.label.startswith("Goals"))
    goals.input("To feel less on edge before exams.")
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert any("as version 2" in s.value for s in at.success), [e.value for e in at.error]
    saved = authoring.case_library(Store(fresh_app), DATA_DIR / "patients").get("amara-okafor")
    assert saved.goals == "To feel less on edge before exams." and saved.schema_version == 2
    assert saved.situations[0].emotion_intensity and saved.voicings.core_beliefs  # kept through the form


def test_a_66_case_library_is_searched_and_filtered_by_source_difficulty_and_risk(fresh_app, tmp_path):
    import json

    from bench.psi_import import expand_published

    published = tmp_path / "published.json"  # 106 records for 50 patients, made from our test file
    published.write_text(json.dumps(expand_published()), encoding="utf-8")
    token = signed_in_token(fresh_app)
    store = Store(fresh_app)
    with store.db() as db:
        ada = users.actor_of(users.user_row(db, "ada"))
    library = authoring.case_library(store, DATA_DIR / "patients")
    authoring.import_cases(store, ada, published, library)  # 16 library + 50 imported = 66
    clone = library.get("walter-brandt").model_dump(mode="json") | {"id": "walt-clinic", "name": "Walt Clinic"}
    authoring.save_case(store, ada, clone, library, new=True)  # and one written here
    at = open_app(token=token)
    assert not at.exception

    def shown():
        caption = next(c.value for c in at.caption if c.value.endswith("patients"))
        return caption.split(" of ")[0], {b.key.removeprefix("choose-") for b in at.button
                                          if (b.key or "").startswith("choose-")}

    assert shown()[0] == "67"
    at.multiselect(key="case_source").select("imported").run()
    count, ids = shown()
    assert count == "50" and "corinne" in ids and "tomas-herrera" not in ids
    at.multiselect(key="case_source").unselect("imported").select("authored").run()
    assert shown() == ("1", {"walt-clinic"})
    at.multiselect(key="case_source").unselect("authored").select("library").run()
    assert shown()[0] == "16"
    # Risk as the cards may say it: the three library cases whose content note announces it.
    at.multiselect(key="case_risk").select("present").run()
    assert shown() == ("3", {"dale-hutchins", "river-castillo", "walter-brandt"})
    at.multiselect(key="case_source").unselect("library").run()
    assert shown()[1] == {"dale-hutchins", "river-castillo", "walter-brandt", "walt-clinic"}
    at.multiselect(key="case_risk").unselect("present").select("unknown").run()
    assert shown()[0] == "50"  # imported cases record no risk
    at.multiselect(key="case_difficulty").select("beginner").run()
    assert shown()[0] == "0"
    at.text_input(key="case_query").input("Tobiah").run()
    at.multiselect(key="case_difficulty").unselect("beginner").run()
    count, ids = shown()
    assert count == "5" and "tobiah" in ids and "tobiah-abara" in ids
    page = " ".join(m.value for m in at.markdown)
    assert "imported" in page and "No risk profile" in " ".join(c.value for c in at.caption)


def test_editing_an_imported_case_keeps_each_situation_model_and_its_origin(fresh_app):
    from tests.test_import import PUBLISHED

    token = signed_in_token(fresh_app)
    store = Store(fresh_app)
    with store.db() as db:
        ada = users.actor_of(users.user_row(db, "ada"))
    authoring.import_cases(store, ada, PUBLISHED, authoring.case_library(store, DATA_DIR / "patients"))
    before = authoring.case_library(store, DATA_DIR / "patients").get("corinne")
    at = open_app(token=token)
    at.switch_page("views/authoring.py").run()
    next(s for s in at.selectbox if s.label == "Case").select("corinne").run()
    goals = next(t for t in at.text_area if t.label.startswith("Goals"))
    goals.input("To stop carrying everyone.")
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert any("as version 2" in s.value for s in at.success), [e.value for e in at.error]
    lib = authoring.case_library(store, DATA_DIR / "patients")
    after = lib.get("corinne")
    assert after.goals == "To stop carrying everyone."
    assert after.situations == before.situations and after.imported_from == before.imported_from
    assert after.model_for(1).core_beliefs == before.model_for(1).core_beliefs != after.model_for(0).core_beliefs
    assert lib.source("corinne") == "imported"


def _restructuring(store, actor, messages=("What went through your mind when that happened?",)):
    from simulator.cbt.library import CaseLibrary
    from simulator.core.settings import DATA_DIR, Settings
    from simulator.traps.restructuring.dialogue import distorted_thoughts
    from simulator.traps.restructuring.practice import RestructuringPractice

    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    practice = RestructuringPractice(store, Settings(), actor)
    sid = practice.start(case, distorted_thoughts(case)[0], seed=1)
    for m in messages:
        practice.say(sid, m)
    return practice, sid


def test_my_sessions_lists_all_three_kinds_to_resume_or_read(fresh_app):
    from simulator.core.settings import Settings
    from simulator.dearman.practice import DearmanPractice
    from simulator.dearman.scenarios import ScenarioLibrary

    at = open_app()
    start_session(at)
    at.chat_input[0].set_value("Hello there.").run()
    store = Store(fresh_app)
    ada = signin.login(store, "ada", PASSWORD)[0]
    dm = DearmanPractice(store, Settings(), ada)
    conversation = dm.start(next(iter(ScenarioLibrary.load())), None, seed=1)
    dm.send(conversation.id, "I need the money back by Friday, please.")
    list(dm.respond(conversation.id))
    practice, open_id = _restructuring(store, ada)
    _, done_id = _restructuring(store, ada)
    practice.finish(done_id)

    at.switch_page("views/sessions.py").run()
    assert not at.exception, at.exception
    lines = [m.value for m in at.markdown if "messages" in m.value]
    assert sum("CBT interview" in line for line in lines) == 1
    assert sum("DEAR MAN" in line and "2 messages" in line for line in lines) == 1
    assert sum("Cognitive restructuring" in line and "in progress" in line for line in lines) == 1
    assert sum("Cognitive restructuring" in line and "finished" in line for line in lines) == 1
    assert at.button(key=f"open-restructuring-{done_id}").label == "Read"
    assert at.button(key=f"open-dearman-{conversation.id}").label == "Resume"

    at.button(key=f"open-restructuring-{open_id}").click().run()
    assert not at.exception, at.exception
    assert open_id in str(at.query_params["rs"])
    assert len(at.chat_message) == 3 and at.chat_input  # resumed, ready for the next message

    at.switch_page("views/sessions.py").run()
    at.button(key=f"open-dearman-{conversation.id}").click().run()
    assert not at.exception, at.exception
    assert conversation.id in str(at.query_params["dm"])
    assert any("money back by Friday" in m.value.replace("\\", "") for m in at.markdown)


def test_review_shows_a_trainees_restructuring_dialogues_read_only(fresh_app):
    store = Store(fresh_app)
    migrate(store)
    admin = users.create_user(store, None, "ada", PASSWORD, "admin")
    sup = users.create_user(store, admin, "sam", PASSWORD, "supervisor")
    tess = users.create_user(store, admin, "tess", PASSWORD, "trainee")
    cohort = cohorts.create_cohort(store, admin, "Autumn")
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    cohorts.add_member(store, admin, cohort, sup.id, "supervisor")
    practice, sid = _restructuring(store, tess, ["What went through your mind when that happened?",
                                                 "If that were true, what would it mean?"])
    practice.finish(sid)

    at = open_app(token=signin.login(store, "sam", PASSWORD)[1])
    at.switch_page("views/review.py").run()
    assert not at.exception, at.exception
    assert "No CBT sessions yet." in [m.value for m in at.markdown]
    at.session_state["review-tab"] = "Cognitive restructuring"
    at.run()
    assert "finished" in at.selectbox(key="review-rs").format_func(sid)
    at.selectbox(key="review-rs").set_value(sid).run()
    assert len(at.chat_message) == 5  # the opening and two exchanges
    assert "Feedback by stage" in [h.value for h in at.subheader]
    assert not at.chat_input  # read-only
    assert len(practice.open(sid).state.turns) == 5
