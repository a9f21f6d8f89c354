"""The patient case library: one validated JSON file per case in a folder.

A broken file never hides the good ones: `CaseLibrary.load` keeps every case that validates and
collects a `CaseFileError` (file, field, problem) for each problem it finds in the others.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .schema import CaseCard, PatientCase

M = TypeVar("M", bound=BaseModel)

# Names for the closed lists, so a literal error reads "... is not one of the allowed emotions".
_LIST_NOUNS = {
    "emotions": "emotions",
    "styles": "styles",
    "helpless": "helpless core beliefs",
    "unlovable": "unlovable core beliefs",
    "worthless": "worthless core beliefs",
    "difficulty": "difficulties (beginner, intermediate, advanced)",
    "schema_version": "schema versions (1)",
}


class DataFileError(Exception):
    """One problem in one data file. `field` is a dotted path (empty for the whole file)."""

    def __init__(self, file: str, field: str, problem: str,
                 line: int | None = None, column: int | None = None) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        self.line = line
        self.column = column
        # Every problem found in the same file; the loaders raise the first of them.
        self.all: list[DataFileError] = [self]
        super().__init__(str(self))

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.field, self.problem) if part)


class CaseFileError(DataFileError):
    """A problem in a patient case file (or in a case typed into the authoring form)."""


def _problem_text(error: dict[str, Any], noun: str) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    loc = [part for part in error["loc"] if isinstance(part, str)]
    if kind == "literal_error":
        noun = _LIST_NOUNS.get(loc[-1] if loc else "", "values")
        return f"{given!r} is not one of the allowed {noun}"
    if kind == "missing":
        return "this field is required but missing"
    if kind == "extra_forbidden":
        return f"unknown field (a {noun} has no such field)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"needs at least {n} item{'s' if n != 1 else ''}"
    if kind == "string_too_long":
        return f"is longer than the limit of {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return (f"{given!r} is not a valid id: use 1-64 lowercase letters, digits or hyphens, "
                "starting with a letter or digit")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "string_type":
        return "must be text"
    if kind == "list_type":
        return "must be a list"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a JSON object" if loc else f"must be a JSON object (one {noun})"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def describe_validation_error(exc: ValidationError, noun: str = "patient case") -> list[tuple[str, str]]:
    """Translate a pydantic error into (dotted field path, human sentence) pairs.

    The one translator for every data file (cases, scenarios, exemplars) and the editors.
    """
    return [(".".join(str(part) for part in error["loc"]), _problem_text(error, noun))
            for error in exc.errors(include_url=False)]


def validate_file_data(model: type[M], data: Any, file: str, error: type[DataFileError] = CaseFileError,
                       noun: str = "patient case") -> M:
    """Validate parsed JSON as `model`; raise `error` carrying every problem found."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [error(file, where, what) for where, what in describe_validation_error(exc, noun)]
        first = problems[0]
        first.all = problems
        raise first from None


def validate_case_data(data: Any, file: str) -> PatientCase:
    """Validate parsed JSON as a patient case; raise CaseFileError carrying every problem."""
    return validate_file_data(PatientCase, data, file)


def parse_json(text: str, file: str, error: type[DataFileError] = CaseFileError) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            file, "", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            line=exc.lineno, column=exc.colno,
        ) from None


def load_model_file(path: str | Path, model: type[M], error: type[DataFileError], noun: str) -> M:
    """Read and validate one JSON file holding one `model` whose id must match the file name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise error(path.name, "", "is not UTF-8 text") from None
    except OSError as exc:
        raise error(path.name, "", f"cannot be read ({exc.strerror})") from None
    item = validate_file_data(model, parse_json(text, path.name, error), path.name, error, noun)
    if path.stem != item.id:
        raise error(path.name, "id", f"the id {item.id!r} does not match the file name (expected {item.id}.json)")
    return item


def load_case_file(path: str | Path) -> PatientCase:
    """Read and validate one case file; its name must be `<id>.json`."""
    return load_model_file(path, PatientCase, CaseFileError, "patient case")


@dataclass
class CaseLibrary:
    """The good cases of a folder, sorted by name, and the problems of the broken files."""

    cases: dict[str, PatientCase] = field(default_factory=dict)
    errors: list[CaseFileError] = field(default_factory=list)
    directory: Path | None = None
    versions: dict[str, int] = field(default_factory=dict)  # authored versions; a file case is 1

    def version(self, case_id: str) -> int:
        return self.versions.get(case_id, 1)

    @classmethod
    def load(cls, directory: str | Path) -> CaseLibrary:
        directory = Path(directory)
        if not directory.is_dir():
            raise FileNotFoundError(f"the case folder {directory} does not exist")
        good: list[PatientCase] = []
        errors: list[CaseFileError] = []
        for path in sorted(directory.glob("*.json")):
            try:
                good.append(load_case_file(path))
            except CaseFileError as exc:
                errors.extend(exc.all)
        good.sort(key=lambda case: (case.name.casefold(), case.id))
        return cls(cases={case.id: case for case in good}, errors=errors, directory=directory)

    def get(self, case_id: str) -> PatientCase:
        try:
            return self.cases[case_id]
        except KeyError:
            where = f" in {self.directory}" if self.directory else ""
            raise KeyError(f"no patient case with id {case_id!r}{where}") from None

    def cards(self) -> list[CaseCard]:
        return [CaseCard.of(case) for case in self.cases.values()]

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[PatientCase]:
        return iter(self.cases.values())

    def __contains__(self, case_id: object) -> bool:
        return case_id in self.cases


def case_to_json(case: PatientCase) -> str:
    """The file text of a case: pretty, UTF-8 names kept readable, ending in a newline."""
    return json.dumps(case.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def case_path(case: PatientCase, directory: str | Path) -> Path:
    """`<directory>/<id>.json`. The id is re-validated so a hand-built case cannot escape."""
    checked = PatientCase.model_validate(case.model_dump())
    return Path(directory) / f"{checked.id}.json"


def write_atomic(path: Path, text: str) -> None:
    """Write through a hidden temp file in the same folder, then rename over the target."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_case(case: PatientCase, directory: str | Path, overwrite: bool = False) -> Path:
    """Write a case as `<id>.json`; refuse to replace an existing file unless `overwrite`."""
    path = case_path(case, directory)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path.name} already exists in {path.parent}")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, case_to_json(case))
    return path
