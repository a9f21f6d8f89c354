"""The case library: every shipped case is valid, the library as a whole covers the model,
and broken files are reported precisely without hiding the good ones."""

import json
import re
import shutil
from pathlib import Path

import pytest

from simulator.cbt.case import CaseCard
from simulator.cbt.library import CaseFileError, CaseLibrary, load_case_file, save_case
from simulator.cbt.vocab import CORE_BELIEF_GROUPS, EMOTIONS
from simulator.core.settings import DATA_DIR

CASES_DIR = DATA_DIR / "patients"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))
FORBIDDEN = ("core belief", "automatic thought", "intermediate belief", "cognitive", "diagram")
FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|[Mm]y|[Mm]e|[Mm]yself)\b")


@pytest.fixture(scope="module")
def library() -> CaseLibrary:
    return CaseLibrary.load(CASES_DIR)


def voiced_texts(case, with_situation=True):
    """The fields the patient speaks in their own voice."""
    yield "history", case.history
    yield "intermediate_beliefs", case.intermediate_beliefs
    if case.intermediate_beliefs_depression:
        yield "intermediate_beliefs_depression", case.intermediate_beliefs_depression
    yield "coping_strategies", case.coping_strategies
    for i, s in enumerate(case.situations):
        if with_situation:
            yield f"situations.{i}.situation", s.situation
        yield f"situations.{i}.automatic_thoughts", s.automatic_thoughts
        yield f"situations.{i}.behavior", s.behavior


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_library_file_loads_and_is_named_by_its_id(path):
    case = load_case_file(path)
    assert path.name == f"{case.id}.json"


def test_library_loads_without_errors(library):
    assert library.errors == []
    assert len(library) == len(CASE_FILES) >= 16
    names = [case.name.casefold() for case in library]
    assert names == sorted(names)


def test_library_covers_every_group_emotion_and_age_range(library):
    cases = list(library)
    for group in CORE_BELIEF_GROUPS:
        assert any(getattr(c.core_beliefs, group) for c in cases), group
    assert len({b for c in cases for b in c.core_beliefs.all()}) >= 12
    felt = {e for c in cases for s in c.situations for e in s.emotions}
    assert felt == set(EMOTIONS)
    ages = [c.age for c in cases]
    assert min(ages) <= 19 and max(ages) >= 70
    assert all(len(c.situations) >= 2 for c in cases)
    assert {c.difficulty for c in cases} == {"beginner", "intermediate", "advanced"}
    assert any(len(c.styles) < 6 for c in cases) and any(len(c.styles) == 6 for c in cases)


def test_case_text_never_uses_the_model_vocabulary(library):
    for case in library:
        texts = dict(voiced_texts(case), presenting_problem=case.presenting_problem)
        for where, text in texts.items():
            for word in FORBIDDEN:
                assert word not in text.lower(), f"{case.id}: {where} says {word!r}"


def test_patient_voiced_fields_are_in_the_first_person(library):
    for case in library:
        # A situation may be told as a plain event ("A plate came back from a table").
        for where, text in voiced_texts(case, with_situation=False):
            assert FIRST_PERSON.search(text), f"{case.id}: {where} is not in the first person"


def test_get_and_cards(library):
    assert library.get("tomas-herrera").name == "Tomás Herrera"
    with pytest.raises(KeyError, match="no patient case with id 'nobody'"):
        library.get("nobody")
    cards = library.cards()
    assert [c.id for c in cards] == list(library.cases)
    assert all(isinstance(c, CaseCard) for c in cards)
    assert "core_beliefs" not in cards[0].model_dump()


# ---------------------------------------------------------------- broken files

def _tomas() -> dict:
    return json.loads((CASES_DIR / "tomas-herrera.json").read_text(encoding="utf-8"))


def _write(folder: Path, name: str, data) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_unknown_emotion_is_named_with_file_field_and_problem(tmp_path):
    data = _tomas()
    data["situations"][1]["emotions"][0] = "sadd"
    path = _write(tmp_path, "tomas-herrera.json", data)
    with pytest.raises(CaseFileError) as caught:
        load_case_file(path)
    err = caught.value
    assert (err.file, err.field) == ("tomas-herrera.json", "situations.1.emotions.0")
    assert str(err) == ("tomas-herrera.json: situations.1.emotions.0: "
                        "'sadd' is not one of the allowed emotions")


def test_bad_json_names_line_and_column(tmp_path):
    path = _write(tmp_path, "broken.json", '{\n  "id": "broken",\n  "name": "X",,\n}\n')
    with pytest.raises(CaseFileError) as caught:
        load_case_file(path)
    assert caught.value.file == "broken.json"
    assert (caught.value.line, caught.value.column) == (3, 15)
    assert "line 3, column 15" in str(caught.value)


def test_file_name_must_match_id(tmp_path):
    path = _write(tmp_path, "someone-else.json", _tomas())
    with pytest.raises(CaseFileError, match="someone-else.json: id: .*tomas-herrera.json"):
        load_case_file(path)


def test_broken_files_are_reported_and_good_ones_still_load(tmp_path):
    shutil.copy(CASES_DIR / "tomas-herrera.json", tmp_path)
    shutil.copy(CASES_DIR / "amara-okafor.json", tmp_path)
    _write(tmp_path, "bad-json.json", '{"id": "bad-json", ')
    emotion = _tomas() | {"id": "bad-emotion"}
    emotion["situations"][0]["emotions"] = ["sad, down, lonely, unhappy", "grumpy"]
    _write(tmp_path, "bad-emotion.json", emotion)
    missing = _tomas() | {"id": "no-history"}
    del missing["history"]
    missing["styles"] = ["plain", "shouty"]
    _write(tmp_path, "no-history.json", missing)

    lib = CaseLibrary.load(tmp_path)
    assert list(lib.cases) == ["amara-okafor", "tomas-herrera"]  # sorted by name
    found = {(e.file, e.field): e.problem for e in lib.errors}
    assert ("bad-json.json", "") in found and "line 1" in found[("bad-json.json", "")]
    assert found[("bad-emotion.json", "situations.0.emotions.1")] == (
        "'grumpy' is not one of the allowed emotions")
    # Every problem of a file is reported, not only the first.
    assert "required" in found[("no-history.json", "history")]
    assert found[("no-history.json", "styles.1")] == "'shouty' is not one of the allowed styles"
    assert len(lib.errors) == 4


def test_other_schema_problems_read_as_sentences(tmp_path):
    data = _tomas() | {"age": 7, "nickname": "T", "presenting_problem": ""}
    data["core_beliefs"] = {"helpless": [], "unlovable": [], "worthless": []}
    path = _write(tmp_path, "tomas-herrera.json", data)
    with pytest.raises(CaseFileError) as caught:
        load_case_file(path)
    found = {e.field: e.problem for e in caught.value.all}
    assert found["age"] == "must be at least 16"
    assert found["nickname"].startswith("unknown field")
    assert found["presenting_problem"] == "must not be empty"
    assert found["core_beliefs"] == "a case needs at least one core belief"


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        CaseLibrary.load(tmp_path / "nowhere")


# ---------------------------------------------------------------- saving

def test_save_case_round_trips_and_refuses_to_overwrite(tmp_path, library):
    case = library.get("walter-brandt")
    path = save_case(case, tmp_path)
    assert path == tmp_path / "walter-brandt.json"
    assert load_case_file(path) == case
    assert "Brandt" in path.read_text(encoding="utf-8") and path.read_text().endswith("}\n")

    changed = case.model_copy(update={"age": 74})
    with pytest.raises(FileExistsError):
        save_case(changed, tmp_path)
    assert load_case_file(path).age == 73
    save_case(changed, tmp_path, overwrite=True)
    assert load_case_file(path).age == 74
    assert [p.name for p in tmp_path.iterdir()] == ["walter-brandt.json"]  # no temp file left


def test_save_case_keeps_accented_names_readable(tmp_path, library):
    path = save_case(library.get("tomas-herrera"), tmp_path)
    assert '"Tomás Herrera"' in path.read_text(encoding="utf-8")


def test_save_case_cannot_escape_the_folder(tmp_path, library):
    sneaky = library.get("tomas-herrera").model_copy(update={"id": "../escape"})
    with pytest.raises(ValueError):
        save_case(sneaky, tmp_path / "inner")
    assert not (tmp_path / "escape.json").exists()
