"""Case schema version 2: what an assessment asks, a risk profile checked for consistency, voicings,
and per-situation beliefs, rules and coping; version-1 files keep loading."""

from __future__ import annotations

import json

import pytest

from simulator.cbt.case import CaseCard, PatientCase
from simulator.cbt.disclosure import plan_turn
from simulator.cbt.formulation.scoring import reference_for
from simulator.cbt.interview import DisclosureState
from simulator.cbt.library import CaseLibrary
from simulator.cbt.moves import Recognition
from simulator.core.settings import DATA_DIR
from tests.test_patient_answers import LONG_SESSION, assert_no_answer_key, say

LIBRARY = CaseLibrary.load(DATA_DIR / "patients")


def _v1(case_id: str = "tomas-herrera") -> dict:
    """A case as a version-1 file had it."""
    data = json.loads((DATA_DIR / "patients" / f"{case_id}.json").read_text("utf-8"))
    data["schema_version"] = 1
    for key in ("goals", "risk", "voicings"):
        data.pop(key, None)
    for s in data["situations"]:
        for key in ("body", "emotion_intensity", "belief_then", "belief_now"):
            s.pop(key, None)
    return data


def _write(tmp_path, data: dict) -> None:
    (tmp_path / f"{data['id']}.json").write_text(json.dumps(data), encoding="utf-8")


def test_every_library_case_is_version_2_and_loads() -> None:
    assert len(LIBRARY) == 16 and not LIBRARY.errors
    assert not (DATA_DIR / "patients_v2").exists()
    for path in (DATA_DIR / "patients").glob("*.json"):
        assert json.loads(path.read_text("utf-8"))["schema_version"] == 2
    for case in LIBRARY:
        assert case.goals and case.risk.known
        for s in case.situations:
            assert s.body and set(s.emotion_intensity) == set(s.emotions)
            assert s.belief_then is not None and s.belief_now is not None
        assert set(case.voicings.core_beliefs) == set(case.core_beliefs.all())
        assert case.voicings.intermediate_beliefs and case.voicings.coping_strategies


def test_risk_profiles_of_the_library() -> None:
    at_risk = [c for c in LIBRARY if c.risk.present]
    assert "dale-hutchins" in {c.id for c in at_risk} and len(at_risk) >= 3
    assert any(c.risk.past_attempts and not c.risk.past_attempts.startswith("No") for c in at_risk)
    for case in LIBRARY:
        if case.risk.present:
            assert case.risk.ideation and case.risk.cues and case.risk.protective_factors
            assert case.content_note and "thoughts" in case.content_note  # a trainee is warned
        else:
            assert case.risk.level == "none"


def test_a_version_1_file_still_loads_with_no_risk_profile(tmp_path) -> None:
    _write(tmp_path, _v1())
    lib = CaseLibrary.load(tmp_path)
    assert not lib.errors
    case = lib.get("tomas-herrera")
    assert case.schema_version == 1 and case.risk.level == "unknown" and case.goals is None
    card = next(c for c in lib.cards() if c.id == "tomas-herrera")
    assert not card.has_risk_profile and card.risk == "unknown" and card.source == "library"
    assert CaseCard.of(LIBRARY.get("tomas-herrera"), "library").has_risk_profile
    # And the patient still talks, and is non-committal about risk.
    replies, _ = say(case, LONG_SESSION)
    assert all(r for r, _ in replies)
    plan, _ = plan_turn(case, 0, "plain", DisclosureState(), "Any thoughts of suicide?", 0,
                        Recognition(moves=["closed_question", "ask_risk"]))
    assert plan.risk_manner == "noncommittal"


@pytest.mark.parametrize(("risk", "field", "problem"), [
    ({"level": "active_plan", "plan": "After the anniversary."}, "risk.plan", "a plan without ideation"),
    ({"level": "passive", "ideation": "Some nights.", "plan": "Tablets."}, "risk.plan",
     "a plan needs the level 'active_plan'"),
    ({"level": "none", "ideation": "Sometimes I think about it."}, "risk.ideation",
     "the risk level is 'none'"),
    ({"level": "none", "cues": ["What's the point."]}, "risk.cues", "no cues"),
    ({"level": "unknown", "past_attempts": "Once, years ago."}, "risk.past_attempts", "'unknown'"),
    ({"level": "passive"}, "risk", "needs the ideation"),
    ({"level": "active_plan", "ideation": "Most days."}, "risk", "needs the plan"),
    ({"level": "passive", "means": "Pills at home."}, "risk.means", "means without ideation"),
    ({"level": "severe"}, "risk.level", "is not one of the allowed risk levels"),
])
def test_an_inconsistent_risk_profile_is_refused_with_file_field_and_problem(
        tmp_path, risk: dict, field: str, problem: str) -> None:
    data = json.loads((DATA_DIR / "patients" / "amara-okafor.json").read_text("utf-8"))
    data["risk"] = risk
    _write(tmp_path, data)
    lib = CaseLibrary.load(tmp_path)
    assert "amara-okafor" not in lib
    errors = [(e.file, e.field, e.problem) for e in lib.errors]
    assert any(f == "amara-okafor.json" and fld == field and problem in p for f, fld, p in errors), errors


def test_other_v2_mistakes_are_refused_by_field(tmp_path) -> None:
    data = json.loads((DATA_DIR / "patients" / "amara-okafor.json").read_text("utf-8"))
    data["situations"][0]["emotion_intensity"] = {"guilty": 50}
    data["situations"][1]["belief_now"] = 140
    data["voicings"]["core_beliefs"]["I am immoral."] = ["I've done things I can't tell anyone."]
    _write(tmp_path, data)
    errors = {(e.field, e.problem) for e in CaseLibrary.load(tmp_path).errors}
    assert any(f == "situations.0" and "not one of this situation's emotions" in p for f, p in errors)
    assert ("situations.1.belief_now", "must be at most 100") in errors
    data = json.loads((DATA_DIR / "patients" / "amara-okafor.json").read_text("utf-8"))
    belief = data["core_beliefs"]["helpless"][0] if data["core_beliefs"]["helpless"] else \
        (data["core_beliefs"]["unlovable"] + data["core_beliefs"]["worthless"])[0]
    data["voicings"]["intermediate_beliefs"].append(f"Honestly, {belief.lower()}")
    _write(tmp_path, data)
    errors = CaseLibrary.load(tmp_path).errors
    assert any(e.field == "voicings" and "outright" in e.problem for e in errors)


def _with_situation_override() -> PatientCase:
    data = json.loads((DATA_DIR / "patients" / "tomas-herrera.json").read_text("utf-8"))
    second = data["situations"][1]
    second["core_beliefs"] = {"unlovable": ["I am bound to be rejected."]}
    second["intermediate_beliefs"] = "If the team sees me slip, they will stop respecting me."
    second["coping_strategies"] = "I stay late alone and recheck everything so nobody sees a mistake."
    return PatientCase.model_validate(data)


def test_a_situation_own_model_overrides_the_patient_where_it_differs() -> None:
    case = _with_situation_override()
    first, second = case.model_for(0), case.model_for(1)
    assert first.core_beliefs == ("I am incompetent.", "I am a failure, loser.")
    assert second.core_beliefs == ("I am bound to be rejected.",)
    assert second.intermediate_beliefs.startswith("If the team sees me slip")
    assert second.intermediate_beliefs_depression == case.intermediate_beliefs_depression
    assert second.history == case.history and first.overridden == frozenset()
    assert case.all_core_beliefs()[-1] == "I am bound to be rejected."
    with pytest.raises(ValueError):
        case.model_for(5)
    # The reference formulation of each situation is that situation's model.
    assert reference_for(case, 1).core_beliefs == ["I am bound to be rejected."]
    assert reference_for(case, 1).coping_strategies == second.coping_strategies
    assert reference_for(case, 0).core_beliefs == ["I am incompetent.", "I am a failure, loser."]


def test_the_engines_speak_the_situation_own_model() -> None:
    case = _with_situation_override()
    replies, state = say(case, LONG_SESSION, "plain", situation=1, seed=2)
    assert state.core_beliefs_surfaced == ["I am bound to be rejected."]
    for reply, _ in replies:
        assert_no_answer_key(reply, case)
    text = " ".join(r for r, _ in replies)
    # The situation's own rule comes out as a fragment (the patient-level voicings do not fit it).
    assert "if the team sees me slip" in text.lower()
    assert not any(v in text for v in case.voicings.intermediate_beliefs)


def test_restructuring_works_on_the_situation_own_belief() -> None:
    from simulator.traps.restructuring.patient import core_clause

    case = _with_situation_override()
    assert core_clause(case, 1) == "I'm bound to be rejected"
    assert core_clause(case, 0) == "I'm incompetent"
