"""Loading JSON data files: every problem reported as (file, field, sentence), never a traceback.

The one loader and one validation translator for every data file (cases, scenarios, exemplars)
and for what the authoring forms submit.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# Names for the closed lists, so a literal error reads "... is not one of the allowed emotions".
_LIST_NOUNS = {
    "emotions": "emotions",
    "styles": "styles",
    "helpless": "helpless core beliefs",
    "unlovable": "unlovable core beliefs",
    "worthless": "worthless core beliefs",
    "difficulty": "difficulties (beginner, intermediate, advanced)",
    "schema_version": "schema versions (1, 2)",
    "level": "risk levels (unknown, none, passive, active_no_plan, active_plan)",
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


def validate_file_data(model: type[M], data: Any, file: str, error: type[DataFileError] = DataFileError,
                       noun: str = "file") -> M:
    """Validate parsed JSON as `model`; raise `error` carrying every problem found."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [error(file, where, what) for where, what in describe_validation_error(exc, noun)]
        first = problems[0]
        first.all = problems
        raise first from None


def parse_json(text: str, file: str, error: type[DataFileError] = DataFileError) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            file, "", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            line=exc.lineno, column=exc.colno,
        ) from None


def jsonl_rows(path: str | Path) -> list[tuple[int, dict]]:
    """The objects of a JSON-lines file with their line numbers; blank lines are skipped, and a line
    that is not a JSON object is a ValueError naming the file, the line and (for bad JSON) the column."""
    path = Path(path)
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name} line {n}, column {exc.colno}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path.name} line {n}: not a JSON object")
            rows.append((n, row))
    return rows


def jsonl_objects(path: str | Path) -> list[dict]:
    """The objects of a JSON-lines file, without line numbers (see jsonl_rows)."""
    return [row for _, row in jsonl_rows(path)]


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
