"""The wrap-up of a finished DEAR MAN conversation: each skill over every message sent, the
strongest named, a strategy never used and a state never met each with what to try next time."""

from datetime import datetime, timezone

from simulator.dearman.schema import DearmanTurn, SkillRatings
from simulator.dearman.wrapup import wrap_up

NOW = datetime(2026, 12, 6, tzinfo=timezone.utc)


def rated(**levels) -> SkillRatings:
    def one(skill, default):
        level = levels.get("assert_" if skill == "assert" else skill, default)
        return {"rating": level, "reason": "because"}
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
    assert said[0] == "Strongest: Mindful (strong or met in 3 of 3 messages)."
    assert "Used, but never strongly: Assert." in said
    assert any(s.startswith("Not used: Reinforce. Next time: Tell them what they gain") for s in said)
    assert any(s.startswith("Not used: Negotiate.") for s in said)
    assert any(s.startswith("Appear confident in none of 3 messages. Next time: Say it without apologising")
               for s in said)
    assert not any("Describe" in s or "Express" in s for s in said[1:])


def test_a_conversation_with_no_rated_message_says_so():
    assert wrap_up(conversation()).sentences() == [
        "None of your messages were rated, so there is no summary of your skills."]


def test_several_strongest_skills_read_as_a_list():
    said = wrap_up(conversation(rated(describe="strong", express="strong", confident="no"))).sentences()
    assert said[0] == "Strongest: Describe, Express and Mindful (strong or met in 1 of 1 message)."
