"""Importing PATIENT-Ψ files and our own case files: labels mapped and reported, all or nothing."""

import json
import shutil
from pathlib import Path

import pytest

from simulator.cbt.importer import (
    DEFAULT_AGE,
    CaseImportError,
    LabelMapping,
    import_file,
    read_cases,
    split_intermediate,
)
from simulator.cbt.library import CaseLibrary, load_case_file
from simulator.core.settings import ROOT

ABE = ROOT.parent / "shared" / "samples" / "patient_psi_abe.json"
DATA = Path(__file__).parent / "data"
CASES_DIR = ROOT / "data" / "patients"


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


@pytest.fixture
def dest(tmp_path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(CASES_DIR / "tomas-herrera.json", folder)  # an existing case that must survive
    return folder


@pytest.mark.skipif(not ABE.exists(), reason="the shared PATIENT-Ψ sample is not checked out")
def test_abe_becomes_one_patient_with_three_ordered_situations(dest):
    report = import_file(ABE, dest)
    assert [c.id for c in report.cases] == ["abe"]
    abe = load_case_file(dest / "abe.json")
    assert abe == report.cases[0]
    assert [s.situation for s in abe.situations] == [
        "Thinking about bills.",
        "Thinking of asking son for help in revising resume.",
        "Memory of being criticized by boss.",
    ]
    assert abe.core_beliefs.helpless == ["I am incompetent.", "I am a failure, loser."]
    assert report.mappings == [LabelMapping("patient_psi_abe.json", "1-1", "helpless_belief.1",
                                            "I am a failture.", "I am a failure, loser.",
                                            "helpless")]
    # The "[during depression]" marker splits the two variants.
    assert abe.intermediate_beliefs.endswith("work hard and be productive.")
    assert abe.intermediate_beliefs_depression.startswith("(1) If I avoid challenges")
    assert "[during depression]" not in abe.intermediate_beliefs + abe.intermediate_beliefs_depression
    # Fields the format lacks are filled and reported.
    filled = {d.field: d.value for d in report.defaults if d.case_id == "abe"}
    assert filled["age"] == DEFAULT_AGE == abe.age
    assert filled["pronouns"] == "he/him" and filled["occupation"] == "not recorded"
    assert abe.presenting_problem == filled["presenting_problem"] == "Imported case: Thinking about bills."
    assert report.written == [dest / "abe.json"]
    assert set(CaseLibrary.load(dest).cases) == {"abe", "tomas-herrera"}


@pytest.mark.skipif(not ABE.exists(), reason="the shared PATIENT-Ψ sample is not checked out")
def test_situations_follow_the_id_number_not_the_file_order(tmp_path):
    records = json.loads(ABE.read_text(encoding="utf-8"))
    shuffled = tmp_path / "abe_shuffled.json"
    shuffled.write_text(json.dumps([records[2], records[0], records[1]]), encoding="utf-8")
    case = read_cases(shuffled).cases[0]
    assert [s.automatic_thoughts for s in case.situations] == [r["auto_thought"] for r in records]


def test_near_miss_emotions_and_styles_are_mapped_and_reported(dest):
    report = import_file(DATA / "psi_near_miss.json", dest)
    lena = report.cases[0]
    assert lena.id == "lena-voss" and lena.styles == ["plain", "verbose", "reserved"]
    assert lena.situations[0].situation.startswith("Preparing to call a landlord")  # 7-1 first
    assert lena.situations[0].emotions == ["anxious, worried, fearful, scared, tense"]
    assert lena.situations[1].emotions == ["sad, down, lonely, unhappy", "hurt"]
    assert lena.core_beliefs.unlovable == ["I am bound to be rejected."]
    # Patient-level labels are reported on the patient's first record (7-1).
    mapped = {(m.record_id, m.field): (m.given, m.mapped_to) for m in report.mappings}
    assert mapped == {
        ("7-1", "emotion.0"): ("anxous, worried, fearful, scared, tense",
                               "anxious, worried, fearful, scared, tense"),
        ("7-2", "emotion.0"): ("sadd", "sad, down, lonely, unhappy"),
        ("7-1", "type.1"): ("verbos", "verbose"),
        ("7-1", "type.2"): ("Reserved", "reserved"),
        ("7-1", "unlovable_belief.0"): ("I am bound to be rejectd.", "I am bound to be rejected."),
    }


def test_a_belief_under_the_wrong_key_moves_and_is_reported(tmp_path):
    records = json.loads((DATA / "psi_near_miss.json").read_text(encoding="utf-8"))
    for rec in records:
        rec["helpless_belief"] = ["I am helpless.", "I am unlovable."]
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = read_cases(path)
    assert report.cases[0].core_beliefs.unlovable == ["I am unlovable.", "I am bound to be rejected."]
    assert report.cases[0].core_beliefs.helpless == ["I am helpless."]
    moved = [m for m in report.mappings if m.field == "helpless_belief.1"]
    assert moved == [LabelMapping("moved.json", "7-1", "helpless_belief.1", "I am unlovable.",
                                  "I am unlovable.", "unlovable")]


def test_unmappable_labels_are_errors_and_nothing_is_written(dest):
    before = listing(dest)
    with pytest.raises(CaseImportError) as caught:
        import_file(DATA / "psi_unmappable.json", dest)
    problems = {(p.record_id, p.field): p.problem for p in caught.value.problems}
    assert "'I am stupid.'" in problems[("3-1", "helpless_belief.0")]
    assert "'grumpy'" in problems[("3-1", "emotion.0")]
    assert "psi_unmappable.json: record 3-1: emotion.0: 'grumpy'" in str(caught.value)
    assert listing(dest) == before


def test_one_bad_patient_blocks_the_good_one(dest):
    before = listing(dest)
    with pytest.raises(CaseImportError) as caught:
        import_file(DATA / "psi_one_good_one_bad.json", dest)
    assert [(p.record_id, p.field) for p in caught.value.problems] == [("2-1", "worthless_belief.0")]
    assert "I am a burden to everyone." in str(caught.value)
    assert listing(dest) == before
    assert not (dest / "ruth-achebe.json").exists()


def test_every_problem_is_collected_not_just_the_first(tmp_path, dest):
    records = json.loads((DATA / "psi_near_miss.json").read_text(encoding="utf-8"))
    records[0]["emotion"] = ["grumpy"]
    records[1]["type"] = ["shouty"]
    records[1]["auto_thoughts"] = records[1].pop("auto_thought")
    path = tmp_path / "many.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(CaseImportError) as caught:
        import_file(path, dest)
    where = {(p.record_id, p.field) for p in caught.value.problems}
    assert {("7-2", "emotion.0"), ("7-1", "auto_thought"), ("7-1", "auto_thoughts")} <= where
    assert "did you mean 'auto_thought'" in str(caught.value)


def test_native_single_case_and_list(tmp_path, dest):
    report = import_file(DATA / "native_case.json", dest)
    assert report.source_format == "native" and report.mappings == [] and report.defaults == []
    assert load_case_file(dest / "hana-test.json").occupation == "postal worker"

    two = [json.loads((CASES_DIR / f"{cid}.json").read_text(encoding="utf-8"))
           for cid in ("walter-brandt", "noor-siddiqui")]
    path = tmp_path / "two.json"
    path.write_text(json.dumps(two), encoding="utf-8")
    report = import_file(path, dest)
    assert [c.id for c in report.cases] == ["walter-brandt", "noor-siddiqui"]
    assert set(CaseLibrary.load(dest).cases) == {"hana-test", "noor-siddiqui", "tomas-herrera",
                                                 "walter-brandt"}


def test_native_validation_errors_name_the_case_and_field(tmp_path, dest):
    data = json.loads((DATA / "native_case.json").read_text(encoding="utf-8"))
    data["situations"][0]["emotions"] = ["sadd"]
    path = tmp_path / "bad_native.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CaseImportError) as caught:
        import_file(path, dest)
    assert str(caught.value.problems[0]) == (
        "bad_native.json: record hana-test: situations.0.emotions.0: "
        "'sadd' is not one of the allowed emotions")


def test_collision_is_refused_without_replace(tmp_path, dest):
    original = (dest / "tomas-herrera.json").read_bytes()
    data = json.loads(original) | {"age": 42}
    path = tmp_path / "tomas.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CaseImportError, match="'tomas-herrera' already exists"):
        import_file(path, dest)
    assert (dest / "tomas-herrera.json").read_bytes() == original
    import_file(path, dest, replace=True)
    assert load_case_file(dest / "tomas-herrera.json").age == 42


def test_two_patients_with_the_same_name_collide_within_the_file(tmp_path, dest):
    records = json.loads((DATA / "psi_one_good_one_bad.json").read_text(encoding="utf-8"))
    records[1] = records[0] | {"id": "2-1"}
    path = tmp_path / "twins.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(CaseImportError, match="both be saved as 'ruth-achebe'"):
        import_file(path, dest)


def test_destination_name_comes_only_from_the_validated_id(tmp_path):
    records = json.loads((DATA / "psi_one_good_one_bad.json").read_text(encoding="utf-8"))[:1]
    records[0]["name"] = "../../Évil/Name"
    path = tmp_path / "sneaky.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    dest = tmp_path / "inside"
    report = import_file(path, dest)
    assert report.written == [dest / "evil-name.json"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.json")) == [
        "inside/evil-name.json", "sneaky.json"]


def test_unreadable_input_is_refused(tmp_path, dest):
    path = tmp_path / "broken.json"
    path.write_text('[{"name": "A",\n "id": "1-1",,}]', encoding="utf-8")
    with pytest.raises(CaseImportError, match="line 2, column 14"):
        import_file(path, dest)
    path.write_text('[{"hello": 1}]', encoding="utf-8")
    with pytest.raises(CaseImportError, match="neither a PATIENT-Ψ record nor a patient case"):
        import_file(path, dest)


def test_records_of_one_patient_must_agree_and_not_repeat(tmp_path, dest):
    records = json.loads((DATA / "psi_near_miss.json").read_text(encoding="utf-8"))
    records[0]["history"] = "A different life story."
    path = tmp_path / "disagree.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(CaseImportError, match="history: differs from record 7-1"):
        import_file(path, dest)
    records = json.loads((DATA / "psi_near_miss.json").read_text(encoding="utf-8"))
    records[0]["id"] = "7-1"
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(CaseImportError, match="situation number 1 appears more than once"):
        import_file(path, dest)


def test_split_intermediate_marker_variants():
    assert split_intermediate("Work hard.") == ("Work hard.", None)
    assert split_intermediate("Work hard.\n[During Depression]\nGive up.") == ("Work hard.", "Give up.")


@pytest.mark.parametrize("given", ["happy", "I am alone.", "I am lovable.", "I am competent."])
def test_labels_that_only_look_alike_are_not_guessed(tmp_path, given):
    records = json.loads((DATA / "psi_near_miss.json").read_text(encoding="utf-8"))
    for rec in records:
        rec["emotion"] = [given] if given == "happy" else rec["emotion"]
        rec["unlovable_belief"] = [] if given == "happy" else [given]
    path = tmp_path / "lookalike.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(CaseImportError, match=f"{given!r} is not close to any"):
        read_cases(path)


@pytest.mark.skipif(not ABE.exists(), reason="the shared PATIENT-Ψ sample is not checked out")
def test_imported_third_person_notes_are_spoken_in_the_first_person(tmp_path):
    from simulator.cbt.importer import infer_pronouns
    from simulator.cbt.voice import first_person

    case = import_file(ABE, tmp_path).cases[0]
    assert infer_pronouns("She said her plan was fine; she left.") == "she/her"
    assert infer_pronouns("The bills arrived.") == "they/them"
    history = first_person(case.history, case)
    assert "I struggle and then lose my job" in history and "when I can't meet her" in history
    assert "Precipitants to current disorder: I struggle" in history
    assert first_person(case.coping_strategies, case).startswith("I avoid asking for help")
    assert first_person(case.situations[2].behavior, case).startswith("I ruminate about")


@pytest.mark.skipif(not ABE.exists(), reason="the shared PATIENT-Ψ sample is not checked out")
def test_an_imported_case_has_no_risk_profile_never_an_invented_none(tmp_path):
    from simulator.cbt.case import CaseCard
    from simulator.cbt.disclosure import plan_turn
    from simulator.cbt.interview import DisclosureState
    from simulator.cbt.moves import Recognition

    report = import_file(ABE, tmp_path)
    abe = load_case_file(tmp_path / "abe.json")
    assert abe.schema_version == 2 and abe.risk.level == "unknown" and not abe.risk.cues
    assert not CaseCard.of(abe).has_risk_profile
    assert any(d.field == "risk" and d.value == {"level": "unknown"} for d in report.defaults)
    plan, _ = plan_turn(abe, 0, "plain", DisclosureState(), "Any thoughts of suicide?", 0,
                        Recognition(moves=["closed_question", "ask_risk"]))
    assert plan.risk_manner == "noncommittal"
