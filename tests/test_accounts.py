"""Accounts: first admin, argon2id hashes, idle expiry, logout, consent, CLI (sign-in under attack,
password strength and the cookie: tests/test_signin_security.py)."""

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from simulator.accounts import signin, users
from simulator.accounts.policy import AccessDenied
from simulator.core.db import Store
from simulator.core.settings import ROOT

PW = "a long enough password"



@pytest.fixture
def admin(store):
    return users.create_user(store, None, "Ada", PW, "admin")


def test_first_account_must_be_admin_and_later_ones_need_an_admin(store):
    with pytest.raises(users.AccountError, match="first account must be an admin"):
        users.create_user(store, None, "tess", PW, "trainee")
    admin = users.create_user(store, None, "Ada", PW, "admin")
    assert admin.username == "ada" and admin.role == "admin"
    with pytest.raises(AccessDenied):
        users.create_user(store, None, "tess", PW, "trainee")
    trainee = users.create_user(store, admin, "tess", PW, "trainee")
    with pytest.raises(AccessDenied):
        users.create_user(store, trainee, "eve", PW, "admin")
    with pytest.raises(users.AccountError, match="taken"):
        users.create_user(store, admin, "TESS", PW, "trainee")
    with pytest.raises(users.AccountError, match="12 characters"):
        users.create_user(store, admin, "sam", "short", "trainee")


def test_passwords_are_stored_only_as_argon2id_hashes(store, admin):
    with store.db() as db:
        row = next(db["users"].rows_where("username = 'ada'"))
    assert row["password_hash"].startswith("$argon2id$")
    import sqlite3

    dump = "\n".join(sqlite3.connect(store.path).iterdump())
    assert PW not in dump


def test_login_logout_and_wrong_password(store, admin):
    actor, token = signin.login(store, "ADA ", PW)
    assert actor == admin
    assert signin.resume(store, token, idle_minutes=60) == admin
    with pytest.raises(users.AccountError, match="Wrong username or password"):
        signin.login(store, "ada", "not the password")
    with pytest.raises(users.AccountError, match="Wrong username or password"):
        signin.login(store, "nobody", PW)
    signin.logout(store, token)
    assert signin.resume(store, token, idle_minutes=60) is None


def test_sign_in_expires_after_idle_time(store, admin):
    _, token = signin.login(store, "ada", PW)
    with store.db() as db:
        old = (datetime.now(timezone.utc) - timedelta(minutes=61)).isoformat()
        db.execute("update logins set last_seen = ?", [old])
    assert signin.resume(store, token, idle_minutes=60) is None
    assert signin.resume(store, token, idle_minutes=600) is None  # the expired sign-in is gone


def test_deactivated_account_cannot_sign_in(store, admin):
    t = users.create_user(store, admin, "tess", PW, "trainee")
    _, token = signin.login(store, "tess", PW)
    users.set_active(store, admin, t.id, False)
    assert signin.resume(store, token, 60) is None
    with pytest.raises(users.AccountError):
        signin.login(store, "tess", PW)


def test_consent_is_the_trainees_own_and_withdrawable(store, admin):
    t = users.create_user(store, admin, "tess", PW, "trainee")
    assert not users.consent_of(store, t.id)
    users.set_consent(store, t, True)
    assert users.consent_of(store, t.id)
    users.set_consent(store, t, False)
    assert not users.consent_of(store, t.id)


def test_cli_adds_a_user_with_the_password_from_stdin(tmp_path):
    env = {**os.environ, "PRACTICUM_DB": str(tmp_path / "cli.db")}
    run = lambda *a, pw=PW: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "simulator", *a], input=pw + "\n", capture_output=True, text=True,
        cwd=ROOT, env=env)
    out = run("users", "add", "--username", "root", "--role", "admin")
    assert out.returncode == 0, out.stderr
    assert "created root (admin)" in out.stdout and PW not in out.stdout + out.stderr
    out = run("users", "add", "--username", "tess", "--role", "trainee", pw="short")
    assert out.returncode == 2 and "12 characters" in out.stderr
    assert "tess" not in run("users", "list").stdout
    store = Store(tmp_path / "cli.db")
    assert signin.login(store, "root", PW)[0].role == "admin"
