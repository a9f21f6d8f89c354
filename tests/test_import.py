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
    assert not CaseCard.of(abe, "imported").has_risk_profile
    assert any(d.field == "risk" and d.value == {"level": "unknown"} for d in report.defaults)
    plan, _ = plan_turn(abe, 0, "plain", DisclosureState(), "Any thoughts of suicide?", 0,
                        Recognition(moves=["closed_question", "ask_risk"]))
    assert plan.risk_manner == "noncommittal"


# ---------------------------------------------------------------- the published shape
# tests/data/psi_published_like.json is ours: 10 patients, 25 records, written to have what the
# published PATIENT-Ψ set has (issue 10): an `intermediate_belief_depression` key on every record,
# one record whose belief keys end in `_current`, the paper's style names, a model per situation
# that differs from the first record's, and third-person notes with trailing spaces and
# "Helpless:"-style labels before rules.

PUBLISHED = DATA / "psi_published_like.json"
NEAR_MISSES = {"I am powerles, weak, vulnerable.": "I am powerless, weak, vulnerable."}
GROUPS = ("helpless", "unlovable", "worthless")


def published() -> list[dict]:
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))


def record_beliefs(rec: dict) -> set[str]:
    out = set()
    for group in GROUPS:
        for given in rec.get(f"{group}_belief", rec.get(f"{group}_belief_current", [])):
            out.add(NEAR_MISSES.get(given, given))
    return out


def situation_of(cases, record_id: str):
    for case in cases:
        if record_id in case.imported_from.records:
            return case, case.imported_from.records.index(record_id)
    raise AssertionError(f"no situation was read from record {record_id}")


def test_the_test_file_has_every_feature_of_the_published_set():
    records = published()
    patients = {r["id"].rsplit("-", 1)[0] for r in records}
    assert len(records) >= 24 and len(patients) >= 10
    assert all("intermediate_belief_depression" in r for r in records)
    assert sum("helpless_belief_current" in r for r in records) == 1
    paper_names = {"go off on tangents", "hostile", "guarded", "ingratiating"}
    assert paper_names <= {t for r in records for t in r["type"]}
    assert all(4 <= len(r["type"]) <= 6 for r in records)
    by_patient: dict[str, list[dict]] = {}
    for r in records:
        by_patient.setdefault(r["id"].rsplit("-", 1)[0], []).append(r)
    multi = [rs for rs in by_patient.values() if len(rs) > 1]
    differing = [rs for rs in multi if len({(r["intermediate_belief"].strip(), r["coping_strategies"].strip(),
                                              r["intermediate_belief_depression"],
                                              frozenset(record_beliefs(r))) for r in rs}) > 1]
    assert len(differing) > len(multi) / 2  # most multi-situation patients differ somewhere
    notes = " ".join(r["history"] for r in records)
    assert "The patient has a history of" in notes and "He has been staying at" in notes
    assert any(r["history"].endswith(" ") for r in records)
    assert any(r["intermediate_belief"].startswith(("Helpless:", "Unlovable:")) for r in records)


def test_the_published_shape_imports_whole(dest):
    report = import_file(PUBLISHED, dest)
    assert len(report.cases) == 10 and report.records == 25 and report.situations == 25
    assert len(report.written) == 10 and all(p.exists() for p in report.written)
    for case in report.cases:
        assert load_case_file(dest / f"{case.id}.json") == case  # the file keeps every situation's model
        assert case.risk.level == "unknown"  # no risk profile, never an invented "none"
        assert case.imported_from.format == "patient-psi"
        assert not case.history.endswith(" ")
    # The paper's style names are synonyms: read as ours, listed once each, never near misses.
    styles = {(u.kind, u.given): (u.read_as, u.records) for u in report.synonyms}
    assert styles[("style", "hostile")][0] == "upset" and styles[("style", "guarded")][0] == "reserved"
    assert styles[("style", "go off on tangents")][0] == "tangent"
    assert styles[("style", "ingratiating")][0] == "pleasing"
    assert styles[("key", "helpless_belief_current")] == ("helpless_belief", 1)
    assert len(report.synonyms) == len(styles) == 7
    assert [(m.record_id, m.given) for m in report.mappings] == [("4-1", "I am powerles, weak, vulnerable.")]
    augustin = next(c for c in report.cases if c.id == "augustin")
    assert augustin.styles == ["plain", "upset", "verbose", "tangent", "reserved", "pleasing"]
    # Situations follow the record numbers, not the file order.
    corinne = next(c for c in report.cases if c.id == "corinne")
    assert corinne.imported_from.records == ["1-1", "1-2", "1-3"]
    assert set(CaseLibrary.load(dest).cases) == {c.id for c in report.cases} | {"tomas-herrera"}


def test_each_situation_reference_is_exactly_its_record():
    from simulator.cbt.formulation.scoring import reference_for

    cases = read_cases(PUBLISHED).cases
    for rec in published():
        case, i = situation_of(cases, rec["id"])
        ref = reference_for(case, i)
        usual = rec["intermediate_belief"].strip()
        during = rec["intermediate_belief_depression"].strip()
        assert ref.situation == rec["situation"].strip() and ref.behavior == rec["behavior"].strip()
        assert ref.automatic_thoughts == rec["auto_thought"].strip()
        assert ref.emotions == rec["emotion"]
        assert set(ref.core_beliefs) == record_beliefs(rec), rec["id"]
        assert ref.intermediate_beliefs == (f"{usual} {during}" if during else usual), rec["id"]
        assert ref.coping_strategies == rec["coping_strategies"].strip(), rec["id"]
        assert ref.history == rec["history"].strip()


def test_a_situation_without_a_depression_rule_has_none_though_the_first_has_one():
    cases = {c.id: c for c in read_cases(PUBLISHED).cases}
    tobiah, mireille = cases["tobiah"], cases["mireille"]
    assert tobiah.model_for(0).intermediate_beliefs_depression.startswith("If I stay in")
    assert tobiah.model_for(1).intermediate_beliefs_depression is None
    assert "intermediate_beliefs_depression" in tobiah.model_for(1).overridden
    assert mireille.model_for(0).intermediate_beliefs_depression is None
    assert mireille.model_for(1).intermediate_beliefs_depression.startswith("If I stop trying")
    assert mireille.model_for(2).intermediate_beliefs_depression is None


def test_a_record_with_an_unmappable_label_adds_nothing(tmp_path, dest):
    before = listing(dest)
    for where, value in (("type", ["plain", "sulky", "guarded", "verbose"]),
                         ("unlovable_belief", ["I am stupid."])):
        records = published()
        records[20][where] = value  # one record among 25
        path = tmp_path / "one_bad.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        with pytest.raises(CaseImportError) as caught:
            import_file(path, dest)
        assert [p.record_id for p in caught.value.problems] == [records[20]["id"]]
        assert listing(dest) == before


def test_a_near_miss_of_a_style_name_is_reported_as_one(tmp_path):
    records = published()
    records[0]["type"] = ["plain", "hostle", "guarded", "verbose"]
    path = tmp_path / "near.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = read_cases(path)
    assert LabelMapping("near.json", records[0]["id"], "type.1", "hostle", "upset") in report.mappings
    assert "upset" in next(c for c in report.cases if c.id == "corinne").styles


def test_group_labels_and_third_person_stay_out_of_what_the_patient_says():
    from simulator.cbt.voice import case_text, spoken
    from tests.test_patient_answers import LONG_SESSION, assert_no_answer_key, say

    cases = {c.id: c for c in read_cases(PUBLISHED).cases}
    corinne, dev = cases["corinne"], cases["dev"]
    assert "I have a history of panic attacks that began when my first marriage ended." in spoken(
        corinne.history, corinne)
    assert "I have been staying at my cousin's flat" in spoken(dev.history, dev)
    for case in cases.values():
        text = case_text(case)
        said = [*text.rules, *text.rules_depression, *(r for s in text.situations for r in s.rules)]
        assert not any(s.lower().startswith(("helpless", "unlovable", "worthless")) for s in said)
    # Situation 2 of Corinne has its own rule, written "Unlovable: If I am not useful, ...".
    replies, state = say(corinne, LONG_SESSION, "plain", situation=1, seed=3)
    assert "intermediate_beliefs" in state.surfaced
    for reply, _ in replies:
        assert_no_answer_key(reply, corinne)
        assert "unlovable:" not in reply.lower() and "helpless:" not in reply.lower()
        assert "Corinne" not in reply and "The patient" not in reply


def test_renderings_it_could_not_do_are_reported_by_record():
    report = read_cases(PUBLISHED)
    missed = {(u.record_id, u.field): u.sentence for u in report.unrendered}
    assert missed, "the rules miss some notes; the report must say which"
    # Each is a sentence the patient would still say in the third person, named by its record.
    assert missed[("3-3", "situations.2.coping_strategies")] == "Avoids mirrors for days; wears loose clothes."
    assert all(rid in {r["id"] for r in published()} for rid, _ in missed)
    # What the rules do convert is not reported.
    assert ("2-1", "coping_strategies") not in missed  # "Works extra shifts; avoids calls ..."


def test_dry_run_prints_the_whole_report_and_writes_nothing(tmp_path):
    import os
    import subprocess
    import sys

    cases_dir = tmp_path / "cases"
    cases_dir.mkdir()
    env = {**os.environ, "PRACTICUM_CASES_DIR": str(cases_dir)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "simulator", "import", str(PUBLISHED), *args],
                              capture_output=True, text=True, cwd=ROOT, env=env)

    dry = cli("--dry-run")
    assert dry.returncode == 0, dry.stderr
    out = dry.stdout
    assert "read 25 record(s): 10 patient(s), 25 situation(s)" in out
    assert out.count("synonym style 'hostile' read as 'upset'") == 1
    assert "mapped  4-1 helpless_belief.0: 'I am powerles, weak, vulnerable.'" in out
    assert "own     corinne situation 2 (record 1-2): core_beliefs, intermediate_beliefs, coping_strategies" in out
    assert "3-3 situations.2.coping_strategies: Avoids mirrors for days; wears loose clothes." in out
    assert "nothing was written" in out and list(cases_dir.iterdir()) == []

    real = cli()
    assert real.returncode == 0, real.stderr
    assert "third person:" in real.stdout and "--verbose lists them" in real.stdout
    assert "Avoids mirrors" not in real.stdout
    assert len(list(cases_dir.glob("*.json"))) == 10
    verbose = cli("--verbose", "--replace")
    assert "Avoids mirrors for days" in verbose.stdout
