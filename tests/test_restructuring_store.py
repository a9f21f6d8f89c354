"""Restructuring dialogues are stored turn by turn: no turn is lost to a second tab or a second
server process, the model is called outside any lock, dialogues stored before the change are
carried over, and a dialogue left untouched is closed as abandoned rather than left active."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from simulator.accounts.actor import Actor
from simulator.accounts.policy import AccessDenied
from simulator.cbt.library import CaseLibrary
from simulator.core.clock import now
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR, ROOT, LLMSettings, Settings
from simulator.migrations import migrate, migrations
from simulator.traps.restructuring import dialogue as rs
from simulator.traps.restructuring import store as records
from simulator.traps.restructuring.dialogue import CaseThought
from simulator.traps.restructuring.practice import RestructuringPractice

ALICE = Actor(id="u-alice", username="alice", role="trainee")
# Messages the rules answer without the embedding model (no proposal, no next thought).
MESSAGES = ["What went through your mind when that happened?", "If that were true, what would it mean?",
            "And what does that say about you as a person?", "What is the evidence that the thought is true?",
            "Is that a fact, or your interpretation?", "What evidence is there against the thought?",
            "Anything else?", "That sounds really hard.", "How much do you believe it now, from 0 to 100?"]


@pytest.fixture(scope="module")
def case():
    return CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")


@pytest.fixture(scope="module")
def thought(case):
    return rs.distorted_thoughts(case)[0]


def practice(store, actor=ALICE, **settings) -> RestructuringPractice:
    return RestructuringPractice(store, Settings(**settings), actor)


def assert_whole(store, case, session_id, sent: list[str]):
    """Every message sent is stored once, each followed by its answer, and the stored state is
    exactly what the rules give for the stored messages in their stored order."""
    d = practice(store).open(session_id)
    turns = d.state.turns
    assert [t.role for t in turns] == ["patient"] + ["therapist", "patient"] * len(sent)
    stored = [t.text for t in turns if t.role == "therapist"]
    assert sorted(stored) == sorted(sent)
    first = d.state.thoughts[0]
    replay = rs.begin(case, CaseThought(situation_index=first.situation_index, text=first.text,
                                        patterns=first.patterns), d.state.seed)
    for message in stored:
        replay = rs.respond(replay, case, message)
    assert replay.model_dump(exclude={"turns"}) == d.state.model_dump(exclude={"turns"})
    assert [t.text for t in replay.turns] == [t.text for t in turns]


def test_two_tabs_on_one_dialogue_lose_no_turn(store, case, thought):
    sid = practice(store).start(case, thought, seed=3)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tab(n: int) -> None:
        barrier.wait()
        try:
            for m in MESSAGES:
                practice(store).say(sid, f"{m} (tab {n})")
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    tabs = [threading.Thread(target=tab, args=(n,)) for n in (1, 2)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join()
    assert not errors, errors
    assert_whole(store, case, sid, [f"{m} (tab {n})" for n in (1, 2) for m in MESSAGES])


SERVER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from simulator.accounts.actor import Actor
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.traps.restructuring.practice import RestructuringPractice

practice = RestructuringPractice(Store({db!r}), Settings(), Actor(id="u-alice", username="alice", role="trainee"))
print("ready", flush=True)
while not Path({go!r}).exists():
    time.sleep(0.005)
for m in {messages!r}:
    practice.say({sid!r}, m + " (process {n})")
"""


def test_two_server_processes_on_one_database_lose_no_turn(store, case, thought, tmp_path):
    sid = practice(store).start(case, thought, seed=5)
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), db=str(store.path), go=str(go),
                                                                   messages=MESSAGES, sid=sid, n=n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
             for n in (1, 2)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    go.touch()  # both start sending at once
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-2000:]
    assert_whole(store, case, sid, [f"{m} (process {n})" for n in (1, 2) for m in MESSAGES])


def test_the_model_is_called_outside_any_lock(store, case, thought, openai_server):
    sid = practice(store).start(case, thought, seed=1)
    openai_server.script.reply = "Honestly? That I'm not good enough."
    openai_server.script.first_token_delay = 3.0
    llm = practice(store, engine="llm", llm=LLMSettings(base_url=openai_server.base_url, model="m", max_retries=0))
    done: list = []
    slow = threading.Thread(target=lambda: done.append(llm.say(sid, "What went through your mind?")))
    slow.start()
    deadline = time.monotonic() + 20
    while not openai_server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert openai_server.requests, "the model was never called"
    # While the model is still answering, the exchange is already stored (in the rules' words)...
    stored = practice(store).open(sid).state.turns
    assert [t.role for t in stored] == ["patient", "therapist", "patient"]
    assert stored[1].text == "What went through your mind?"
    # ...and another tab sends and is answered without waiting for the model.
    started = time.monotonic()
    practice(store).say(sid, "If that were true, what would it mean?")
    assert time.monotonic() - started < 2.0 and slow.is_alive()
    slow.join(30)
    turns = practice(store).open(sid).state.turns
    assert [t.text for t in turns if t.role == "therapist"] == ["What went through your mind?",
                                                                "If that were true, what would it mean?"]
    assert turns[2].text == "Honestly? That I'm not good enough." == done[0].turns[-1].text


def _old_dialogue(db, case, state, *, sid: str, status: str, created: str, updated: str) -> None:
    """A dialogue as stored before m010_restructuring_turns: case and state (with its turns) in one JSON document."""
    db["restructuring_sessions"].insert({
        "id": sid, "owner": ALICE.id, "case_id": case.id, "situation_index": state.situation_index,
        "engine": "offline", "status": status, "created_at": created, "updated_at": updated,
        "state_json": json.dumps({"case": case.model_dump(mode="json"), "state": state.model_dump(mode="json")}),
    })


def test_the_migration_carries_every_turn_of_existing_dialogues_over(tmp_path, case, thought):
    store = Store(tmp_path / "old.db")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    with store.db() as db:
        db.enable_wal()
        migrations.apply(db, stop_before="m010_restructuring_turns")
        assert "restructuring_turns" not in db.table_names()
    active = rs.begin(case, thought, seed=2)
    for m in MESSAGES[:5]:
        active = rs.respond(active, case, m)
    ended = rs.begin(case, thought, seed=4)
    for m in MESSAGES[:2]:
        ended = rs.respond(ended, case, m)
    ended = rs.conclude(ended)
    with store.db() as db, db.conn:
        _old_dialogue(db, case, active, sid="old-active", status="active", created="2024-01-01T10:00:00+00:00",
                      updated="2024-01-01T10:20:00+00:00")
        _old_dialogue(db, case, ended, sid="old-ended", status="ended", created="2024-01-02T10:00:00+00:00",
                      updated="2024-01-02T10:05:00+00:00")

    assert "m010_restructuring_turns" in migrate(store)
    p = RestructuringPractice(store, Settings(restructuring_idle_days=100000), ALICE)
    moved = p.open("old-active")
    assert moved.state == active  # every turn, in order, and the rest of the state
    assert moved.case == case and moved.is_open and moved.ended_at is None
    closed = p.open("old-ended")
    assert closed.state == ended and closed.status == "ended"
    assert closed.ended_at.isoformat() == "2024-01-02T10:05:00+00:00"
    with store.db() as db:
        stored = db.execute("select count(*) from restructuring_turns").fetchone()[0]
    assert stored == len(active.turns) + len(ended.turns)
    # The carried-over dialogue goes on as any other.
    state = p.say("old-active", MESSAGES[5])
    assert len(state.turns) == len(active.turns) + 2
    assert [d.id for d in p.dialogues()] == ["old-active", "old-ended"]


def test_an_untouched_dialogue_is_closed_as_abandoned_with_its_feedback(store, case, thought):
    p = practice(store, restructuring_idle_days=7)
    idle = p.start(case, thought, seed=1)
    p.say(idle, MESSAGES[0])
    fresh = p.start(case, thought, seed=2)
    week_ago = (now() - timedelta(days=8)).isoformat()
    with store.db() as db, db.conn:
        db.execute("update restructuring_sessions set updated_at = ? where id = ?", [week_ago, idle])

    listed = {d.id: d.status for d in p.dialogues()}
    assert listed == {idle: "abandoned", fresh: "active"}
    closed = p.open(idle)
    assert closed.state.finished and closed.ended_at is not None
    assert any(f.title == "Automatic thought" and f.status == "done" for f in closed.state.feedback)
    with pytest.raises(records.DialogueClosed, match="closed after a long time"):
        p.say(idle, "Are you still there?")
    assert len(p.open(idle).state.turns) == 3  # nothing was added
    assert p.finish(idle).finished  # finishing a closed dialogue only shows it


def test_an_idle_dialogue_opened_directly_is_closed_too(store, case, thought):
    p = practice(store, restructuring_idle_days=2)
    sid = p.start(case, thought, seed=1)
    with store.db() as db, db.conn:
        db.execute("update restructuring_sessions set updated_at = ? where id = ?",
                   [(now() - timedelta(days=3)).isoformat(), sid])
    with pytest.raises(records.DialogueClosed):
        p.say(sid, MESSAGES[0])
    assert p.open(sid).status == "abandoned"


def test_a_supervisor_reads_a_dialogue_but_cannot_add_to_or_finish_it(store, case, thought):
    from simulator.accounts import cohorts, users

    admin = users.create_user(store, None, "ada", "a long enough password", "admin")
    tess = users.create_user(store, admin, "tess", "a long enough password", "trainee")
    sam = users.create_user(store, admin, "sam", "a long enough password", "supervisor")
    cohort = cohorts.create_cohort(store, admin, "Autumn")
    cohorts.add_member(store, admin, cohort, tess.id, "trainee")
    cohorts.add_member(store, admin, cohort, sam.id, "supervisor")
    sid = practice(store, tess).start(case, thought, seed=1)
    practice(store, tess).say(sid, MESSAGES[0])
    assert len(practice(store, sam).open(sid).state.turns) == 3
    with pytest.raises(AccessDenied):
        practice(store, sam).say(sid, "Hello?")
    with pytest.raises(AccessDenied):
        practice(store, sam).finish(sid)
    assert practice(store, tess).open(sid).is_open
