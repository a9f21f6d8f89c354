"""The write order of a practice session: nothing the trainee typed or the patient said is lost."""

import pytest

from simulator.cbt.engine import PatientReply, TurnPlan
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core.db import Store
from simulator.core.errors import EngineError
from simulator.core.messages import MessageRejected
from simulator.core.settings import DATA_DIR
from simulator.migrations import migrate


class CuttingEngine:
    """An engine of our own interface whose stream breaks after a few words."""

    label = "cutting"

    def reply(self, request):
        def chunks():
            yield "I was "
            yield "going to "
            raise EngineError("The model server stopped mid-reply.", partial="I was going to ")

        return PatientReply(state=request.state.model_copy(update={"turn": request.state.turn + 1}),
                            plan=TurnPlan(moves=["other"]), chunks=chunks())


@pytest.fixture
def lib():
    return CaseLibrary.load(DATA_DIR / "patients")


def make(tmp_path, lib, engine):
    store = Store(tmp_path / "p.db")
    migrate(store)
    return Practice(store=store, library=lib, engine=engine)


def test_a_reply_is_stored_with_the_state_it_leaves(tmp_path, lib):
    p = make(tmp_path, lib, OfflineEngine())
    info = p.start("tomas-herrera", "plain", situation_index=0, seed=3)
    p.say(info.id, "Hi Tomás, what would you like to talk about today?")
    assert p.awaiting_reply(info.id)
    reply = "".join(p.respond(info.id))
    transcript = p.sessions.transcript(info.id)
    assert [t.role for t in transcript] == ["therapist", "patient"]
    assert transcript[1].text == reply.strip() and transcript[1].complete
    assert p.sessions.state(info.id).turn == 1
    assert not p.awaiting_reply(info.id)


def test_empty_and_over_long_messages_are_refused_and_nothing_is_stored(tmp_path, lib):
    p = make(tmp_path, lib, OfflineEngine())
    info = p.start("tomas-herrera", "plain", seed=1)
    with pytest.raises(MessageRejected, match="empty"):
        p.say(info.id, "   ")
    with pytest.raises(MessageRejected, match="2,001 characters; the limit is 2,000"):
        p.say(info.id, "x" * 2001)
    assert p.sessions.transcript(info.id) == []
    p.say(info.id, "y" * 2000)
    assert len(p.sessions.transcript(info.id)) == 1


def test_a_cut_stream_keeps_the_message_and_the_partial_reply(tmp_path, lib):
    p = make(tmp_path, lib, CuttingEngine())
    info = p.start("tomas-herrera", "plain", seed=1)
    p.say(info.id, "How has your week been?")
    with pytest.raises(EngineError, match="mid-reply"):
        list(p.respond(info.id))
    transcript = p.sessions.transcript(info.id)
    assert [(t.role, t.text, t.complete) for t in transcript] == [
        ("therapist", "How has your week been?", True), ("patient", "I was going to", False),
    ]


def test_a_reply_abandoned_by_a_click_is_stored_as_incomplete(tmp_path, lib):
    p = make(tmp_path, lib, OfflineEngine())
    info = p.start("tomas-herrera", "verbose", situation_index=0, seed=2)
    p.say(info.id, "What has been going on at work lately?")
    stream = p.respond(info.id)
    first = next(stream)
    stream.close()  # what a rerun does to a generator it abandons
    patient = p.sessions.transcript(info.id)[-1]
    assert patient.role == "patient" and not patient.complete
    assert patient.text == first.strip()


def test_random_situation_is_reproducible_for_a_seed(tmp_path, lib):
    p = make(tmp_path, lib, OfflineEngine())
    picks = {p.start("tomas-herrera", "plain", seed=s).situation_index for s in range(20)}
    assert picks == {0, 1}
    assert p.start("tomas-herrera", "plain", seed=5).situation_index == \
        p.start("tomas-herrera", "plain", seed=5).situation_index


def test_a_cut_reply_can_be_asked_again_from_the_state_before_it(tmp_path, lib):
    p = make(tmp_path, lib, CuttingEngine())
    info = p.start("tomas-herrera", "plain", situation_index=0, seed=1)
    p.say(info.id, "How has your week been?")
    with pytest.raises(EngineError):
        list(p.respond(info.id))
    assert p.awaiting_reply(info.id)  # the cut reply does not count as an answer
    p.engine = OfflineEngine()
    reply = "".join(p.respond(info.id)).strip()
    transcript = p.sessions.transcript(info.id)
    assert [(t.role, t.complete) for t in transcript] == [("therapist", True), ("patient", False), ("patient", True)]
    assert transcript[-1].text == reply and not p.awaiting_reply(info.id)
    assert p.sessions.state(info.id).turn == 1  # answered once, from the state before the cut
