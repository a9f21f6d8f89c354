"""The clinic's operations on the pages: where a trainee's text goes before the model is used, an
admin choosing which exercises may use the model, and erasing a person from the admin page."""

import pytest
from streamlit.testing.v1 import AppTest

from simulator.accounts import signin, users
from simulator.core.db import Store
from tests.test_app import APP, PASSWORD, fresh_app, signed_in_token  # noqa: F401  (fixture)


@pytest.fixture
def remote_model(monkeypatch):
    # A host that never resolves counts as another machine; nothing is sent in these tests.
    monkeypatch.setenv("PRACTICUM_ENGINE", "llm")
    monkeypatch.setenv("PRACTICUM_LLM_BASE_URL", "http://models.clinic-partner.invalid:8080/v1")
    monkeypatch.setenv("PRACTICUM_LLM_MODEL", "partner-model")
    monkeypatch.setenv("PRACTICUM_LLM_API_KEY", "not-used")


def app(db_path, page=None):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["auth_token"] = signed_in_token(db_path)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def markdown(at) -> str:
    shown = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    return shown.replace("\\", "")  # markdown escapes


def test_a_remote_model_is_used_only_after_the_trainee_reads_where_their_text_goes(fresh_app, remote_model):
    at = app(fresh_app)
    text = markdown(at)
    assert "Offline engine" in text and "Model: partner-model" not in text
    assert "is sent to models.clinic-partner.invalid (a computer that is not this Practicum server" in text
    assert "uses the offline engine until you have read" in text
    next(b for b in at.button if b.label == "I have read this: use the model").click().run()
    assert not at.exception, at.exception
    text = markdown(at)
    assert "Model: partner-model" in text and "I have read this" not in " ".join(b.label for b in at.button)

    at.switch_page("views/dearman.py").run()  # one confirmation per model server, for every exercise
    assert "Model: partner-model" in markdown(at)


def test_an_exercise_the_admin_keeps_offline_says_so_to_the_trainee(fresh_app, remote_model):
    at = app(fresh_app, "views/admin.py")
    at.session_state["admin-tab"] = "Language model"
    at.run()
    toggle = next(t for t in at.toggle if t.label.startswith("DEAR MAN with your own situation"))
    assert toggle.value is True
    toggle.set_value(False).run()
    assert not at.exception, at.exception
    at.switch_page("views/traps_drill.py").run()
    next(b for b in at.button if b.label == "I have read this: use the model").click().run()
    assert "Model: partner-model" in markdown(at)  # the drill may still use it

    from simulator.modeluse import access
    assert access.llm_permissions(Store(fresh_app))["dearman_own"] is False
    assert access.llm_permissions(Store(fresh_app))["traps"] is True


def test_an_admin_sees_what_erasing_removes_and_erases_only_after_typing_the_name(fresh_app):
    store = Store(fresh_app)
    signed_in_token(fresh_app)
    admin = signin.login(store, "ada", PASSWORD)[0]
    users.create_user(store, admin, "bob", "a long enough password for bob", "trainee")
    at = app(fresh_app, "views/admin.py")
    # Only the open tab runs: the erasure preview is not computed while People is open.
    assert "Account" not in [s.label for s in at.selectbox] and "Add account" in [b.label for b in at.button]
    at.session_state["admin-tab"] = "Erasure and retention"
    at.run()
    next(s for s in at.selectbox if s.label == "Account").set_value("bob").run()
    assert not at.exception, at.exception
    assert "Erasing **bob** (trainee) would remove" in markdown(at)
    erase = next(b for b in at.button if b.label == "Erase")
    assert erase.disabled
    next(t for t in at.text_input if t.label == "Type the username to confirm").input("bob").run()
    next(b for b in at.button if b.label == "Erase").click().run()
    assert not at.exception, at.exception
    assert [u["username"] for u in users.list_users(store, admin)] == ["ada"]


def test_the_admin_page_shows_what_a_purge_and_an_erasure_remove_while_another_connection_writes(
        fresh_app, monkeypatch):
    import re
    import sqlite3
    import time

    from simulator.cbt.engine_offline import OfflineEngine
    from simulator.cbt.library import CaseLibrary
    from simulator.cbt.practice import Practice
    from simulator.core.settings import DATA_DIR, ROOT
    from simulator.ops.erasure import purge

    store = Store(fresh_app)
    signed_in_token(fresh_app)
    admin = signin.login(store, "ada", PASSWORD)[0]
    bob = users.create_user(store, admin, "bob", "a long enough password for bob", "trainee")
    practice = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine(),
                        actor=bob)
    sid = practice.start("tomas-herrera", "plain", situation_index=0, seed=1).id
    for line in ("What brings you in today?", "What went through your mind?"):
        practice.say(sid, line)
        "".join(practice.respond(sid))
    with store.db() as db:  # bob has not been here for years
        db.execute("update users set created_at = '2020-01-01T00:00:00+00:00' where id = ?", [bob.id])
        db.execute("update sessions set updated_at = '2020-01-01T00:00:00+00:00' where owner = ?", [bob.id])
    monkeypatch.setenv("PRACTICUM_RETENTION_DAYS", "30")

    writer = sqlite3.connect(fresh_app, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another connection in the middle of a write
    try:
        at = AppTest.from_file(str(ROOT / "views" / "admin.py"), default_timeout=20)
        at.session_state["actor"] = admin  # signed in already: the page itself is what is timed
        at.session_state["admin-tab"] = "Erasure and retention"
        started = time.monotonic()
        at.run()
        next(s for s in at.selectbox if s.label == "Account").set_value("bob").run()
        took = time.monotonic() - started
    finally:
        writer.rollback()
        writer.close()
    assert not at.exception, at.exception
    assert took < 10, f"the page waited {took:.0f} s for another connection's write lock"
    shown = markdown(at)
    purged = int(re.search(r"bob: last active 2020-01-01, (\d+) rows", shown).group(1))
    erased = int(re.search(r"Erasing \*\*bob\*\* \(trainee\) would remove (\d+) rows", shown).group(1))
    assert purged == erased == 6  # the account, its session and its four turns

    done = purge(store, admin, 30)
    assert [t.username for t in done.trainees] == ["bob"] and sum(done.trainees[0].removed.values()) == purged
