"""The drill's pattern credit: naming any pattern that passes earns credit, the clearest one is explained."""

from simulator.traps import drill
from simulator.traps.detector import detect_offline
from simulator.traps.patterns import name_of, pattern_ids, patterns


def test_naming_the_second_pattern_of_a_two_pattern_thought_earns_credit_and_the_first_is_explained():
    item = drill.item("d02")  # catastrophizing, then fortune-telling
    grade = drill.grade_patterns(item, ["fortune_telling"])
    assert grade.credit and not grade.exact and grade.hits == ["fortune_telling"]
    text = drill.explain(grade, item)
    assert text.startswith("You picked Fortune-telling. Credit: Fortune-telling fits")
    assert f"The clearest pattern here is Catastrophizing: {patterns()['catastrophizing'].definition}" in text


def test_a_pattern_the_detector_passes_counts_even_when_the_authors_did_not_list_it():
    item = drill.item("d05")
    grade = drill.grade_patterns(item, ["labeling"], accepted=[*item.patterns, "labeling"])
    assert grade.credit and grade.extra == [] and "Labeling" in drill.explain(grade, item)
    # The accepted list is the item's own patterns followed by the detector's decision on the thought.
    accepted = drill.accepted_patterns(item)
    assert accepted[:len(item.patterns)] == item.patterns
    assert set(detect_offline(item.thought).passing) <= set(accepted)


def test_a_pattern_that_does_not_pass_earns_no_credit():
    item = drill.item("d17")  # should statements
    accepted = drill.accepted_patterns(item)
    wrong = next(p for p in pattern_ids() if p not in accepted)
    grade = drill.grade_patterns(item, [wrong])
    assert not grade.credit and grade.extra == [wrong] and grade.missed == item.patterns
    assert drill.explain(grade, item).startswith("You picked Catastrophizing. Not quite.")
    assert name_of(item.patterns[0]) in drill.explain(grade, item)


def test_a_pick_that_does_not_fit_is_named_once_beside_the_credit():
    item = drill.item("d02")  # catastrophizing, then fortune-telling
    wrong = next(p for p in pattern_ids() if p not in drill.accepted_patterns(item))
    grade = drill.grade_patterns(item, ["fortune_telling", wrong])
    text = drill.explain(grade, item)
    assert grade.credit and grade.extra == [wrong]
    assert f"Credit: Fortune-telling fits this thought. {name_of(wrong)} does not fit it." in text
    # With no credit the picks are named once, in "You picked ...", and not listed again.
    alone = drill.explain(drill.grade_patterns(item, [wrong]), item)
    assert alone.count(name_of(wrong)) == 1 and "does not fit" not in alone
    two = [p for p in pattern_ids() if p not in drill.accepted_patterns(item)][:2]
    both = drill.explain(drill.grade_patterns(item, ["fortune_telling", *two]), item)
    first, second = sorted(two)  # named in the order of the pattern ids
    assert f"{name_of(first)} and {name_of(second)} do not fit it." in both
    hits = drill.explain(drill.grade_patterns(item, ["catastrophizing", "fortune_telling", wrong]), item)
    assert "Credit: Catastrophizing and Fortune-telling fit this thought." in hits
