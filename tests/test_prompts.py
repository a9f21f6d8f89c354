"""The patient's prompts carry the whole case, the style and the rules, and nothing unrendered."""

from __future__ import annotations

import re

import pytest

from simulator.cbt.case import PatientCase
from simulator.cbt.engine import TurnPlan
from simulator.cbt.interview import DisclosureState
from simulator.cbt.patient_prompt import patient_system_prompt, turn_note
from simulator.cbt.styles import style_params
from simulator.core.settings import DATA_DIR
from simulator.llm.templates import PromptError, render

CASE_FILES = sorted((DATA_DIR / "patients").glob("*.json"))
STYLE_FOR_CASE = ("plain", "upset", "verbose", "reserved", "tangent", "pleasing")


def load(path) -> PatientCase:
    return PatientCase.model_validate_json(path.read_text(encoding="utf-8"))


def assert_fully_rendered(text: str) -> None:
    assert not re.search(r"\$\{?[A-Za-z_]", text), "a $placeholder was left unrendered"
    assert "{" not in text and "}" not in text


def test_there_are_cases_to_check():
    assert CASE_FILES


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_system_prompt_carries_the_surface_and_none_of_the_deeper_layers(path):
    """Persona, presenting problem, goals, style and the surface of the situations are in the
    static prompt; history, rules, coping, core beliefs and risk come only through the notes."""
    case = load(path)
    # Each case gets a different style (one the case allows), so every style is covered.
    style = case.styles[CASE_FILES.index(path) % len(case.styles)]
    for focus in range(len(case.situations)):
        prompt = patient_system_prompt(case, focus, style, max_reply_tokens=300)
        for value in (case.name, str(case.age), case.pronouns, case.occupation,
                      case.presenting_problem, case.goals):
            assert value in prompt
        for value in (case.history, case.intermediate_beliefs, case.coping_strategies,
                      case.intermediate_beliefs_depression, *case.all_core_beliefs(),
                      *case.voicings.history, *case.voicings.intermediate_beliefs,
                      *case.voicings.coping_strategies,
                      *(v for vs in case.voicings.core_beliefs.values() for v in vs),
                      case.risk.ideation, case.risk.plan, case.risk.means, *case.risk.cues):
            if value:
                assert value not in prompt
        for s in case.situations:
            for value in (s.situation, s.automatic_thoughts, s.behavior, *s.emotions):
                assert value in prompt
        mine = case.situations[focus]
        assert mine.body in prompt and f"{mine.belief_then} at the time" in prompt
        # The session's situation is marked as such; the others are background.
        focus_block = prompt.split(f"## Situation {focus + 1}: this session is about this one", 1)[1]
        assert focus_block.split("## ", 1)[0].count(case.situations[focus].situation) == 1
        assert prompt.count(": background") == len(case.situations) - 1
        assert_fully_rendered(prompt)


@pytest.mark.parametrize("style", STYLE_FOR_CASE)
def test_system_prompt_states_the_style_as_behaviour(style):
    case = load(CASE_FILES[0])
    params = style_params(style)
    prompt = patient_system_prompt(case, 0, style, max_reply_tokens=300)
    assert f"# How you talk: {style}\n{params.description}\n" in prompt
    assert f"Sentences in a typical reply: about {params.sentences}." in prompt
    for label, value in (("Dodging questions", params.evasiveness), ("Drifting off topic", params.tangent),
                         ("Pushing back", params.resistance), ("Agreeing readily", params.agreement),
                         ("How often this manner shows", params.shows_in)):
        line = next(line for line in prompt.splitlines() if label in line)
        assert f"{round(value * 100)}%" in line, line


def test_system_prompt_holds_the_stay_in_character_rules_and_the_length_rule():
    case = load(CASE_FILES[0])
    prompt = patient_system_prompt(case, 0, "plain", max_reply_tokens=100)
    assert f"Speak only as {case.name}, in the first person" in prompt
    assert "Never say or hint that you are an AI" in prompt
    assert '"system prompt"' in prompt and "confused or a little annoyed" in prompt
    for word in ("core belief", "automatic thought", "diagram"):
        assert f'"{word}"' in prompt  # named only inside the rule that forbids it
    assert "never invent major facts" in prompt
    assert "Open up gradually" in prompt
    assert "never more than 70 words" in prompt


def test_system_prompt_does_not_change_between_calls():
    case = load(CASE_FILES[0])
    assert patient_system_prompt(case, 0, "upset", 300) == patient_system_prompt(case, 0, "upset", 300)


def test_turn_note_tells_what_to_reveal_and_what_to_keep_back():
    case = load(CASE_FILES[0])
    belief = case.core_beliefs.all()[0]
    plan = TurnPlan(moves=["ask_meaning"], reveal=["automatic_thoughts"], withheld=["history"],
                    core_beliefs=[belief], behaviours=["deflect"], target_sentences=2)
    state = DisclosureState(turn=4, rapport=0.62, surfaced={"situation": 1, "emotions": 2,
                                                            "automatic_thoughts": 4})
    note = turn_note(case, plan, state, max_reply_tokens=300)
    assert "Trust in the therapist: 0.62" in note
    assert "Already came up earlier: [situation], [emotions]." in note
    assert "Ready to talk about in this reply: [automatic_thoughts]." in note
    assert "not ready to share yet" in note and "[history]" in note
    assert f'"{belief}"' in note
    assert "[deflect]" in note and "Sentences in this reply: about 2;" in note
    assert_fully_rendered(note)


def test_turn_note_with_nothing_to_reveal_says_none():
    case = load(CASE_FILES[0])
    note = turn_note(case, TurnPlan(moves=["other"]), DisclosureState(), max_reply_tokens=300)
    assert "Ready to talk about in this reply: none." in note
    assert "Deep beliefs you may voice in this reply, in your own words: none." in note


def test_render_reports_missing_and_unknown_values():
    with pytest.raises(PromptError, match=r"missing values \['schema'\]"):
        render("structured_json_mode")
    with pytest.raises(PromptError, match=r"unknown values \['colour'\]"):
        render("structured_json_mode", schema="{}", colour="red")
    with pytest.raises(PromptError, match="no prompt template"):
        render("no_such_prompt")
