"""Research export: consenting trainees only, pseudonyms, no identities, headers when empty, audit."""

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile

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
    assert files == sorted([*(f"practicum_{t.name}.jsonl" for t in export.TABLES), export.DICTIONARY_FILE])
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
    practice = Practice(store, CaseLibrary.load(DATA_DIR / "patients"), OfflineEngine(), actor=alice)
    for line in ["What happened?", "How did you feel?", "What did you do?", "What went through your mind?",
                 "What does that say about you?"]:  # a formulation is accepted after six trainee turns
        practice.say(sid, line)
        list(practice.respond(sid))
    submit_formulation(store, alice, sid, {"situation": "Passed over for head chef", "emotions": ["hurt"],
                                           "behavior": "Hid in the walk-in fridge",
                                           "core_beliefs": ["I am incompetent."]}, Settings())
    dm = DearmanPractice(store, Settings(), alice)
    scenario = next(iter(ScenarioLibrary.load(DATA_DIR / "scenarios").scenarios.values()))
    info = dm.start(scenario, EmotionRatings(anger=4, fear=3, sadness=2, disgust=1), seed=1)
    dm.send(info.id, "I'd like us to agree a fair plan, and I feel stressed about it. Can we talk?")
    list(dm.respond(info.id))
    dm.end(info.id, EmotionRatings(anger=2, fear=2, sadness=2, disgust=1))
    item = drill.items()[0]
    drill.submit(store, alice, item.id, [item.patterns[0]], "Maybe it is not as bad as it seems right now.")
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
    key = export.keyed_id("k", "restructuring", rs_id)
    turns = [r for r in data["restructuring_turns"] if r["session_id"] == key]
    assert [(r["turn"], r["role"]) for r in turns] == [(0, "patient"), (1, "therapist"), (2, "patient")]
    assert all(r["text"] is None and r["rules_text"] is None for r in turns)  # free text only when asked
    assert "ask_thought" in json.loads(turns[1]["acts"]) and turns[2]["voice"] == "rules"
    session = next(r for r in data["restructuring_sessions"] if r["session_id"] == key)
    assert session["status"] == "ended" and session["ended_s"] >= 0
    with_text = export.collect(store, res, "k", export.Filters(), free_text=True)
    said = next(r for r in with_text["restructuring_turns"] if r["session_id"] == key and r["role"] == "therapist")
    assert said["text"] == "What went through your mind, [name]?"  # a username typed is masked
    assert json.loads(data["dearman_sessions"][0]["emotions_after"])["anger"] == 2
    assert any(r["counterpart_state"] for r in data["dearman_turns"])
    assert {r["engine"] for r in data["formulations"]} == {"offline"}
    only_case = export.collect(store, res, "k", export.Filters(case_id="tomas-herrera"))
    assert only_case["formulations"] and not only_case["dearman_sessions"] and not only_case["drill_attempts"]
    export.write(data, tmp_path / "all", "csv")
    assert (tmp_path / "all" / "practicum_dearman_turns.csv").read_text().count("\n") >= 3


# -- anonymity: ids, times, free text ---------------------------------------------------------

def _internal_ids(store) -> set[str]:
    with store.db() as db:
        ids = set()
        for table in ("users", "sessions", "dearman_sessions", "drill_attempts", "restructuring_sessions",
                      "formulation_submissions", "cohorts"):
            ids |= {str(r["id"]) for r in db.query(f"select id from {table}") if len(str(r["id"])) >= 6}
        return ids


def _all_exercises(store, who):
    """One of everything for a trainee, with PII typed into every place free text goes."""
    from simulator.cbt.formulation.store import submit as submit_formulation
    from simulator.core.settings import Settings
    from simulator.dearman.practice import DearmanPractice
    from simulator.dearman.scenarios import custom_scenario
    from simulator.dearman.schema import EmotionRatings
    from simulator.traps import drill

    sid = SessionStore(store).list_sessions(owner=who.id)[0].id
    practice = Practice(store, CaseLibrary.load(DATA_DIR / "patients"), OfflineEngine(), actor=who)
    for line in ["What happened?", "How did you feel?", "What did you do?", "What went through your mind?",
                 "What does that say about you?"]:  # a formulation is accepted after six trainee turns
        practice.say(sid, line)
        list(practice.respond(sid))
    submit_formulation(store, who, sid, {"situation": "Passed over for head chef when Marco Rossi got the job",
                                         "emotions": ["hurt"], "behavior": "Hid in the walk-in fridge",
                                         "core_beliefs": ["I am incompetent."]}, Settings())
    dm = DearmanPractice(store, Settings(), who)
    info = dm.start(custom_scenario("My flatmate Jake Morrison never pays his share of the bills.",
                                    "Get Jake to set up a standing order.", "my flatmate", 5),
                    EmotionRatings(anger=4, fear=3, sadness=2, disgust=1), seed=1)
    dm.send(info.id, "Jake, text me on 07834 562190 or email jake.m@example.org once it's set up.")
    list(dm.respond(info.id))
    dm.end(info.id, EmotionRatings(anger=2, fear=2, sadness=2, disgust=1))
    item = drill.items()[0]
    drill.submit(store, who, item.id, [item.patterns[0]], "Maybe Priya was just busy, not angry with me.")
    from simulator.traps.restructuring.dialogue import distorted_thoughts
    from simulator.traps.restructuring.practice import RestructuringPractice

    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    rs = RestructuringPractice(store, Settings(), who)
    rs.say(rs.start(case, distorted_thoughts(case)[0], seed=1),
           "What went through your mind when Jake Morrison called you on 07834 562190?")
    return sid, info.id


def test_export_rows_cannot_be_joined_back_to_internal_ids_or_urls(world):
    from simulator.supervision import reviews

    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    sid, dm_id = _all_exercises(store, alice)
    reviews.add_comment(store, admin, sid, 0, "Good opening.")
    internal = _internal_ids(store)
    for free_text in (False, True):
        data = export.collect(store, res, "k", export.Filters(), free_text=free_text)
        blob = json.dumps(data)
        leaked = [i for i in internal if i in blob]
        assert not leaked, leaked
        # The app's links carry ?session=<id> and ?dm=<id>: no exported value is one of them.
        assert f"session={sid}" not in blob and sid not in blob and dm_id not in blob
    # One session has one exported id across its files, so rows still join with each other.
    hashed = data["sessions"][0]["session_id"]
    assert hashed.startswith("s_") and hashed != sid
    assert {r["session_id"] for r in data["turns"]} == {hashed} == {r["session_id"] for r in data["comments"]}
    assert {r["session_id"] for r in data["formulations"]} == {hashed}
    assert {r["session_id"] for r in data["dearman_turns"]} == {data["dearman_sessions"][0]["session_id"]}
    assert data["drill_attempts"][0]["attempt_id"].startswith("a_")
    # Another study key gives other ids.
    other = export.collect(store, res, "other-key", export.Filters())
    assert other["sessions"][0]["session_id"] != hashed


def test_timestamps_are_the_date_and_seconds_since_the_start(world):
    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    _all_exercises(store, alice)
    data = export.collect(store, res, "k", export.Filters())
    with store.db() as db:
        started = next(db.query("select created_at from sessions where owner = ?", [alice.id]))["created_at"]
    assert data["sessions"][0]["date"] == started[:10]
    turns = [r["turn"] for r in data["turns"]]
    assert turns == list(range(len(turns))) and len(turns) >= 12
    seconds = [r["at_s"] for r in data["turns"]]
    assert 0 <= seconds[0] and seconds == sorted(seconds) and seconds[-1] < 600
    assert data["formulations"][0]["submitted_s"] >= seconds[-1]
    assert data["dearman_sessions"][0]["ended_s"] >= 0
    clock = re.compile(r"\d{2}:\d{2}:\d{2}")
    for name, rows in data.items():
        for row in rows:
            assert not any(isinstance(v, str) and clock.search(v) for v in row.values()), (name, row)


def test_free_text_is_left_out_by_default_and_closed_lists_kept(world):
    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    _all_exercises(store, alice)
    data = export.collect(store, res, "k", export.Filters())
    assert all(r["text"] is None for r in data["turns"] + data["dearman_turns"])
    assert all(r["reframe"] is None for r in data["drill_attempts"])
    formulation = json.loads(data["formulations"][0]["formulation"])
    assert formulation["situation"] is None
    assert formulation["core_beliefs"] == ["I am incompetent."] and formulation["emotions"] == ["hurt"]
    ratings = json.loads(next(r for r in data["dearman_turns"] if r["ratings"])["ratings"])
    assert ratings["describe"]["rating"] in ("strong", "weak", "none") and ratings["describe"]["reason"] is None
    blob = json.dumps(data)
    for typed in ("Jake", "Marco", "Priya", "07834", "example.org", "Hi, I'm", "head chef", "Passed over"):
        assert typed not in blob, typed
    assert json.loads(audit.audit_entries(store, admin)[0]["details_json"])["free_text"] is False


def test_free_text_when_asked_for_is_scrubbed(world):
    from simulator.supervision import reviews

    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    sid, _ = _all_exercises(store, alice)
    reviews.add_comment(store, admin, sid, 0, "Compare bobby's opening, or call me on +44 20 7123 4567.")
    data = export.collect(store, res, "k", export.Filters(), free_text=True)
    blob = json.dumps(data, ensure_ascii=False)
    for typed in ("alice.w", "Jake", "Morrison", "Marco", "Rossi", "Priya", "07834 562190", "jake.m@example.org",
                  "bobby", "7123 4567"):
        assert typed not in blob, typed
    assert data["turns"][0]["text"] == "Hi, I'm [name], your therapist today."
    assert data["comments"][0]["text"] == "Compare [name]'s opening, or call me on [phone]."
    trainee_turn = next(r for r in data["dearman_turns"] if r["role"] == "trainee")["text"]
    assert trainee_turn == "[name], text me on [phone] or email [email] once it's set up."
    assert data["drill_attempts"][0]["reframe"] == "Maybe [name] was just busy, not angry with me."
    formulation = json.loads(data["formulations"][0]["formulation"])
    assert formulation["situation"] == "Passed over for head chef when [name] got the job"
    assert json.loads(audit.audit_entries(store, admin)[0]["details_json"])["free_text"] is True


def test_accounts_names_of_any_length_are_masked(world):
    store, admin, res, alice, bob = world
    jo = users.create_user(store, admin, "jo", PW, "supervisor")
    users.create_user(store, admin, "al", PW, "trainee")
    with store.db() as db:
        db["users"].add_column("display_name", str)
        db["users"].update(jo.id, {"display_name": "Xiomara Quenby"})
    users.set_consent(store, bob, True)
    p = Practice(store, CaseLibrary.load(DATA_DIR / "patients"), OfflineEngine(), actor=bob)
    s = p.start("tomas-herrera", "plain", situation_index=0, seed=2)
    p.say(s.id, "Jo and Al said Xiomara Quenby (jo) will join; no joke, and not tomorrow, BOBBY.")
    data = export.collect(store, res, "k", export.Filters(), free_text=True)
    said = next(r["text"] for r in data["turns"]
                if r["session_id"] == export.keyed_id("k", "session", s.id) and r["role"] == "therapist")
    for name in ("Jo", "Al", "Xiomara", "Quenby", "(jo)", "BOBBY"):
        assert name not in said, said
    assert said.startswith("[name] and [name]") and said.endswith("no joke, and not tomorrow, [name].")


def test_free_text_export_refuses_when_the_scrubber_cannot_run(world, monkeypatch):
    from simulator.research import scrub

    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    monkeypatch.setattr(scrub, "_model", None)
    monkeypatch.setattr(scrub, "MODEL_PACKAGE", "no_such_model_package")
    with pytest.raises(export.ExportError, match="Free text cannot be included.*not installed"):
        export.collect(store, res, "k", export.Filters(), free_text=True)
    assert export.collect(store, res, "k", export.Filters())["turns"]  # without free text it still works


def test_cli_export_leaves_free_text_out_unless_asked(world, tmp_path):
    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    env = {**os.environ, "PRACTICUM_DB": str(store.path), "PRACTICUM_EXPORT_SECRET": "k"}
    base = [sys.executable, "-m", "simulator", "export", "--format", "jsonl"]
    for flag, out in (([], tmp_path / "plain"), (["--free-text"], tmp_path / "text")):
        r = subprocess.run(base + ["--out", str(out)] + flag, capture_output=True, text=True, cwd=ROOT, env=env)
        assert r.returncode == 0, r.stderr
    plain = [json.loads(line) for line in (tmp_path / "plain" / "practicum_turns.jsonl").read_text().splitlines()]
    text = [json.loads(line) for line in (tmp_path / "text" / "practicum_turns.jsonl").read_text().splitlines()]
    assert [r["text"] for r in plain] == [None, None]
    assert text[0]["text"] == "Hi, I'm [name], your therapist today." and text[1]["text"]


def test_every_export_carries_a_data_dictionary_line_for_every_column(world):
    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    data = export.collect(store, admin, "k", export.Filters())
    for fmt in ("jsonl", "csv"):
        with zipfile.ZipFile(io.BytesIO(export.zip_bytes(data, fmt))) as zf:
            names = zf.namelist()
            dictionary = list(csv.DictReader(io.StringIO(zf.read(export.DICTIONARY_FILE).decode())))
        assert sorted(names) == sorted([*(export.file_name(t.name, fmt) for t in export.TABLES), export.DICTIONARY_FILE])
        described = {(d["file"], d["column"]) for d in dictionary if d["meaning"].strip()}
        assert described == {(t.name, c) for t in export.TABLES for c in t.columns}
        assert {d["column"] for d in dictionary if d["free_text"] == "yes"} >= {"text", "reframe", "own_situation"}


def test_a_trainees_own_dearman_situation_is_exported_only_as_scrubbed_free_text(world):
    from simulator.core.settings import Settings
    from simulator.dearman.practice import DearmanPractice
    from simulator.dearman.scenarios import custom_scenario

    store, admin, res, alice, bob = world
    users.set_consent(store, alice, True)
    own = custom_scenario("My flatmate Jess Whitaker never pays her share of the heating bill.",
                          "Get Jess to pay 60 pounds by Friday.", "my flatmate")
    DearmanPractice(store, Settings(), alice).start(own, None, seed=1)
    plain = export.collect(store, admin, "k", export.Filters())["dearman_sessions"]
    assert all(r["own_situation"] is None and r["own_goal"] is None for r in plain)
    scrubbed = export.collect(store, admin, "k", export.Filters(), free_text=True)["dearman_sessions"]
    mine = next(r for r in scrubbed if r["scenario_id"] == "custom")
    assert "heating bill" in mine["own_situation"] and "Whitaker" not in mine["own_situation"]
    assert "Jess" not in mine["own_goal"]
