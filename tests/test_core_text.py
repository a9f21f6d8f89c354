"""The one check every evaluation command makes before scoring: no evaluation text in a training set."""

import pytest

from simulator.core.text import count_sentences, refuse_overlap, split_sentences, text_key


class Leak(ValueError):
    pass


TRAINING = [("bank.jsonl item 1", "I’ll never pass this exam, so why even try?"),
            ("bank.jsonl item 2", "Nobody at work ever listens to me.")]


def test_a_near_identical_copy_is_refused_and_named_with_where_it_was_found():
    copy = "  i'll NEVER pass this exam -- so why even try  "
    assert text_key(copy) == text_key(TRAINING[0][1])
    with pytest.raises(Leak) as err:
        refuse_overlap([("eval.jsonl item 1", "A thought nobody wrote before."), ("eval.jsonl item 2", copy)],
                       TRAINING, "the training bank", error=Leak)
    message = str(err.value)
    assert message.startswith("1 evaluation item(s) also appear in the training bank")
    assert "eval.jsonl item 2: also in bank.jsonl item 1" in message
    assert "eval.jsonl item 1" not in message  # the distinct text is not named
    assert "never pass" not in message.lower()  # labels only: a blind set's text is never shown


def test_distinct_texts_pass_and_short_or_blank_ones_can_be_left_out():
    refuse_overlap([("eval.jsonl item 1", "I will pass this exam if I keep practising."),
                    ("eval.jsonl item 2", "   ")], TRAINING + [("bank.jsonl item 3", "")], "the training bank")
    refuse_overlap([("t.json turn 1", "Nobody ever listens here.")], [("the bank", "nobody, ever listens here")],
                   "the bank", min_words=5)  # shorter lines are common to any two sets
    with pytest.raises(ValueError, match="t.json turn 1"):
        refuse_overlap([("t.json turn 1", ["Hi.", "Nobody at work ever listens to me!"])], TRAINING, "the bank",
                       min_words=5)


def test_the_key_ignores_case_accents_quotes_punctuation_and_spacing_but_not_words():
    assert text_key("Don’t  worry, CAFÉ!") == text_key("dont worry cafe") == "dont worry cafe"
    assert text_key("\U0001f642 \U0001f642") == "\U0001f642\U0001f642"  # no letters: compared as written
    assert text_key("I failed") != text_key("I failed again")


def test_a_sentence_the_patient_already_ended_gets_no_second_full_stop():
    # A case's words ending in an ellipsis or a closing quote were said as "know….", "up.”."
    assert split_sentences("Maybe. I don’t know…") == ["Maybe.", "I don’t know…"]
    assert split_sentences("She said “I give up.” Then she left") == ["She said “I give up.”", "Then she left."]
    assert split_sentences("I… I just can’t") == ["I… I just can’t."]  # a hesitation, one sentence
    assert split_sentences("She called me “useless”") == ["She called me “useless”."]
    assert split_sentences("it was fine (mostly)") == ["it was fine (mostly)."]
    assert count_sentences("Well… I guess.") == 1
