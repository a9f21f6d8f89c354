"""Security checks: markup shown as text, parameterised SQL, no passwords in logs or exports, safe paths."""

import json
import logging
import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.accounts import audit, signin, users
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.importer import import_file
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, ROOT
from simulator.migrations import migrate
from simulator.research import export
from simulator.supervision import reviews

PW = "a long enough password"
XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script> **bold** [x](javascript:alert(3))'


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICUM_DB", str(tmp_path / "s.db"))
    st.cache_resource.clear()
    store = Store(tmp_path / "s.db")
    migrate(store)
    admin = users.create_user(store, None, "admin", PW, "admin")
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    p = Practice(store, CaseLibrary.load(DATA_DIR / "patients"), OfflineEngine(), actor=tess)
    s = p.start("tomas-herrera", "plain", situation_index=0, seed=1)
    p.say(s.id, XSS)
    list(p.respond(s.id))
    reviews.add_comment(store, admin, s.id, 0, XSS)
    yield store, admin, tess, s.id
    st.cache_resource.clear()


def test_markup_in_messages_and_comments_is_shown_as_text(world):
    store, admin, tess, sid = world
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["auth_token"] = signin.login(store, "admin", PW)[1]
    at.run()
    at.switch_page("views/review.py").run()
    assert not at.exception
    next(s for s in at.selectbox if s.label == "Session").set_value(sid).run()
    shown = [m.value for m in at.chat_message[0].markdown] + [i.value for i in at.info]
    assert any("onerror" in v for v in shown)
    for value in shown:
        assert "<img" not in value and "<script" not in value and "**bold**" not in value
        assert "](javascript" not in value


def test_sql_metacharacters_are_data_not_code(world):
    store, admin, tess, sid = world
    with pytest.raises(users.AccountError):
        signin.login(store, "x' OR '1'='1", "' OR '1'='1")
    evil = "'); DROP TABLE turns; --"
    reviews.add_comment(store, admin, sid, 1, evil)
    assert any(c.text == evil for c in reviews.comments(store, admin, sid))
    assert len(SessionStore(store).transcript(sid)) == 2
    with pytest.raises(users.AccountError, match="username"):
        users.create_user(store, admin, "robert'); drop table users;--", PW, "trainee")


def test_passwords_never_reach_logs_audit_or_exports(world, caplog, tmp_path):
    store, admin, tess, sid = world
    secret_pw = "zebra-quartz-9921-plinth"
    with caplog.at_level(logging.DEBUG):
        user = users.create_user(store, admin, "pat", secret_pw, "trainee")
        signin.login(store, "pat", secret_pw)
        with pytest.raises(users.AccountError):
            signin.login(store, "pat", secret_pw + "x")
        users.set_password(store, admin, user.id, secret_pw + "-2")
    assert secret_pw not in caplog.text
    logged = json.dumps(audit.audit_entries(store, admin))
    assert secret_pw not in logged and "argon2" not in logged
    users.set_consent(store, tess, True)
    data = export.collect(store, admin, "k", export.Filters())
    blob = json.dumps(data)
    assert "argon2" not in blob and "password" not in blob


def test_import_paths_cannot_escape_the_case_folder(tmp_path):
    record = {
        "name": "../../../../tmp/evil", "id": "9-1", "type": ["plain"], "history": "h",
        "helpless_belief": ["I am helpless."], "unlovable_belief": [], "worthless_belief": [],
        "intermediate_belief": "i", "coping_strategies": "c", "situation": "s", "auto_thought": "a",
        "emotion": ["hurt"], "behavior": "b",
    }
    src = tmp_path / "in.json"
    src.write_text(json.dumps([record]))
    dest = tmp_path / "cases"
    dest.mkdir()
    report = import_file(src, dest)
    for path in report.written:
        assert Path(os.path.realpath(path)).parent == Path(os.path.realpath(dest))
    assert not Path("/tmp/evil.json").exists()


def test_markup_in_an_authored_case_is_shown_as_text(world):
    from simulator.supervision import authoring

    store, admin, tess, sid = world
    lib = authoring.case_library(store, DATA_DIR / "patients")
    data = lib.get("tomas-herrera").model_dump(mode="json")
    data.update(id="evil-case", name='Eve <script>alert(1)</script>',
                presenting_problem="[click me](javascript:alert(2)) <b>now</b> $x$ :smile:")
    authoring.save_case(store, admin, data, lib, new=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["auth_token"] = signin.login(store, "admin", PW)[1]
    at.run()
    assert not at.exception
    card_text = [m.value for m in at.markdown if "Eve" in m.value or "click me" in m.value]
    assert any("Eve" in v for v in card_text) and any("click me" in v for v in card_text)
    for value in card_text:
        assert "<script" not in value and "<b>" not in value and "](javascript" not in value
        assert "$x$" not in value and ":smile:" not in value
    at.switch_page("views/authoring.py").run()
    assert not at.exception
