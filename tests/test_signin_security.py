"""Sign-in under attack, passwords, sign-in lifetime, the HttpOnly cookie and first start (issue 12).

No one can lock anyone out: failures slow the next attempt on an account (doubling, capped at a
minute, decaying); unknown, wrong and slowed attempts get one answer; hashing runs in a bounded
pool outside every write transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import streamlit as st
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from simulator.accounts import audit, cohorts, passwords, setup, signin, throttle, users
from simulator.accounts.errors import AccountError
from simulator.accounts.policy import AccessDenied
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.cbt.sessions import SessionStore
from simulator.core import clock as clock_module
from simulator.core.settings import DATA_DIR, ROOT
from simulator.services import SignIn

PW = "a long enough password"
WRONG = "not the right one at all"


class FakeClock:
    def __init__(self) -> None:
        self.t = datetime.now(timezone.utc)

    def now(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(clock_module, "now", fake.now)
    return fake


@pytest.fixture
def admin(store):
    return users.create_user(store, None, "ada", PW, "admin")


def wait_on(store, clock, username: str) -> float:
    with store.db() as db:
        return throttle.wait_left(db, [throttle.username_key(username)], clock.now().timestamp())


def fail(store, username: str, password: str = WRONG, **kw) -> str:
    with pytest.raises(AccountError) as err:
        signin.login(store, username, password, **kw)
    return str(err.value)


def hammer(store, clock, username: str, times: int, **kw) -> None:
    """Guess wrong `times` times, each as soon as the account takes another attempt."""
    for _ in range(times):
        fail(store, username, **kw)
        clock.advance(wait_on(store, clock, username) + 0.01)


# -- no lockout -----------------------------------------------------------------------------

def test_failures_slow_the_next_attempt_doubling_to_a_minute_but_never_lock(store, admin, clock):
    waits = []
    for _ in range(10):
        fail(store, "ada")
        waits.append(wait_on(store, clock, "ada"))
        clock.advance(waits[-1] + 0.01)
    assert waits[0] == 0  # one slip costs nothing
    assert 0.9 < waits[1] <= 1 and 1.8 < waits[2] <= 2 and 3.6 < waits[3] <= 4  # then it doubles
    assert max(waits) == throttle.CAP == 60 and waits[-1] == 60  # and stops at a minute
    fail(store, "ada")  # the tenth guess in a row: a minute's wait again, not a lock
    assert fail(store, "ada", PW) == signin.GENERIC  # even the right password waits it out...
    before = wait_on(store, clock, "ada")
    for _ in range(3):
        fail(store, "ada", PW)  # ...and attempts while waiting do not lengthen the wait
    assert wait_on(store, clock, "ada") == pytest.approx(before)
    clock.advance(60.01)
    assert signin.login(store, "ada", PW)[0] == admin  # the admin too: never locked out


def test_a_burst_of_simultaneous_guesses_gets_no_more_than_sequential_ones(store, admin):
    done = passwords.pool.done
    start = threading.Barrier(12)

    def guess(n: int) -> None:
        start.wait()
        fail(store, "ada", f"burst guess number {n}")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert passwords.pool.done - done <= 2  # the free slip and one more; the rest wait


def test_failures_decay(store, admin, clock):
    for _ in range(6):
        fail(store, "ada")
        clock.advance(wait_on(store, clock, "ada") + 0.01)
    clock.advance(3600)  # an hour later the score has halved six times
    fail(store, "ada")
    assert wait_on(store, clock, "ada") == 0


def test_one_answer_after_the_same_work_for_unknown_wrong_and_slowed(store, admin, clock):
    passwords.dummy_hash()  # made once per process (itself a hash), before any count is taken
    done = passwords.pool.done
    unknown = fail(store, "nobody-here")
    assert passwords.pool.done == done + 1  # an unknown name is hashed like a known one
    wrong = fail(store, "ada")
    fail(store, "ada")
    assert passwords.pool.done == done + 3
    started = time.perf_counter()
    slowed = fail(store, "ada", PW)
    assert time.perf_counter() - started >= passwords.pool.typical_seconds * 0.99  # as long as a hash
    assert passwords.pool.done == done + 3  # without taking the pool from anyone
    assert unknown == wrong == slowed == signin.GENERIC


def test_unknown_usernames_are_slowed_exactly_like_real_ones(store, admin, clock):
    for _ in range(4):
        for name in ("ada", "ghost"):
            fail(store, name)
        clock.advance(wait_on(store, clock, "ada") + 0.01)
    fail(store, "ada")
    fail(store, "ghost")
    assert wait_on(store, clock, "ghost") == pytest.approx(wait_on(store, clock, "ada"))
    assert wait_on(store, clock, "ada") > 4


def test_no_global_switch_another_account_is_never_slowed(store, admin, clock):
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    hammer(store, clock, "ada", 9)
    fail(store, "ada")
    assert wait_on(store, clock, "ada") == 60
    assert signin.login(store, "tess", PW)[0] == tess


def test_the_owners_usual_browser_is_not_slowed_by_someone_elses_guesses(store, admin, clock):
    _, page_token = signin.login(store, "ada", PW)
    _, device = signin.redeem(store, signin.handoff(store, page_token))
    assert device
    hammer(store, clock, "ada", 9)  # someone else guesses from elsewhere
    fail(store, "ada")
    assert wait_on(store, clock, "ada") > 30
    assert fail(store, "ada", PW) == signin.GENERIC  # from a browser that never signed in: wait
    assert signin.login(store, "ada", PW, device=device)[0] == admin  # from hers: straight in
    fail(store, "ada", WRONG, device="a-stolen-or-made-up-device-token-xxxxxxxxxx")
    assert signin.login(store, "ada", PW, device=device)[0] == admin


def test_per_client_slowdown_only_with_a_trusted_client_address(store, admin, clock):
    for name in ("pat", "sam", "lee", "kim", "joe"):
        users.create_user(store, admin, name, PW, "trainee")
    for name in ("pat", "sam", "lee", "kim"):  # spraying one guess per account...
        fail(store, name, client="203.0.113.9")
    assert fail(store, "joe", PW, client="203.0.113.9") == signin.GENERIC  # ...slows that client down
    assert signin.login(store, "joe", PW, client="198.51.100.7")[0].username == "joe"  # not others
    for name in ("pat", "sam", "lee", "kim"):  # without a trusted address there is no client key
        fail(store, name)
    assert signin.login(store, "joe", PW)[0].username == "joe"


# -- hashing outside the database ----------------------------------------------------------

class SlowHasher:
    """Wraps the real hasher; verify() waits for `release`, recording how many run at once."""

    def __init__(self, real) -> None:
        self.real, self.entered, self.release = real, threading.Event(), threading.Event()
        self.active = self.max_active = 0
        self.lock = threading.Lock()

    def verify(self, h, pw):
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.entered.set()
        self.release.wait(20)
        with self.lock:
            self.active -= 1
        return self.real.verify(h, pw)

    def hash(self, pw):
        return self.real.hash(pw)

    def check_needs_rehash(self, h):
        return self.real.check_needs_rehash(h)


def test_turns_are_written_while_a_password_is_being_hashed(store, admin, monkeypatch):
    session = Practice(store, CaseLibrary.load(DATA_DIR / "patients"), OfflineEngine(), actor=admin).start(
        "tomas-herrera", "plain", situation_index=0, seed=1)
    slow = SlowHasher(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", slow)
    result = {}
    attempt = threading.Thread(target=lambda: result.update(actor=signin.login(store, "ada", PW)[0]))
    attempt.start()
    try:
        assert slow.entered.wait(10)
        started = time.perf_counter()
        SessionStore(store).add_turn(session.id, "therapist", "Hello, what brings you here?")
        assert time.perf_counter() - started < 2  # the sign-in holds no write lock while it hashes
    finally:
        slow.release.set()
        attempt.join(20)
    assert result["actor"] == admin


def test_a_storm_waits_for_the_bounded_pool(store, admin, monkeypatch):
    slow = SlowHasher(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", slow)
    names = [f"storm{i}" for i in range(8)]
    threads = [threading.Thread(target=lambda n=n: fail(store, n)) for n in names]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 10
        while passwords.pool.waiting() < len(names) - passwords.pool.workers and time.monotonic() < deadline:
            time.sleep(0.02)
        assert passwords.pool.waiting() >= len(names) - passwords.pool.workers  # queued, not hashing
    finally:
        slow.release.set()
        for t in threads:
            t.join(30)
    assert slow.max_active <= passwords.pool.workers


def test_a_known_browser_goes_ahead_of_the_queue():
    pool = passwords.HashPool(workers=1)
    gate, order = threading.Event(), []
    blocker = threading.Thread(target=lambda: pool.run(lambda: gate.wait(10)))
    blocker.start()
    time.sleep(0.1)
    jobs = [threading.Thread(target=lambda n=n: pool.run(lambda: order.append(n), passwords.PRIORITY_OTHER))
            for n in ("a", "b", "c")]
    for j in jobs:
        j.start()
    time.sleep(0.1)
    known = threading.Thread(target=lambda: pool.run(lambda: order.append("known"), passwords.PRIORITY_KNOWN))
    known.start()
    time.sleep(0.1)
    gate.set()
    for t in (blocker, known, *jobs):
        t.join(10)
    assert order == ["known", "a", "b", "c"]


def test_old_hashes_are_upgraded_to_the_pools_parameters_at_sign_in(store, admin):
    from argon2 import PasswordHasher

    with store.db() as db, db.conn:
        db.execute("update users set password_hash = ? where id = ?", [PasswordHasher().hash(PW), admin.id])
    signin.login(store, "ada", PW)
    with store.db() as db:
        stored = db.execute("select password_hash from users where id = ?", [admin.id]).fetchone()[0]
    assert not passwords.needs_rehash(stored) and "m=19456,t=2,p=1" in stored


# -- passwords ------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["password1234", "qwertyuiop12", "zbrantwell2024", "1q2w3e4r5t6y7u"])
def test_guessable_passwords_are_refused_with_the_librarys_advice(store, admin, password):
    with pytest.raises(AccountError) as err:
        users.create_user(store, admin, "zbrantwell", password, "trainee")
    assert "too easy to guess" in str(err.value)
    assert len(str(err.value)) > len("That password is too easy to guess. ")  # with advice


def test_a_long_passphrase_is_accepted_and_eleven_characters_are_not(store, admin):
    with pytest.raises(AccountError, match="at least 12 characters"):
        users.create_user(store, admin, "pat", "Xq7#mK2$vL9", "trainee")
    assert users.create_user(store, admin, "pat", "velvet otter stares at rain", "trainee").username == "pat"


def test_changing_a_password_needs_the_current_one_and_ends_every_other_sign_in(store, admin, clock):
    _, here = signin.login(store, "ada", PW)
    _, elsewhere = signin.login(store, "ada", PW)
    with pytest.raises(AccountError, match="current password is not right"):
        signin.change_own_password(store, admin, "a wrong current one", "velvet otter stares at rain", here)
    with pytest.raises(AccountError, match="too easy to guess"):
        signin.change_own_password(store, admin, PW, "password1234", here)
    assert signin.change_own_password(store, admin, PW, "velvet otter stares at rain", here) == 1
    assert signin.resume(store, here, 60) == admin
    assert signin.resume(store, elsewhere, 60) is None
    assert signin.login(store, "ada", "velvet otter stares at rain")[0] == admin


def test_an_admins_reset_ends_all_sign_ins_and_only_an_admin_resets(store, admin):
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    tokens = [signin.login(store, "tess", PW)[1] for _ in range(2)]
    with pytest.raises(AccessDenied):
        users.set_password(store, tess, tess.id, "velvet otter stares at rain")  # not without the current one
    assert users.set_password(store, admin, tess.id, "velvet otter stares at rain") == 2
    assert all(signin.resume(store, t, 60) is None for t in tokens)


# -- how long a sign-in lasts, and the cookie --------------------------------------------------

def test_a_sign_in_ends_after_twelve_hours_however_busy(store, admin, clock):
    _, token = signin.login(store, "ada", PW)
    for _ in range(23):  # used every half hour
        clock.advance(1800)
        assert signin.resume(store, token, idle_minutes=60) == admin
    clock.advance(1800 + 1)
    assert signin.resume(store, token, idle_minutes=60) is None


def test_every_sign_in_gets_new_tokens_and_the_browsers_old_one_ends(store, admin):
    _, first = signin.login(store, "ada", PW)
    cookie_one, device = signin.redeem(store, signin.handoff(store, first))
    _, second = signin.login(store, "ada", PW)
    cookie_two, _ = signin.redeem(store, signin.handoff(store, second), old_token=cookie_one, device=device)
    assert len({first, cookie_one, second, cookie_two}) == 4  # rotated at every sign-in
    assert signin.resume(store, cookie_one, 60) is None  # the cookie it replaced is void
    assert signin.resume(store, cookie_two, 60) == admin


def test_a_hand_over_code_works_once_and_for_a_minute(store, admin, clock):
    _, token = signin.login(store, "ada", PW)
    code = signin.handoff(store, token)
    signin.redeem(store, code)
    with pytest.raises(AccountError):
        signin.redeem(store, code)
    late = signin.handoff(store, token)
    clock.advance(61)
    with pytest.raises(AccountError, match="expired"):
        signin.redeem(store, late)


@pytest.fixture
def web(store, monkeypatch):
    from views import server

    monkeypatch.setenv("PRACTICUM_DB", str(store.path))
    monkeypatch.delenv("PRACTICUM_SECURE_COOKIE", raising=False)
    return Starlette(routes=server.ROUTES)


def cookies_set(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def test_the_cookie_route_sets_an_httponly_strict_secure_browser_session_cookie(store, admin, web):
    _, page_token = signin.login(store, "ada", PW)
    client = TestClient(web, base_url="https://practicum.example")
    r = client.post("/auth/cookie", content=signin.handoff(store, page_token),
                    headers={"Origin": "https://practicum.example"})
    assert r.status_code == 204
    auth = cookies_set(r)["practicum_auth"]
    attrs = [a.strip().lower() for a in auth.split(";")]
    assert "httponly" in attrs and "samesite=strict" in attrs and "secure" in attrs and "path=/" in attrs
    assert not any(a.startswith(("max-age", "expires")) for a in attrs)  # gone when the browser closes
    token = auth.split(";")[0].split("=", 1)[1]
    assert token != page_token and signin.resume(store, token, 60) == admin
    assert "httponly" in cookies_set(r)["practicum_device"].lower()
    signin.logout(store, page_token)  # signing out on the page ends the cookie's token too
    assert signin.resume(store, token, 60) is None


def test_the_cookie_route_refuses_other_origins_and_plain_http_gets_no_secure_flag(store, admin, web, monkeypatch):
    _, page_token = signin.login(store, "ada", PW)
    client = TestClient(web, base_url="http://127.0.0.1:8501")
    evil = client.post("/auth/cookie", content=signin.handoff(store, page_token),
                       headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and not evil.headers.get_list("set-cookie")
    r = client.post("/auth/cookie", content=signin.handoff(store, page_token),
                    headers={"Origin": "http://127.0.0.1:8501"})
    assert r.status_code == 204 and "secure" not in cookies_set(r)["practicum_auth"].lower()
    monkeypatch.setenv("PRACTICUM_SECURE_COOKIE", "always")  # TLS ends at a proxy that does not say so
    r = client.post("/auth/cookie", content=signin.handoff(store, page_token),
                    headers={"Origin": "http://127.0.0.1:8501"})
    assert "secure" in cookies_set(r)["practicum_auth"].lower()


def test_the_sign_out_route_ends_the_sign_in_and_clears_the_cookie(store, admin, web):
    _, page_token = signin.login(store, "ada", PW)
    cookie, _ = signin.redeem(store, signin.handoff(store, page_token))
    client = TestClient(web, base_url="https://practicum.example", cookies={"practicum_auth": cookie})
    r = client.post("/auth/signout", headers={"Origin": "https://practicum.example"})
    assert r.status_code == 204 and "max-age=0" in cookies_set(r)["practicum_auth"].lower()
    assert signin.resume(store, cookie, 60) is None and signin.resume(store, page_token, 60) is None


def test_the_page_carries_a_one_time_code_never_a_token_and_no_deprecated_component(tmp_path, monkeypatch, caplog):
    from simulator.core.db import Store
    from simulator.migrations import migrate

    monkeypatch.setenv("PRACTICUM_DB", str(tmp_path / "app.db"))
    st.cache_resource.clear()
    store = Store(tmp_path / "app.db")
    migrate(store)
    users.create_user(store, None, "ada", PW, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.text_input[0].input("ada")
    at.text_input[1].input(PW)
    with caplog.at_level(logging.DEBUG):
        next(b for b in at.button if b.label == "Sign in").click().run()
    assert "Signed in as **ada**" in " ".join(c.value for c in at.sidebar.markdown)
    script = " ".join(h.proto.body for h in at.html)
    assert "/auth/cookie" in script and at.session_state["auth_token"] not in script
    assert "components.v1" not in caplog.text and "document.cookie" not in script
    st.cache_resource.clear()


# -- first start ----------------------------------------------------------------------------

def test_the_first_admin_needs_the_setup_code_from_the_log(store, caplog):
    with caplog.at_level(logging.WARNING, logger="simulator.accounts.setup"):
        code = setup.issue(store)
    assert code in caplog.text
    with pytest.raises(AccountError, match="setup code is not right"):
        setup.create_first_admin(store, "AAAA-BBBB-CCCC-DDDD", "eve", PW)
    assert not users.has_accounts(store)
    admin = setup.create_first_admin(store, code.lower(), "ada", PW)
    assert admin.role == "admin"
    with pytest.raises(AccountError, match="setup code is not right"):  # it worked once
        setup.create_first_admin(store, code, "eve", PW)
    assert setup.issue(store) is None  # no code once there is an account


def test_start_up_writes_the_setup_code_once_per_process(store, caplog):
    sign_in = SignIn(store, 60)
    with caplog.at_level(logging.WARNING, logger="simulator.accounts.setup"):
        sign_in.start()
        sign_in.start()
    assert caplog.text.count("Practicum setup code") == 1


def test_config_binds_localhost_and_keeps_tracebacks_out_of_the_browser():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] == "none"
    at = AppTest.from_string("raise RuntimeError('secret detail 4711')").run()
    assert "secret detail 4711" not in at.exception[0].message and not at.exception[0].stack_trace


# -- cohorts and the audit log --------------------------------------------------------------

def test_a_supervisor_loses_access_the_moment_the_trainee_leaves_the_cohort(store, admin):
    sup = users.create_user(store, admin, "sup", PW, "supervisor")
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    cohort = cohorts.create_cohort(store, admin, "Autumn")
    cohorts.add_member(store, admin, cohort, sup.id, "supervisor")
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    lib = CaseLibrary.load(DATA_DIR / "patients")
    session = Practice(store, lib, OfflineEngine(), actor=tess).start("tomas-herrera", "plain", seed=1)
    assert Practice(store, lib, OfflineEngine(), actor=sup).transcript(session.id) == []
    with pytest.raises(AccessDenied):
        cohorts.remove_member(store, sup, cohort, tess.id)  # only an admin
    cohorts.remove_member(store, admin, cohort, tess.id)
    with pytest.raises(AccessDenied):
        Practice(store, lib, OfflineEngine(), actor=sup).transcript(session.id)
    assert [m["username"] for m in cohorts.cohort_members(store, cohort)] == ["sup"]
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    assert Practice(store, lib, OfflineEngine(), actor=sup).transcript(session.id) == []
    cohorts.remove_member(store, admin, cohort, sup.id)  # the supervisor leaves: the same at once
    with pytest.raises(AccessDenied):
        Practice(store, lib, OfflineEngine(), actor=sup).transcript(session.id)


def test_the_audit_log_names_people_and_filters(store, admin, clock):
    from datetime import date

    from simulator.core.settings import Settings
    from simulator.dearman.scenarios import ScenarioLibrary
    from simulator.services import Services

    sup = users.create_user(store, admin, "sup", PW, "supervisor")
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    cohort = cohorts.create_cohort(store, admin, "Autumn")
    cohorts.add_member(store, admin, cohort, sup.id, "supervisor")
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    lib = CaseLibrary.load(DATA_DIR / "patients")

    def svc(actor):
        return Services(store, Settings(export_secret="k"), actor, lib, ScenarioLibrary.load(), OfflineEngine())

    _, token = signin.login(store, "tess", PW)
    fail(store, "tess")
    fail(store, "tess")
    fail(store, "tess")  # the third is slowed: a slow-down entry
    signin.logout(store, token)
    session = svc(tess).interviews.start("tomas-herrera", "plain", situation_index=0, seed=1)
    svc(tess).interviews.say(session.id, "Hello, what brings you here?")
    svc(sup).interviews.transcript(session.id)
    svc(sup).interviews.transcript(session.id)  # read twice in a row: logged once
    svc(sup).supervision.add_comment(session.id, 0, "Good open question.")
    svc(sup).supervision.grade(session.id, {i.id: 4 for i in svc(sup).supervision.rubric().items})
    svc(sup).supervision.assign("cbt", "tomas-herrera", date(2027, 1, 1), style="plain", trainee_id=tess.id)
    svc(sup).supervision.reset_reveal(tess.id, "tomas-herrera")
    svc(admin).accounts.set_role(sup.id, "supervisor")
    svc(admin).accounts.set_password(tess.id, "velvet otter stares at rain")
    svc(admin).accounts.remove_member(cohort, sup.id)
    svc(admin).research.collect(__import__("simulator.research.export", fromlist=["Filters"]).Filters())

    entries = audit.audit_entries(store, admin)
    actions = {e["action"] for e in entries}
    assert {"signin.success", "signin.failure", "signin.slowed", "signout", "password.reset", "user.role",
            "cohort.create", "cohort.member", "cohort.remove", "comment", "grade", "assignment", "export",
            "reveal.reset", "transcript.open"} <= actions
    opened = [e for e in entries if e["action"] == "transcript.open"]
    assert len(opened) == 1 and opened[0]["actor"] == "sup" and opened[0]["about"] == "tess"
    assert all(e["actor"] == "sup" for e in audit.audit_entries(store, admin, person=sup.id)
               if e["action"] in ("comment", "grade"))
    only_signin = audit.audit_entries(store, admin, actions=["signin."])
    assert only_signin and {e["action"] for e in only_signin} <= {"signin.success", "signin.failure", "signin.slowed"}
    assert {e["about"] for e in only_signin} == {"tess"}
    assert audit.audit_entries(store, admin, since=date.today() + timedelta(days=2)) == []
    with pytest.raises(AccessDenied):
        audit.audit_entries(store, sup)


def test_the_admin_page_shows_the_audit_log_as_a_table_with_usernames_and_actions_in_words(tmp_path, monkeypatch):
    from simulator.core.db import Store
    from simulator.migrations import migrate

    monkeypatch.setenv("PRACTICUM_DB", str(tmp_path / "app.db"))
    st.cache_resource.clear()
    store = Store(tmp_path / "app.db")
    migrate(store)
    admin = users.create_user(store, None, "ada", PW, "admin")
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    fail(store, "tess")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["auth_token"] = signin.login(store, "ada", PW)[1]
    at.run()
    at.switch_page("views/admin.py").run()
    at.session_state["admin-tab"] = "Audit log"  # only the open tab is drawn
    at.run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert {"who", "action", "about"} <= set(table.columns)
    failure = table[table["action"] == "sign-in failed"].iloc[0]  # what happened in words, not its code
    assert failure["about"] == "tess"
    assert "ada" in set(table["who"])  # usernames, not ids
    assert table[table["about"] == "tess"]["action"].tolist()[-1] == "created an account"
    assert not {"signin.failure", "user.create"} & set(table["action"])
    assert "sign-in failed" in at.multiselect[0].options
    cohort = cohorts.create_cohort(store, admin, "Spring cohort")
    at.run()
    table = at.dataframe[-1].value
    assert any("cohort: Spring cohort" in d for d in table["details"]) and not any(cohort in d for d in table["details"])
    assert not any(tess.id in d or "{" in d for d in table["details"])  # readable details, not JSON with ids
    at.multiselect(key="audit-actions").select("signin.failure").run()
    assert set(at.dataframe[-1].value["action"]) == {"sign-in failed"}
    st.cache_resource.clear()


def test_every_action_the_code_writes_to_the_audit_log_has_words():
    # Every literal action code passed to audit()/write_audit() or inserted as an audit row, and the
    # authoring saves (f"{kind}.save" for cases and scenarios): an unworded one would show as its code.
    import re

    from simulator.core.settings import ROOT

    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "simulator").rglob("*.py"))
    codes = set(re.findall(r"\baudit\([^,]+,\s*[^,]+,\s*\"([a-z_.]+)\"", source))
    codes |= set(re.findall(r"write_audit\([^,]+,\s*[^,]+,\s*\"([a-z_.]+)\"", source))
    codes |= set(re.findall(r"\"action\":\s*\"([a-z_.]+)\"", source))
    codes |= {"case.save", "scenario.save"}
    assert {"grade", "correction", "signin.failure", "user.erase", "export"} <= codes  # the scan finds them
    assert not {c for c in codes if audit.action_words(c) == c}
