"""The wrap-up of a finished DEAR MAN conversation: each skill over every message sent, the
strongest strategy named, and a strategy never used, never used strongly, or a state never met
each with what to try next time."""

from datetime import datetime, timezone

from simulator.dearman.rater_offline import feedback_text
from simulator.dearman.schema import DearmanTurn, SkillRatings
from simulator.dearman.wrapup import wrap_up

NOW = datetime(2026, 12, 6, tzinfo=timezone.utc)
TIPS = feedback_text()["suggestions"]


def rated(**levels) -> SkillRatings:
    def one(skill, default):
        return {"rating": levels.get("assert_" if skill == "assert" else skill, default), "reason": "because"}
    return SkillRatings.model_validate({
        **{s: one(s, "none") for s in ("describe", "express", "assert", "reinforce", "negotiate")},
        "mindful": one("mindful", "yes"), "confident": one("confident", "yes"), "rewrite": "A rewrite."})


def conversation(*ratings) -> list[DearmanTurn]:
    turns = []
    for r in ratings:
        turns.append(DearmanTurn(index=len(turns), role="trainee", text="a message", ratings=r, created_at=NOW))
        turns.append(DearmanTurn(index=len(turns), role="counterpart", text="a reply", created_at=NOW))
    return turns


def test_each_skill_is_counted_over_the_messages_and_what_was_missing_says_what_to_try():
    summary = wrap_up(conversation(rated(describe="weak", express="strong", confident="no"),
                                   rated(describe="strong", express="strong", assert_="weak", confident="no"),
                                   rated(describe="strong", confident="no")))
    by = {s.skill: s for s in summary.skills}
    assert [s.title for s in summary.skills][:2] == ["Describe", "Express"]  # the acronym's order
    assert (by["describe"].strong, by["describe"].weak, by["describe"].first_strong) == (2, 1, 2)
    assert (by["mindful"].strong, by["confident"].strong, by["negotiate"].rated) == (3, 0, 3)
    said = summary.sentences()
    # Mindful was met in all three, but the strongest named is a strategy: a state is met by default.
    assert said[0] == "Strongest: Describe and Express (strong in 2 of 3 messages)."
    assert f"Used, but never strongly: Assert. Next time: {TIPS['assert']['weak']}" in said
    assert f"Not used: Reinforce. Next time: {TIPS['reinforce']['none']}" in said
    assert any(s.startswith("Not used: Negotiate.") for s in said)
    assert f"Appear confident: met in none of 3 messages. Next time: {TIPS['confident']['no']}" in said
    assert not any("Describe" in s for s in said[1:]) and not any("Mindful" in s for s in said)


def test_several_strongest_strategies_read_as_a_list_and_an_unmet_mindful_says_so():
    said = wrap_up(conversation(rated(describe="strong", express="strong", assert_="strong", mindful="no"))).sentences()
    assert said[0] == "Strongest: Describe, Express and Assert (strong in 1 of 1 message)."
    assert f"Mindful: met in none of 1 message. Next time: {TIPS['mindful']['no']}" in said


def test_a_message_sent_without_ratings_keeps_the_numbering_of_the_messages():
    turns = conversation(None, rated(describe="strong"))
    summary = wrap_up(turns)
    describe = summary.skills[0]
    assert (summary.sent, describe.rated, describe.first_strong) == (2, 1, 2)  # the trainee's second message


def test_a_conversation_with_no_message_or_none_rated_says_so():
    assert wrap_up(conversation()).sentences() == ["You sent no messages in this conversation."]
    assert wrap_up(conversation(None)).sentences() == [
        "None of your messages were rated, so there is no summary of your skills."]
