"""A DEAR MAN conversation end to end on the offline engine: storage, ownership, endings."""

from __future__ import annotations

import pytest

from simulator.accounts.actor import Actor
from simulator.accounts.policy import AccessDenied
from simulator.core.settings import Settings
from simulator.dearman.practice import DearmanPractice
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.dearman.schema import EmotionRatings, InputRejected

SCENARIO = ScenarioLibrary.load().get("restaurant-wrong-order")
BEFORE = EmotionRatings(anger=5, fear=2, sadness=1, disgust=3)
AFTER = EmotionRatings(anger=2, fear=1, sadness=1, disgust=1)
ANA = Actor(id="u-ana", username="ana", role="trainee")
BEN = Actor(id="u-ben", username="ben", role="trainee")



def practice(store, actor=None):
    return DearmanPractice(store=store, settings=Settings(), actor=actor)


GOOD = ("I ordered the vegetarian curry and this plate has chicken in it. I'm vegetarian, so I can't eat it. "
        "Please bring a vegetarian curry and take this one off the bill. If you can't, how about the veggie "
        "pasta instead, if that's quicker for the kitchen?")


def test_send_stores_the_sent_versions_ratings_and_the_reply_stores_the_state(store):
    p = practice(store)
    info = p.start(SCENARIO, BEFORE, seed=2)
    draft = p.check(info.id, "sorry, maybe the dish is a bit wrong?")
    assert draft.ratings.confident.rating == "no" and draft.engine == "offline"
    sent = p.send(info.id, GOOD, checks=2)  # revised after the check: the sent text is re-rated
    assert sent.ratings.assert_.rating == "strong" and sent.checks == 2
    text = "".join(p.respond(info.id))
    turns = p.turns(info.id)
    assert [t.role for t in turns] == ["trainee", "counterpart"]
    assert turns[1].text == text and turns[1].state.turn == 1
    assert turns[1].state == p.session(info.id).state
    assert p.session(info.id).before == BEFORE


def test_agreement_ends_the_exchange_and_after_ratings_close_it(store):
    p = practice(store)
    info = p.start(SCENARIO, BEFORE, seed=2)
    for _ in range(SCENARIO.turn_limit):
        p.send(info.id, GOOD)
        "".join(p.respond(info.id))
        if p.session(info.id).outcome:
            break
    assert p.session(info.id).outcome == "agreed"
    assert SCENARIO.counterpart.agreement in p.turns(info.id)[-1].text
    with pytest.raises(InputRejected, match="over"):
        p.send(info.id, GOOD)
    ended = p.end(info.id, AFTER)
    assert ended.status == "ended" and ended.after == AFTER and ended.outcome == "agreed"


def test_the_turn_limit_and_giving_up_end_the_exchange(store):
    p = practice(store)
    hard = ScenarioLibrary.load().get("contractor-delay").model_copy(update={"turn_limit": 3})
    info = p.start(hard, BEFORE, seed=1)
    for _ in range(3):
        p.send(info.id, "Um, sorry, maybe the kitchen could be done a bit sooner?")
        "".join(p.respond(info.id))
    assert p.session(info.id).outcome == "turn_limit"
    other = p.start(hard, BEFORE, seed=1)
    p.give_up(other.id)
    assert p.session(other.id).outcome == "gave_up"


def test_a_trainee_cannot_read_or_write_another_trainees_conversation(store):
    mine = practice(store, ANA).start(SCENARIO, BEFORE)
    theirs = practice(store, BEN)
    with pytest.raises(AccessDenied):
        theirs.turns(mine.id)
    with pytest.raises(AccessDenied):
        theirs.send(mine.id, GOOD)
    assert theirs.records.list_sessions(BEN) == []
    assert [s.id for s in practice(store, ANA).records.list_sessions(ANA)] == [mine.id]


def test_an_empty_or_over_long_message_is_refused_and_nothing_is_stored(store):
    p = practice(store)
    info = p.start(SCENARIO, BEFORE)
    for bad in ("", "x" * 2001):
        with pytest.raises(InputRejected):
            p.send(info.id, bad)
        with pytest.raises(InputRejected):
            p.check(info.id, bad)
    assert p.turns(info.id) == []
