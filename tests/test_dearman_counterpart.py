"""The counterpart's emotional state and replies, and the coach's suggested next skill."""

from __future__ import annotations

import pytest

from simulator.dearman import counterpart
from simulator.dearman.coach import suggest_next
from simulator.dearman.rater_offline import default_rater, feedback_text
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
    assert counterpart.state_changes()["attacked"] in angrier.changes


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
    tip = suggest_next([first, sidetracked])
    assert tip.skill == "mindful" and "off track" in tip.text
    gave_up = ratings(EASY, "Never mind, no worries, forget it.")
    tip = suggest_next([first, gave_up])
    assert tip.skill == "mindful" and "let your request go" in tip.text and "off track" not in tip.text


# -- long scripted conversations: agreement past the threshold, no line repeated within five turns --

from datetime import datetime, timezone  # noqa: E402

from simulator.core.settings import Settings  # noqa: E402
from simulator.dearman.practice import DearmanPractice  # noqa: E402
from simulator.dearman.scenarios import custom_scenario  # noqa: E402
from simulator.dearman.schema import DearmanTurn, SkillRatings  # noqa: E402

# Messages that keep the other person talking without winning them over.
STALLING = [
    "Sorry, um, maybe it could be a bit different sometimes? No pressure.",
    "You're the most selfish person I know and everyone thinks so.",
    "I feel really frustrated about all this.",
    "I understand you're busy.",
    "Things need to change.",
    "It's been going on since March, three times a week.",
    "Whatever, forget it.",
]
SKILLED = [
    "I hear that it's hard for you. I'm still asking for this, and if it's easier, how about we do half now and "
    "half next week? That way you won't have it hanging over you.",
    "I understand. My request is the same, and I can be flexible on the day: what would work for you this week? "
    "It would save you a lot of hassle.",
]
SCENARIOS = [*LIB, custom_scenario("My neighbour parks across my drive most mornings.", "Get the neighbour to park elsewhere.",
                                   "Pat", difficulty=5)]


def _turn(i: int, role: str, text: str) -> DearmanTurn:
    return DearmanTurn(index=i, role=role, text=text, created_at=datetime.now(timezone.utc))


def converse(scenario, script, turns, seed):
    """Play `script` (cycled) for up to `turns` messages; returns the replies and states."""
    rated = {m: ratings(scenario, m) for m in set(script)}
    state, history, replies, states = counterpart.initial_state(scenario), [], [], []
    for n in range(turns):
        message = script[n % len(script)]
        reply = counterpart.respond(scenario, history, state, rated[message], message, seed)
        history += [_turn(len(history), "trainee", message), _turn(len(history) + 1, "counterpart", reply.text)]
        state = reply.state
        replies.append(reply.text)
        states.append(state)
        if state.agreed:
            break
    return replies, states


def known_lines(scenario) -> set[str]:
    lines = counterpart._lines()
    pools = [scenario.counterpart.objections, scenario.counterpart.softening, *lines["reactions"].values(),
             *(lines["generic"][k] for k in ("objections", "softening", "holding"))]
    return {line for pool in pools for line in pool}


def test_no_line_is_repeated_within_five_turns_over_long_conversations():
    for scenario in SCENARIOS:
        for seed in (1, 2, 3):
            replies, states = converse(scenario, STALLING, 40, seed)
            assert len(replies) == 40 and not states[-1].agreed, scenario.id
            for line in known_lines(scenario):
                said = [i for i, text in enumerate(replies) if line in text]
                gaps = [b - a for a, b in zip(said, said[1:])]
                assert all(g > counterpart.RECENT_TURNS for g in gaps), (scenario.id, seed, line, said)
            assert all(text.strip() for text in replies)


def test_the_counterpart_agrees_as_soon_as_willingness_passes_the_threshold():
    for scenario in SCENARIOS:
        for seed in (1, 2):
            replies, states = converse(scenario, SKILLED, scenario.turn_limit, seed)
            assert states[-1].agreed, (scenario.id, seed, [round(s.willingness, 2) for s in states])
            for text, state in zip(replies, states):
                past = state.asked and state.willingness >= state.threshold
                assert state.agreed == past, (scenario.id, state)
                agreeing = [scenario.counterpart.agreement, *counterpart.generic_lines()["agree_to_offer"]]
                assert any(line in text for line in agreeing) == state.agreed


def _rated(**levels) -> SkillRatings:
    out = {}
    for skill in ("describe", "express", "assert", "reinforce", "negotiate"):
        level = levels.get(skill, "none")
        out[skill] = {"rating": level, "reason": "r", "suggestion": "" if level == "strong" else "s"}
    for skill in ("mindful", "confident"):
        out[skill] = {"rating": levels.get(skill, "yes"), "reason": "r"}
    if "off_goal" in levels:
        out["mindful"]["off_goal"] = levels["off_goal"]
    out["rewrite"] = "x"
    out["judging"] = levels.get("judging")
    return SkillRatings.model_validate(out)


def test_an_offer_counts_as_asking_and_a_still_irritated_counterpart_past_its_threshold_agrees():
    offer = "How about $100 on the 1st and the other $100 on the 15th?"
    r = _rated(negotiate="strong")  # no explicit request: the offer itself is what they agree to
    state = counterpart.initial_state(EASY).model_copy(update={"willingness": 0.66, "irritation": 0.65})
    after = counterpart.update_state(state, r, offer, EASY, 1)
    assert after.asked and after.willingness >= after.threshold and after.agreed
    text, _ = counterpart.offline_reply(EASY, state, after, r, offer, 1)
    # They agree to the trainee's own plan, not to the scenario's terms (other dates).
    assert any(line in text for line in counterpart.generic_lines()["agree_to_offer"]), text
    assert EASY.counterpart.agreement not in text


def test_a_plain_request_past_the_threshold_gets_the_scenarios_agreement():
    r = _rated(**{"assert": "strong"})
    state = counterpart.initial_state(EASY).model_copy(update={"willingness": 0.66, "irritation": 0.2, "asked": True})
    after = counterpart.update_state(state, r, "Please take the long calls in the booth.", EASY, 1)
    assert after.agreed
    text, _ = counterpart.offline_reply(EASY, state, after, r, "Please take the long calls in the booth.", 1)
    assert EASY.counterpart.agreement in text


def test_an_offer_far_from_agreement_is_not_welcomed_as_if_agreed():
    offer = "How about headphones for the short calls?"
    r = _rated(negotiate="strong")
    start = counterpart.initial_state(HARD)
    after = counterpart.update_state(start, r, offer, HARD, 1)
    assert not after.agreed and after.willingness < 0.6 * after.threshold
    text, _ = counterpart.offline_reply(HARD, start, after, r, offer, 1)
    reactions = counterpart._lines()["reactions"]
    assert any(line in text for line in reactions["offer_far"]), text
    assert not any(line in text for line in reactions["offer"]), text


def test_an_off_goal_greeting_is_a_side_issue_not_an_insult():
    # "Hey, got a minute?" after "Drinks on Friday?" may be rated off the goal; it offends no one.
    greeting = "Hey Marcus, got a minute?"
    start = counterpart.initial_state(EASY)
    r = _rated(mindful="no", off_goal="sidetracked")
    after = counterpart.update_state(start, r, greeting, EASY, 1)
    why, reactions = counterpart.state_changes(), counterpart._lines()["reactions"]
    assert why["side_issue"] in after.changes and why["attacked"] not in after.changes
    assert after.irritation - start.irritation < 0.1
    text, _ = counterpart.offline_reply(EASY, start, after, r, greeting, 1)
    assert any(line in text for line in reactions["side_issue"]), text
    assert not any(line in text for line in reactions["attacked"]), text


def test_an_offer_welcomed_earlier_is_what_a_later_agreement_agrees_to():
    offer = "How about fifty a week, every Friday, until it's paid?"
    start = counterpart.initial_state(EASY).model_copy(update={"willingness": 0.5, "irritation": 0.2})
    first = counterpart.update_state(start, _rated(negotiate="strong"), offer, EASY, 1)
    assert not first.agreed and first.offer == offer
    reward = "It'd mean you can take calls without anyone listening in."
    r = _rated(reinforce="strong", **{"assert": "strong"})
    later = counterpart.update_state(first.model_copy(update={"willingness": 0.66}), r, reward, EASY, 1)
    assert later.agreed and later.offer == offer
    text, _ = counterpart.offline_reply(EASY, first, later, r, reward, 1)
    assert EASY.counterpart.agreement not in text
    assert any(line in text for line in counterpart.generic_lines()["agree_to_offer"]), text
    # A question that only asks what would work proposes no terms of its own.
    asking = counterpart.update_state(start, _rated(negotiate="strong"), "What would work for you this week?", EASY, 1)
    assert asking.offer == ""


def test_a_side_issue_gets_no_objection_to_a_request_not_yet_made():
    start = counterpart.initial_state(EASY)
    r = _rated(mindful="no", off_goal="sidetracked", judging=False)
    after = counterpart.update_state(start, r, "Did you see the match last night?", EASY, 1)
    text, _ = counterpart.offline_reply(EASY, start, after, r, "Did you see the match last night?", 1)
    assert not any(o in text for o in EASY.counterpart.objections), text
    asked = start.model_copy(update={"asked": True})
    text, _ = counterpart.offline_reply(EASY, asked, after, r, "Did you see the match last night?", 1)
    assert any(line in text for line in counterpart._lines()["reactions"]["side_issue_asked"]), text


def test_praise_with_loaded_words_is_not_taken_as_judging():
    # "a lot" is on the judging word list; the rater reads the sentence, and the reply follows the rater.
    message = "It'd really help me with rent, and I'd feel a lot better about things between us."
    rated = ratings(EASY, message)
    assert not rated.judging
    after = counterpart.update_state(counterpart.initial_state(EASY), rated, message, EASY, 1)
    assert counterpart.state_changes()["judgemental"] not in after.changes


def test_a_stored_conversation_does_not_repeat_the_other_persons_lines(store):
    """The same rule through the practice flow, where the history comes from the database."""
    p = DearmanPractice(store=store, settings=Settings())
    scenario = EASY.model_copy(update={"turn_limit": 16})
    info = p.start(scenario, None, seed=4)
    for n in range(16):
        p.send(info.id, STALLING[n % len(STALLING)])
        "".join(p.respond(info.id))
    replies = [t.text for t in p.turns(info.id) if t.role == "counterpart"]
    assert len(replies) == 16
    for line in known_lines(scenario):
        said = [i for i, text in enumerate(replies) if line in text]
        assert all(b - a > counterpart.RECENT_TURNS for a, b in zip(said, said[1:])), (line, said)


# -- the Mindful feedback and the other person's reaction agree --

def _feedback_says(rated: SkillRatings) -> str | None:
    """What the trainee reads under Mindful: dropped the goal, pulled into an attack, or on the goal."""
    reasons = feedback_text()["reasons"]["mindful"]
    if rated.mindful.reason.startswith(reasons["no_gave_up"].split("{")[0]):
        return "gave_up"
    if rated.mindful.reason.startswith(reasons["no_sidetracked"].split("{")[0]):
        return "sidetracked"
    assert rated.mindful.rating == "yes", rated.mindful
    return None


def _reaction_shows(state, reply: str) -> str | None:
    """How the other person took it: the state change shown, and the reaction line in the reply."""
    why, reactions = counterpart.state_changes(), counterpart._lines()["reactions"]
    kinds = (("gave_up", ["gave_up"]), ("attacked", ["attacked"]), ("side_issue", ["side_issue", "side_issue_asked"]))
    took = [kind for kind, keys in kinds if why[keys[0]] in state.changes]
    said = [kind for kind, keys in kinds if any(line in reply for key in keys for line in reactions[key])]
    assert took == said, (state.changes, reply)
    assert len(took) <= 1
    return took[0] if took else None


@pytest.mark.parametrize("message, verdict, reaction", [
    (ATTACK, "sidetracked", "attacked"),
    ("Honestly you're so selfish, you never think of anyone else.", "sidetracked", "attacked"),
    ("Whatever, forget it.", "gave_up", "gave_up"),
    # Giving up in the trainee's own words, with no stock phrase ("forget it", "never mind"):
    ("Okay, I'll sort it out on my own then.", "gave_up", "gave_up"),
    ("Don't worry about it, I'll find somewhere else to sit.", "gave_up", "gave_up"),
    ("Please take the long calls in the booth from tomorrow.", None, None),
    (OFFER, None, None),
])
def test_the_other_person_reacts_to_what_the_mindful_feedback_says(store, message, verdict, reaction):
    p = DearmanPractice(store=store, settings=Settings())
    info = p.start(EASY, None, seed=2)
    p.send(info.id, message)
    "".join(p.respond(info.id))
    sent, answer = p.turns(info.id)
    assert _feedback_says(sent.ratings) == verdict
    assert _reaction_shows(answer.state, answer.text) == reaction
    if verdict == "sidetracked":
        assert answer.state.irritation > info.state.irritation
    if verdict == "gave_up":
        assert answer.state.irritation < info.state.irritation


def test_a_model_rating_decides_the_reaction_and_one_without_the_verdict_is_read_from_the_words():
    start = counterpart.initial_state(EASY)
    why = counterpart.state_changes()
    quiet = "I'll sort it out myself."  # no stock phrase of giving up
    said_gave_up = counterpart.update_state(start, _rated(mindful="no", off_goal="gave_up"), quiet, EASY, 1)
    assert why["gave_up"] in said_gave_up.changes and why["attacked"] not in said_gave_up.changes
    said_attack = counterpart.update_state(start, _rated(mindful="no", off_goal="sidetracked", judging=True),
                                           "Whatever.", EASY, 1)
    assert why["attacked"] in said_attack.changes and why["gave_up"] not in said_attack.changes
    said_aside = counterpart.update_state(start, _rated(mindful="no", off_goal="sidetracked", judging=False),
                                          "Whatever.", EASY, 1)
    assert why["side_issue"] in said_aside.changes and why["attacked"] not in said_aside.changes
    # A model's rating without the judging verdict: read from the words.
    unsure = counterpart.update_state(start, _rated(mindful="no", off_goal="sidetracked"), "You're so selfish.", EASY, 1)
    assert why["attacked"] in unsure.changes
    unsaid = counterpart.update_state(start, _rated(mindful="no"), "Whatever, forget it.", EASY, 1)
    assert why["gave_up"] in unsaid.changes
    assert _rated(mindful="yes", off_goal="gave_up").mindful.off_goal is None  # on the goal: nothing left it
