"""The request the DEAR MAN rewrite builds from the trainee's goal when the message asked weakly or not at all:
it must read as something a person would say to the other person."""

import pytest

from simulator.dearman.goal_request import goal_as_request
from simulator.dearman.rater_offline import default_rater, feedback_text
from simulator.dearman.schema import MessageContext

TEMPLATES = feedback_text()["rewrite"]


@pytest.mark.parametrize("goal, situation, asked", [
    # Spoken to the person asked, the verb agreeing with "you".
    ("Ask Leo to tell me at least a day ahead if he needs to cancel.", "",
     "I'm asking you to tell me at least a day ahead if you need to cancel."),
    ("Ask Priti to arrive on time or text if she's running late.", "",
     "I'm asking you to arrive on time or text if you're running late."),
    ("Ask my in-laws to text before they visit.", "", "I'm asking you to text before you visit."),
    # Pronouns that are not the person asked stay as they are.
    ("Get the school to let her wear her current blazer until the end of the year.", "",
     "I'm asking you to let her wear her current blazer until the end of the year."),
    ("Get the tutor to refund the missed sessions or make them up.", "",
     "I'm asking you to refund the missed sessions or make them up."),
    # Something wanted, not someone asked.
    ("Get a referral to a specialist.", "", "I'd like a referral to a specialist."),
    ("Get a correct vegetarian dish without paying for the wrong one.", "",
     "I'd like a correct vegetarian dish without paying for the wrong one."),
    ("Get moved to day shifts from next week.", "", "I'd like to be moved to day shifts from next week."),
    ("I want my name on the title slide and to present the model section myself.", "",
     "I'd like my name on the title slide and to present the model section myself."),
    ("I want Dario to pay back the $300 by the end of this month.", "",
     "I'm asking you to pay back the $300 by the end of this month."),
    # A no, without what the trainee also hopes to keep.
    ("Say no to working this Saturday while keeping a good relationship with her.", "",
     "No, I won't be working this Saturday."),
    ("I want to say no to being her guarantor and keep the friendship.", "", "No, I won't be her guarantor."),
    ("Agree with Dad that we alternate Christmas between the two families.", "",
     "I'd like us to agree that we alternate Christmas between the two families."),
    # Goals written as what should happen, or as a thing: a name keeps its capital, "A" does not.
    ("Jess washes her dishes the same day she uses them.", "My flatmate Jess leaves her pans for days.",
     "What I'm asking for is that Jess washes her dishes the same day she uses them."),
    ("A refund of the duplicate $89.99 charge.", "My bank took my gym fee twice.",
     "What I'm asking for is a refund of the duplicate $89.99 charge."),
    ("Cancel the membership from the end of this month.", "",
     "What I'm asking for is to cancel the membership from the end of this month."),
    # An adverb between he / she and the verb; a curly apostrophe; "I'd like"; a noun in -ing after "say no to".
    ("Ask Leo to help if he always needs it.", "", "I'm asking you to help if you always need it."),
    ("Ask Priti to tell me if she\u2019s late.", "", "I'm asking you to tell me if you're late."),
    ("I\u2019d like a refund.", "", "I'd like a refund."),
    ("Say no to evening shifts.", "", "My answer to evening shifts is no."),
    ("Get paid for the overtime.", "", "I'd like to be paid for the overtime."),
    # When the words say who is asked is a man, "her" is someone else; two names are several people.
    ("Ask Mr Smith to give her more time.", "", "I'm asking you to give her more time."),
    ("Ask my boyfriend James to pay his share.", "", "I'm asking you to pay your share."),
    ("Ask Mum and Dad to stop calling me at work.", "", "I'm asking you to stop calling me at work."),
    # A capitalised first word that may be a name keeps its capital; a common noun does not.
    ("Maureen completes the refresher by 30 November.", "",
     "What I'm asking for is Maureen completes the refresher by 30 November."),
    ("Payment of the \u00a3560 by 30 September.", "", "What I'm asking for is payment of the \u00a3560 by 30 September."),
])
def test_a_goal_becomes_a_request_spoken_to_the_other_person(goal, situation, asked):
    assert goal_as_request(goal, TEMPLATES, situation) == asked


@pytest.mark.parametrize("goal", [".", "...", "  "])
def test_a_goal_of_punctuation_only_still_gets_a_plain_request(goal):
    assert goal_as_request(goal, TEMPLATES) == "I'm asking you to help me sort this out."


def test_a_weak_ask_gets_a_rewrite_that_asks_for_the_goal_in_plain_words():
    r = default_rater().rate(MessageContext.checked(
        "My GP keeps saying my back pain will settle, but it has lasted five months.",
        "Get a referral to a specialist.",
        "I was just wondering, sorry, if maybe someone else could possibly have a look at some point?", ""))
    assert r.assert_.rating != "strong"
    assert "I'd like a referral to a specialist." in r.rewrite
    assert "What I'm asking for is this" not in r.rewrite and "asking you to a specialist" not in r.rewrite
