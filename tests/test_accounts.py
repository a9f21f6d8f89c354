"""Accounts: first admin, argon2id hashes, lockout, idle expiry, logout, consent, CLI."""

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from simulator import accounts
from simulator.access import AccessDenied
from simulator.settings import ROOT
from simulator.store import Store

PW = "a long enough password"



@pytest.fixture
def admin(store):
    return accounts.create_user(store, None, "Ada", PW, "admin")


def test_first_account_must_be_admin_and_later_ones_need_an_admin(store):
    with pytest.raises(accounts.AccountError, match="first account must be an admin"):
        accounts.create_user(store, None, "tess", PW, "trainee")
    admin = accounts.create_user(store, None, "Ada", PW, "admin")
    assert admin.username == "ada" and admin.role == "admin"
    with pytest.raises(AccessDenied):
        accounts.create_user(store, None, "tess", PW, "trainee")
    trainee = accounts.create_user(store, admin, "tess", PW, "trainee")
    with pytest.raises(AccessDenied):
        accounts.create_user(store, trainee, "eve", PW, "admin")
    with pytest.raises(accounts.AccountError, match="taken"):
        accounts.create_user(store, admin, "TESS", PW, "trainee")
    with pytest.raises(accounts.AccountError, match="10 characters"):
        accounts.create_user(store, admin, "sam", "short", "trainee")


def test_passwords_are_stored_only_as_argon2id_hashes(store, admin):
    with store.db() as db:
        row = next(db["users"].rows_where("username = 'ada'"))
    assert row["password_hash"].startswith("$argon2id$")
    import sqlite3

    dump = "\n".join(sqlite3.connect(store.path).iterdump())
    assert PW not in dump


def test_login_logout_and_wrong_password(store, admin):
    actor, token = accounts.login(store, "ADA ", PW)
    assert actor == admin
    assert accounts.resume(store, token, idle_minutes=60) == admin
    with pytest.raises(accounts.AccountError, match="Wrong username or password"):
        accounts.login(store, "ada", "not the password")
    with pytest.raises(accounts.AccountError, match="Wrong username or password"):
        accounts.login(store, "nobody", PW)
    accounts.logout(store, token)
    assert accounts.resume(store, token, idle_minutes=60) is None


def test_five_failures_lock_the_account_for_fifteen_minutes(store, admin):
    for _ in range(4):
        with pytest.raises(accounts.AccountError, match="Wrong"):
            accounts.login(store, "ada", "bad password!")
    with pytest.raises(accounts.AccountError, match="locked for 15 minutes"):
        accounts.login(store, "ada", "bad password!")
    with pytest.raises(accounts.AccountError, match="locked until"):
        accounts.login(store, "ada", PW)  # even the right password waits
    with store.db() as db:  # fifteen minutes later
        past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
        db.execute("update users set locked_until = ?", [past])
    assert accounts.login(store, "ada", PW)[0] == admin


def test_sign_in_expires_after_idle_time(store, admin):
    _, token = accounts.login(store, "ada", PW)
    with store.db() as db:
        old = (datetime.now(timezone.utc) - timedelta(minutes=61)).isoformat()
        db.execute("update logins set last_seen = ?", [old])
    assert accounts.resume(store, token, idle_minutes=60) is None
    assert accounts.resume(store, token, idle_minutes=600) is None  # the expired sign-in is gone


def test_deactivated_account_cannot_sign_in(store, admin):
    t = accounts.create_user(store, admin, "tess", PW, "trainee")
    _, token = accounts.login(store, "tess", PW)
    accounts.set_active(store, admin, t.id, False)
    assert accounts.resume(store, token, 60) is None
    with pytest.raises(accounts.AccountError):
        accounts.login(store, "tess", PW)


def test_consent_is_the_trainees_own_and_withdrawable(store, admin):
    t = accounts.create_user(store, admin, "tess", PW, "trainee")
    assert not accounts.consent_of(store, t.id)
    accounts.set_consent(store, t, True)
    assert accounts.consent_of(store, t.id)
    accounts.set_consent(store, t, False)
    assert not accounts.consent_of(store, t.id)


def test_cli_adds_a_user_with_the_password_from_stdin(tmp_path):
    env = {**os.environ, "PRACTICUM_DB": str(tmp_path / "cli.db")}
    run = lambda *a, pw=PW: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "simulator", *a], input=pw + "\n", capture_output=True, text=True,
        cwd=ROOT, env=env)
    out = run("users", "add", "--username", "root", "--role", "admin")
    assert out.returncode == 0, out.stderr
    assert "created root (admin)" in out.stdout and PW not in out.stdout + out.stderr
    out = run("users", "add", "--username", "tess", "--role", "trainee", pw="short")
    assert out.returncode == 2 and "10 characters" in out.stderr
    assert "tess" not in run("users", "list").stdout
    store = Store(tmp_path / "cli.db")
    assert accounts.login(store, "root", PW)[0].role == "admin"
