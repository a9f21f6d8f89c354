"""Erasure on request and retention: everything a person made or that identifies them goes from
every table; what others wrote stays without them; a later export never shows them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import date, timedelta

import pytest

from simulator.accounts import audit, cohorts, signin, users
from simulator.accounts.policy import AccessDenied
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.formulation.store import save_draft
from simulator.cbt.formulation.store import submit as submit_formulation
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core import clock
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, ROOT, LLMSettings, Settings
from simulator.dearman.practice import DearmanPractice
from simulator.dearman.scenarios import ScenarioLibrary, custom_scenario
from simulator.dearman.schema import EmotionRatings
from simulator.migrations import migrate
from simulator.modeluse import access
from simulator.ops.erasure import ERASED, MASK, erase, next_purge, purge
from simulator.research import export
from simulator.supervision import reviews
from simulator.supervision.reviews import competence_rubric
from simulator.traps import drill
from simulator.traps.restructuring.dialogue import distorted_thoughts
from simulator.traps.restructuring.practice import RestructuringPractice

PW = "a long enough password"
# What identifies the trainee, and what she typed: none of it may be anywhere after an erasure.
NAME, EMAIL = "tkwan", "t.kwan@clinic.example"
SECRETS = ("Zebrafish Street", "my brother Lukas", "Quillon Bakery")


def everything(store) -> dict[str, list[tuple]]:
    """Every row of every table (the generic check: no table can be forgotten)."""
    conn = sqlite3.connect(store.path)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' "
                                         "and name not like 'sqlite_%' order by name")]
    out = {t: conn.execute(f'select * from "{t}"').fetchall() for t in tables}
    conn.close()
    return out


def traces(store, needles) -> list[str]:
    found = []
    for table, rows in everything(store).items():
        for row in rows:
            for value in row:
                if isinstance(value, str) and any(n.lower() in value.lower() for n in needles):
                    found.append(f"{table}: {value[:120]}")
    return found


@pytest.fixture(scope="module")
def built_clinic(tmp_path_factory):
    """A supervisor, two consenting trainees, and a trainee (tkwan) who used every exercise."""
    store = Store(tmp_path_factory.mktemp("clinic") / "practicum.db")
    migrate(store)
    admin = users.create_user(store, None, "ada", PW, "admin")
    sup = users.create_user(store, admin, "sven", PW, "supervisor")
    tess = users.create_user(store, admin, NAME, PW, "trainee", email=EMAIL)
    omar = users.create_user(store, admin, "omar", PW, "trainee")
    team = cohorts.create_cohort(store, admin, "Spring")
    for who, role in ((sup, "supervisor"), (tess, "trainee"), (omar, "trainee")):
        cohorts.add_member(store, admin, team, who.id, role)
    users.set_consent(store, tess, True)
    users.set_consent(store, omar, True)
    signin.login(store, NAME, PW)
    access.acknowledge(store, tess, LLMSettings(base_url="https://models.example.org/v1"))
    library = CaseLibrary.load(DATA_DIR / "patients")

    def interview(actor, lines):
        p = Practice(store=store, library=library, engine=OfflineEngine(), actor=actor)
        sid = p.start("tomas-herrera", "plain", situation_index=0, seed=1).id
        for line in lines:
            p.say(sid, line)
            "".join(p.respond(sid))
        return sid

    reviewed = interview(tess, ["Hello, I am tkwan from Zebrafish Street. What brings you in?",
                                "What went through your mind?"])
    reviews.add_comment(store, sup, reviewed, 0, "tkwan: introducing yourself by address is not needed.")
    reviews.grade(store, sup, reviewed, {i.id: 3 for i in competence_rubric().items}, note="Good start, tkwan.")
    unreviewed = interview(tess, ["How have you been feeling since Quillon Bakery closed?", "What happened then?",
                                  "What went through your mind?", "How did you feel?", "What did you do next?",
                                  "What does that say about you?"])
    submit_formulation(store, tess, unreviewed, {"situation": "Passed over at Quillon Bakery", "emotions": ["hurt"],
                                                 "core_beliefs": ["I am incompetent."],
                                                 "behavior": "Stayed late at Quillon Bakery every night"}, Settings())
    drafted = interview(tess, ["What would you like to work on?"])
    save_draft(store, tess, drafted, {"situation": "Zebrafish Street argument"})
    omar_sid = interview(omar, ["What brings you in today?"])
    reviews.add_comment(store, sup, omar_sid, 0, "A warm opening.")
    reviews.assign(store, sup, "cbt", "tomas-herrera", date.today() + timedelta(days=7), cases=library,
                   scenarios=ScenarioLibrary.load(), style="plain", trainee_id=tess.id, note="For tkwan.")

    dm = DearmanPractice(store, Settings(), tess)
    own = dm.start(custom_scenario("my brother Lukas borrows money and never pays it back.",
                                   "Get the 200 back by Friday.", "Lukas"),
                   EmotionRatings(anger=6, fear=2, sadness=4, disgust=1), seed=1)
    dm.send(own.id, "I need my brother Lukas to pay back the 200 by Friday.")
    list(dm.respond(own.id))
    dm.end(own.id, EmotionRatings(anger=3, fear=2, sadness=2, disgust=1))
    item = drill.items()[0]
    drill.submit(store, tess, item.id, item.patterns, "Quillon Bakery closing was not my fault alone.")
    case = library.get("tomas-herrera")
    rp = RestructuringPractice(store, Settings(), tess)
    rsid = rp.start(case, distorted_thoughts(case)[0], seed=1)
    rp.say(rsid, "What went through your mind on Zebrafish Street?")
    with store.db() as db:
        db["llm_calls"].insert({"at": clock.now_iso(), "day": clock.now_iso()[:10], "user_id": tess.id,
                                "exercise": "interview", "model": "m", "kind": "stream", "prompt_tokens": 10,
                                "completion_tokens": 5, "estimated": 0, "latency_ms": 3.0, "outcome": "ok",
                                "attempts": 1})
    return store, admin, sup, tess, omar, reviewed


@pytest.fixture
def clinic(built_clinic, tmp_path):
    """A copy of the clinic's database of the test's own (built once: it takes seconds)."""
    source, *people = built_clinic
    copy = Store(tmp_path / "practicum.db")
    src, dst = sqlite3.connect(source.path), sqlite3.connect(copy.path)
    src.backup(dst)
    src.close()
    dst.close()
    return (copy, *people)


def test_erasure_has_thought_about_every_table(store):
    from simulator.ops.erasure import TABLES

    assert set(everything(store)) == set(TABLES)


def test_a_dry_run_changes_nothing_and_counts_exactly_what_the_erasure_removes(clinic):
    store, admin, *_ = clinic
    before = everything(store)
    dry = erase(store, admin, NAME, dry_run=True)
    assert everything(store) == before  # not even an audit entry
    assert dry.dry_run and dry.role == "trainee"
    assert {"sessions", "turns", "formulation_submissions", "formulation_scores", "formulation_drafts",
            "dearman_sessions", "dearman_turns", "drill_attempts", "restructuring_sessions", "logins",
            "cohort_members", "llm_acknowledgements", "assignments", "users"} <= set(dry.removed)
    real = erase(store, admin, NAME)
    assert (real.removed, real.kept) == (dry.removed, dry.kept)
    assert not real.dry_run


def test_nothing_of_the_trainee_is_left_in_any_table(clinic):
    store, admin, sup, tess, omar, reviewed = clinic
    assert traces(store, [tess.id, NAME, EMAIL, *SECRETS])  # there was plenty to find
    omar_before = {t: [r for r in rows if omar.id in map(str, r)] for t, rows in everything(store).items()}
    erase(store, admin, NAME)
    assert traces(store, [tess.id, NAME, EMAIL, *SECRETS]) == []
    omar_after = {t: [r for r in rows if omar.id in map(str, r)] for t, rows in everything(store).items()}
    assert {t: len(r) for t, r in omar_after.items()} == {t: len(r) for t, r in omar_before.items()}


def test_what_others_wrote_stays_without_the_person(clinic):
    store, admin, sup, tess, omar, reviewed = clinic
    report = erase(store, admin, NAME)
    with store.db() as db:
        session = db["sessions"].get(reviewed)
        assert session["owner"] == ERASED and db["turns"].count_where("session_id = ?", [reviewed]) == 0
        [comment] = db["comments"].rows_where("session_id = ?", [reviewed])
        [grade] = db["grades"].rows_where("session_id = ?", [reviewed])
        (usage_rows,) = db.execute("select count(*) from llm_calls where user_id is null").fetchone()
    assert comment["text"] == f"{MASK}: introducing yourself by address is not needed."
    assert grade["note"] == f"Good start, {MASK}." and grade["total"] > 0
    assert usage_rows == 1
    assert report.kept["comments by others on those interviews (names masked)"] == 1
    # Nobody but an admin can open the emptied interview.
    with pytest.raises(AccessDenied):
        reviews.comments(store, sup, reviewed)
    assert [c.text for c in reviews.comments(store, admin, reviewed)] == [comment["text"]]


def test_the_audit_log_keeps_the_events_but_not_the_person(clinic):
    store, admin, sup, tess, omar, reviewed = clinic
    erase(store, admin, NAME)
    entries = audit.audit_entries(store, admin)
    last = entries[0]
    assert last["action"] == "user.erase" and last["actor_id"] == admin.id
    details = json.loads(last["details_json"])
    assert details["role"] == "trainee" and details["removed"]["users"] == 1
    assert not any(tess.id in e["details_json"] or NAME in e["details_json"] or e["actor_id"] == tess.id
                   for e in entries)
    actions = [e["action"] for e in entries]
    assert "consent" in actions and "user.create" in actions  # the events themselves stay
    assert any(e["actor_id"] == ERASED for e in entries)


def test_an_erased_trainee_never_appears_in_a_later_export(clinic, tmp_path):
    store, admin, sup, tess, omar, reviewed = clinic
    before = export.collect(store, admin, "study-key", export.Filters())
    her = export.pseudonym("study-key", tess.id)
    assert any(r["trainee"] == her for rows in before.values() for r in rows)

    erase(store, admin, NAME)
    for free_text in (False, True):
        after = export.collect(store, admin, "study-key", export.Filters(), free_text=free_text)
        paths = export.write(after, tmp_path / f"out-{free_text}", "jsonl")
        text = "".join(p.read_text() for p in paths)
        assert her not in text and tess.id not in text
        assert not any(s.lower() in text.lower() for s in (NAME, EMAIL, *SECRETS))
        assert export.pseudonym("study-key", omar.id) in text  # the export itself still works
        assert [r["trainee"] for r in after["comments"]] == [export.pseudonym("study-key", omar.id)]
    assert [r["text"] for r in after["comments"]] == ["A warm opening."]


def test_erasing_a_supervisor_removes_what_they_wrote_and_keeps_the_trainees_work(clinic):
    store, admin, sup, tess, omar, reviewed = clinic
    report = erase(store, admin, "sven")
    assert report.role == "supervisor" and report.removed["comments"] == 2 and report.removed["grades"] == 1
    assert report.removed["assignments"] == 1
    with store.db() as db:
        assert db["sessions"].get(reviewed)["owner"] == tess.id
        assert db["turns"].count_where("session_id = ?", [reviewed]) == 4
    assert traces(store, [sup.id, "sven"]) == []


def test_who_may_erase_whom(clinic):
    store, admin, sup, tess, *_ = clinic
    with pytest.raises(AccessDenied):
        erase(store, sup, NAME)
    with pytest.raises(users.AccountError, match="your own account"):
        erase(store, admin, "ada")
    with pytest.raises(users.AccountError, match="no account"):
        erase(store, admin, "nobody")
    from simulator.cli.admin import SHELL

    with pytest.raises(users.AccountError, match="last active admin"):
        erase(store, SHELL, "ada")  # the shell may erase anyone but the only admin


def cli(store, *args, **env):
    return subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PRACTICUM_DB": str(store.path), **env}, timeout=120)


def test_the_erase_command_shows_first_and_erases_with_yes(clinic):
    store, admin, sup, tess, *_ = clinic
    before = everything(store)
    dry = cli(store, "erase", "--username", NAME)
    assert dry.returncode == 0, dry.stderr
    assert "would remove" in dry.stdout and "Dry run" in dry.stdout and "dearman_turns" in dry.stdout
    assert everything(store) == before
    done = cli(store, "erase", "--username", NAME, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["removed"]["users"] == 1 and traces(store, [tess.id, NAME]) == []


# -- retention --------------------------------------------------------------------------------

def test_purge_erases_trainees_inactive_past_the_retention_and_nobody_else(clinic):
    store, admin, sup, tess, omar, reviewed = clinic
    later = clock.now() + timedelta(days=100)
    with store.db() as db:  # omar was here yesterday (as seen 100 days from now)
        db.execute("update users set last_seen_at = ? where id = ?", [(later - timedelta(days=1)).isoformat(), omar.id])
    plan = next_purge(store, admin, 30, now=later)
    assert [t.username for t in plan.trainees] == [NAME]  # staff and active trainees stay
    assert plan.trainees[0].removed["dearman_sessions"] == 1
    assert traces(store, [tess.id])  # a preview changes nothing
    assert next_purge(store, admin, 365, now=later).trainees == []
    assert purge(store, admin, None).trainees == []  # no retention set: nothing expires

    done = purge(store, admin, 30, now=later)
    assert done.removed == plan.removed and traces(store, [tess.id, NAME, *SECRETS]) == []
    assert traces(store, [omar.id]) and traces(store, [sup.id])
    assert audit.audit_entries(store, admin)[0]["action"] == "retention.purge"
    with pytest.raises(AccessDenied):
        next_purge(store, sup, 30)



def test_the_previews_do_not_wait_for_a_writer_and_count_what_the_purge_then_removes(clinic):
    store, admin, *_ = clinic
    later = clock.now() + timedelta(days=100)
    writer = sqlite3.connect(store.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another connection in the middle of a write
    shown = {}

    def admin_page():
        shown["erase"] = erase(store, admin, NAME, dry_run=True)
        shown["purge"] = next_purge(store, admin, 30, now=later)

    page = threading.Thread(target=admin_page, daemon=True)
    try:
        page.start()
        page.join(timeout=5)
        assert not page.is_alive(), "the previews waited for another connection's write lock"
    finally:
        writer.rollback()
        writer.close()
        page.join(timeout=60)
    plan = shown["purge"]
    assert [t.username for t in plan.trainees] == ["omar", NAME]
    assert plan.trainees[1].removed == shown["erase"].removed
    done = purge(store, admin, 30, now=later)
    assert [(t.username, t.removed) for t in done.trainees] == [(t.username, t.removed) for t in plan.trainees]
    assert (done.ownerless, done.kept) == (plan.ownerless, plan.kept)


def test_the_next_purge_counts_exactly_when_the_purged_accounts_work_overlaps(clinic):
    store, admin, sup, *_ = clinic
    # Sven, who commented on and graded both trainees' interviews and gave tkwan an assignment, is
    # a trainee now; all three are purged, he first, so what he wrote is gone before theirs is weighed.
    with store.db() as db:
        db.execute("update users set role = 'trainee' where id = ?", [sup.id])
    Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine(),
             actor=None).start("tomas-herrera", "plain", situation_index=0, seed=4)  # from before accounts
    later = clock.now() + timedelta(days=100)
    plan = next_purge(store, admin, 30, now=later)
    assert [t.username for t in plan.trainees] == ["sven", "omar", NAME] and plan.ownerless
    done = purge(store, admin, 30, now=later)
    assert [(t.username, t.removed) for t in done.trainees] == [(t.username, t.removed) for t in plan.trainees]
    assert (done.ownerless, done.kept) == (plan.ownerless, plan.kept)


def test_signing_in_counts_as_activity_and_work_from_before_accounts_expires(store):
    admin = users.create_user(store, None, "ada", PW, "admin")
    users.create_user(store, admin, "rita", PW, "trainee")
    p = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine(), actor=None)
    old = p.start("tomas-herrera", "plain", situation_index=0, seed=1).id
    p.say(old, "Hello there.")
    with store.db() as db:
        db.execute("update users set created_at = '2020-01-01T00:00:00+00:00'")
        db.execute("update sessions set updated_at = '2020-01-01T00:00:00+00:00' where id = ?", [old])
    recent = p.start("tomas-herrera", "plain", situation_index=0, seed=2).id
    assert [t.username for t in next_purge(store, admin, 30).trainees] == ["rita"]
    signin.login(store, "rita", PW)  # she came back: she stays
    plan = purge(store, admin, 30)
    assert plan.trainees == [] and plan.ownerless == {"sessions": 1, "turns": 1}
    with store.db() as db:
        assert [r["id"] for r in db["sessions"].rows] == [recent]


def test_the_purge_command(store, monkeypatch, capsys):
    admin = users.create_user(store, None, "ada", PW, "admin")
    users.create_user(store, admin, "rita", PW, "trainee")
    with store.db() as db:
        db.execute("update users set created_at = '2020-01-01T00:00:00+00:00' where username = 'rita'")
    from simulator.cli import main

    monkeypatch.setenv("PRACTICUM_DB", str(store.path))
    monkeypatch.delenv("PRACTICUM_RETENTION_DAYS", raising=False)
    assert main(["purge"]) == 0
    assert "PRACTICUM_RETENTION_DAYS is not set" in capsys.readouterr().out
    dry = cli(store, "purge", "--dry-run", PRACTICUM_RETENTION_DAYS="30")
    assert dry.returncode == 0, dry.stderr
    assert "would erase 1 trainee account(s)" in dry.stdout and "rita" in dry.stdout
    assert traces(store, ["rita"])
    done = cli(store, "purge", PRACTICUM_RETENTION_DAYS="30")
    assert done.returncode == 0 and "erased 1 trainee account(s)" in done.stdout
    assert traces(store, ["rita"]) == []


def test_restoring_a_backup_from_before_an_erasure_erases_the_person_again(clinic, tmp_path):
    from simulator.ops.backup import backup, restore

    store, admin, sup, tess, omar, reviewed = clinic
    before = backup(store, tmp_path / "before.db")
    erase(store, admin, NAME)
    # The live database after the erasure, as a file this process has not opened (restore needs that).
    live = tmp_path / "live.db"
    src, dst = sqlite3.connect(store.path), sqlite3.connect(live)
    src.backup(dst)
    src.close()
    dst.close()
    report = restore(before.path, live)
    assert report.erased_again == 1
    restored = Store(live)
    assert traces(restored, [tess.id, NAME, EMAIL, *SECRETS]) == []
    assert traces(restored, [omar.id])
