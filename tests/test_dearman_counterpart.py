"""The counterpart's emotional state and replies, and the coach's suggested next skill."""

from __future__ import annotations

from simulator.dearman import counterpart
from simulator.dearman.coach import suggest_next
from simulator.dearman.rater_offline import default_rater
from simulator.dearman.scenarios import ScenarioLibrary
from simulator.dearman.schema import MessageContext

LIB = ScenarioLibrary.load()
EASY = LIB.get("coworker-speakerphone")
HARD = LIB.get("contractor-delay")


def ratings(scenario, message):
    return default_rater().rate(MessageContext.checked(scenario.situation, scenario.goal, message))


def step(scenario, state, message, seed=1):
    return counterpart.update_state(state, ratings(scenario, message), message, scenario, seed)


FACTS = ("On Monday, Tuesday and Wednesday your speakerphone calls ran for over an hour each morning. "
         "I understand calls are part of your job.")
ATTACK = "You're the rudest person in this office and everyone thinks so."
OFFER = ("Please take the long calls in the booth. If that's hard, how about headphones for the short ones? "
         "That way you can talk freely without worrying who's listening.")
HEDGE = "Sorry, um, maybe the calls could be a tiny bit quieter sometimes? No big deal."


def test_validation_and_facts_lower_irritation_and_attacks_raise_it():
    start = counterpart.initial_state(EASY)
    calmer = step(EASY, start, FACTS)
    angrier = step(EASY, start, ATTACK)
    assert calmer.irritation < start.irritation < angrier.irritation
    assert any("acknowledged" in c for c in calmer.changes)
    assert any("Attack" in c for c in angrier.changes)


def test_a_good_offer_and_reward_raise_willingness_more_than_hedging():
    start = counterpart.initial_state(EASY)
    assert step(EASY, start, OFFER).willingness > step(EASY, start, HEDGE).willingness + 0.1
    assert step(EASY, start, HEDGE).willingness <= start.willingness + 0.03


def play(scenario, messages, seed=7):
    state = counterpart.initial_state(scenario)
    for n, message in enumerate(messages, 1):
        state = step(scenario, state, message, seed)
        if state.agreed:
            return n, state
    return None, state


def test_agreement_comes_only_past_the_threshold_and_after_a_request():
    turns, state = play(EASY, [FACTS, OFFER, OFFER, OFFER, OFFER])
    assert turns is not None and 2 <= turns <= 5  # hard to convince, but skill works
    assert state.willingness >= state.threshold
    never, state = play(EASY, [FACTS] * 8)  # facts alone never ask for anything
    assert never is None and not state.asked


def test_the_hardest_scenario_resists_what_wins_the_easiest():
    easy_turns, _ = play(EASY, [OFFER] * 10)
    hard_turns, _ = play(HARD, [OFFER] * 10)
    assert easy_turns is not None and (hard_turns is None or hard_turns > easy_turns + 1)
    never, _ = play(HARD, [HEDGE, ATTACK] * 5)
    assert never is None


def test_the_state_is_deterministic_per_seed():
    assert play(EASY, [FACTS, OFFER], seed=3)[1] == play(EASY, [FACTS, OFFER], seed=3)[1]


def reply(scenario, message, seed=1):
    before = counterpart.initial_state(scenario)
    r = ratings(scenario, message)
    after = counterpart.update_state(before, r, message, scenario, seed)
    return counterpart.offline_reply(scenario, before, after, r, message, seed)[0]


def test_replies_are_about_as_long_as_the_message_and_stay_in_role():
    short = reply(EASY, "Please use the booth.")
    long = reply(EASY, " ".join([FACTS, OFFER, "I feel distracted and tired by lunchtime, and my own calls suffer."]))
    assert len(short.split()) < 25
    assert len(long.split()) > 2 * len(short.split())
    for text in (short, long):
        assert "DEAR MAN" not in text and "skill" not in text.lower() and "assistant" not in text.lower()
    assert reply(EASY, FACTS, seed=5) == reply(EASY, FACTS, seed=5)


def test_the_counterpart_says_the_agreement_when_it_agrees():
    state = counterpart.initial_state(EASY).model_copy(update={"willingness": 0.69, "asked": True})
    r = ratings(EASY, OFFER)
    after = counterpart.update_state(state, r, OFFER, EASY, 1)
    assert after.agreed
    assert EASY.counterpart.agreement in counterpart.offline_reply(EASY, state, after, r, OFFER, 1)[0]


def test_the_coach_suggests_describe_first_then_what_is_missing():
    assert suggest_next([]).skill == "describe"
    first = ratings(EASY, FACTS)
    assert suggest_next([first]).skill == "express"
    sidetracked = ratings(EASY, ATTACK)
    assert suggest_next([first, sidetracked]).skill == "mindful"
