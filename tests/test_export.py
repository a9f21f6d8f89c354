"""Research export: consenting trainees only, pseudonyms, no identities, headers when empty, audit."""

import csv
import json
import os
import subprocess
import sys

import pytest

from simulator.accounts import audit, cohorts, users
from simulator.accounts.policy import AccessDenied
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.cbt.sessions import SessionStore
from simulator.core.settings import DATA_DIR, ROOT
from simulator.research import export

PW = "a long enough password"


@pytest.fixture
def world(store):
    admin = users.create_user(store, None, "admin", PW, "admin")
    res = users.create_user(store, admin, "res", PW, "researcher")
    alice = users.create_user(store, admin, "alice.w", PW, "trainee", email="alice@clinic.example")
    bob = users.create_user(store, admin, "bobby", PW, "trainee")
    lib = CaseLibrary.load(DATA_DIR / "patients")
    for who, line in [(alice, "Hi, I'm alice.w, your therapist today."), (bob, "Hello there.")]:
        p = Practice(store, lib, OfflineEngine(), actor=who)
        s = p.start("tomas-herrera", "plain", situation_index=0, seed=1)
        p.say(s.id, line)
        list(p.respond(s.id))
    return store, admin, res, alice, bob


def test_no_consenting_trainees_gives_empty_files_with_headers(world, tmp_path):
    store, admin, res, alice, bob = world
    data = export.collect(store, res, "k", export.Filters())
    assert all(rows == [] for rows in data.values())
    paths = export.write(data, tmp_path / "out", "csv")
    with open(tmp_path / "out" / "practicum_turns.csv") as f:
        assert next(csv.reader(f)) == list(next(t for t in export.TABLES if t.name == "turns").columns)
    assert {p.name for p in paths} >= {"practicum_sessions.csv", "practicum_turns.csv"}


def test_only_consenting_trainees_under_stable_pseudonyms(world, tmp_path):
    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    data = export.collect(store, res, "study-key", export.Filters())
    assert len(data["sessions"]) == 1 and len(data["turns"]) == 2
    pid = data["sessions"][0]["trainee"]
    assert pid == export.pseudonym("study-key", alice.id) == export.collect(store, res, "study-key", export.Filters())["sessions"][0]["trainee"]
    assert pid != export.pseudonym("other-key", alice.id)
    blob = json.dumps(data)
    for identity in ("alice.w", "alice@clinic.example", alice.id, "bobby", bob.id):
        assert identity not in blob
    assert "[redacted]" in data["turns"][0]["text"]  # the username she typed is masked
    from simulator.supervision import reviews

    sid = data["sessions"][0]["session_id"]
    reviews.add_comment(store, admin, sid, 0, "Good start; compare bobby's session, or ask admin (not bobbyfischer).")
    comment = export.collect(store, res, "study-key", export.Filters())["comments"][0]["text"]
    assert comment == "Good start; compare [redacted]'s session, or ask [redacted] (not bobbyfischer)."
    users.set_consent(store, alice, False)  # withdrawn: later exports leave her out
    assert export.collect(store, res, "study-key", export.Filters())["sessions"] == []


def test_filters_and_audit_entry(world):
    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    users.set_consent(store, bob, True)
    cohort = cohorts.create_cohort(store, admin, "Spring")
    cohorts.add_member(store, admin, cohort, bob.id, "trainee")
    data = export.collect(store, res, "k", export.Filters(cohort="Spring"))
    assert [r["trainee"] for r in data["sessions"]] == [export.pseudonym("k", bob.id)]
    assert export.collect(store, res, "k", export.Filters(case_id="someone-else"))["sessions"] == []
    entry = audit.audit_entries(store, admin)[0]
    assert entry["action"] == "export" and entry["actor_id"] == res.id
    details = json.loads(entry["details_json"])
    assert details["filters"]["case"] == "someone-else" and details["rows"]["sessions"] == 0


def test_export_needs_a_secret_and_the_right_role(world):
    store, admin, res, alice, bob = world
    with pytest.raises(export.ExportError, match="PRACTICUM_EXPORT_SECRET"):
        export.collect(store, res, None, export.Filters())
    with pytest.raises(AccessDenied):
        export.collect(store, alice, "k", export.Filters())


def test_cli_export_writes_fixed_names_inside_the_folder(world, tmp_path):
    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    env = {**os.environ, "PRACTICUM_DB": str(store.path), "PRACTICUM_EXPORT_SECRET": "k"}
    out = tmp_path / "exp" / ".." / "exp2"
    r = subprocess.run([sys.executable, "-m", "simulator", "export", "--format", "jsonl", "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in (tmp_path / "exp2").iterdir())
    assert files == sorted(f"practicum_{t.name}.jsonl" for t in export.TABLES)
    rows = [json.loads(line) for line in (tmp_path / "exp2" / "practicum_turns.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all(r["trainee"].startswith("t_") for r in rows)
    bad = subprocess.run([sys.executable, "-m", "simulator", "export", "--format", "xml", "--out", str(out)],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert bad.returncode == 2


def test_every_exercise_is_exported_for_consenting_trainees(world, tmp_path):
    from simulator.cbt.formulation.store import submit as submit_formulation
    from simulator.core.settings import Settings
    from simulator.dearman.practice import DearmanPractice
    from simulator.dearman.scenarios import ScenarioLibrary
    from simulator.dearman.schema import EmotionRatings
    from simulator.traps import drill

    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    sid = SessionStore(store).list_sessions(owner=alice.id)[0].id
    submit_formulation(store, alice, sid, {"situation": "Passed over for head chef", "emotions": ["hurt"],
                                           "core_beliefs": ["I am incompetent."]}, Settings())
    dm = DearmanPractice(store, Settings(), alice)
    scenario = next(iter(ScenarioLibrary.load(DATA_DIR / "scenarios").scenarios.values()))
    info = dm.start(scenario, EmotionRatings(anger=4, fear=3, sadness=2, disgust=1), seed=1)
    dm.send(info.id, "I'd like us to agree a fair plan, and I feel stressed about it. Can we talk?")
    list(dm.respond(info.id))
    dm.end(info.id, EmotionRatings(anger=2, fear=2, sadness=2, disgust=1))
    item = drill.items()[0]
    drill.submit(store, alice, item.id, [item.patterns[0]], "Maybe it is not as bad as it seems right now.")
    from simulator.cbt.library import CaseLibrary
    from simulator.traps.restructuring.dialogue import distorted_thoughts
    from simulator.traps.restructuring.practice import RestructuringPractice

    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    rs = RestructuringPractice(store, Settings(), alice)
    rs_id = rs.start(case, distorted_thoughts(case)[0], seed=1)
    rs.say(rs_id, "What went through your mind, alice.w?")
    rs.finish(rs_id)

    data = export.collect(store, res, "k", export.Filters())
    me = export.pseudonym("k", alice.id)
    for name in ("formulations", "dearman_sessions", "dearman_turns", "drill_attempts", "restructuring_sessions",
                 "restructuring_turns"):
        assert data[name] and all(r["trainee"] == me for r in data[name]), name
    turns = [r for r in data["restructuring_turns"] if r["session_id"] == rs_id]
    assert [r["role"] for r in turns] == ["patient", "therapist", "patient"]
    assert turns[1]["text"] == "What went through your mind, [redacted]?"  # a username typed is masked
    assert turns[2]["rules_text"] == turns[2]["text"] and turns[2]["voice"] == "rules"
    assert next(r for r in data["restructuring_sessions"] if r["session_id"] == rs_id)["status"] == "ended"
    assert json.loads(data["dearman_sessions"][0]["emotions_after"])["anger"] == 2
    assert any(r["counterpart_state"] for r in data["dearman_turns"])
    assert {r["engine"] for r in data["formulations"]} == {"offline"}
    only_case = export.collect(store, res, "k", export.Filters(case_id="tomas-herrera"))
    assert only_case["formulations"] and not only_case["dearman_sessions"] and not only_case["drill_attempts"]
    export.write(data, tmp_path / "all", "csv")
    assert (tmp_path / "all" / "practicum_dearman_turns.csv").read_text().count("\n") >= 3
