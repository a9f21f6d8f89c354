"""The patient case library: one validated JSON file per case in a folder.

A broken file never hides the good ones: `CaseLibrary.load` keeps every case that validates and
collects a `CaseFileError` (file, field, problem) for each problem it finds in the others.

Every case has a source (`case_source`): "imported" when it records an import, "library" when
Practicum ships it (its id is listed in data/library.json), "authored" otherwise (written in the
app, or a file a clinic added). `shipped_cases()` is the library as shipped: the listed files of
data/patients that were not replaced by an import.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from simulator.cbt.case import CaseCard, CaseSource, PatientCase
from simulator.core.datafiles import (
    DataFileError,
    load_model_file,
    validate_file_data,
    write_atomic,
)
from simulator.core.settings import DATA_DIR

log = logging.getLogger(__name__)
SHIPPED_DIR = DATA_DIR / "patients"
SHIPPED_LIST = DATA_DIR / "library.json"


@lru_cache(maxsize=1)
def shipped_ids() -> frozenset[str]:
    """The ids of the cases Practicum ships (data/library.json)."""
    return frozenset(json.loads(SHIPPED_LIST.read_text(encoding="utf-8"))["cases"])


def case_source(case: PatientCase) -> CaseSource:
    """Where a case came from: imported, the shipped library, or authored here."""
    if case.imported_from is not None:
        return "imported"
    return "library" if case.id in shipped_ids() else "authored"


class CaseFileError(DataFileError):
    """A problem in a patient case file (or in a case typed into the authoring form)."""


def validate_case_data(data: Any, file: str) -> PatientCase:
    """Validate parsed JSON as a patient case; raise CaseFileError carrying every problem."""
    return validate_file_data(PatientCase, data, file, CaseFileError, "patient case")


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

    def source(self, case_id: str) -> CaseSource:
        return case_source(self.get(case_id))

    def cards(self) -> list[CaseCard]:
        return [CaseCard.of(case, case_source(case)) for case in self.cases.values()]

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[PatientCase]:
        return iter(self.cases.values())

    def __contains__(self, case_id: object) -> bool:
        return case_id in self.cases


def shipped_cases() -> list[PatientCase]:
    """The library exactly as shipped: the cases of data/library.json read from data/patients,
    whatever PRACTICUM_CASES_DIR says, leaving out a file an import has replaced (logged)."""
    lib = CaseLibrary.load(SHIPPED_DIR)
    out = []
    for case_id in sorted(shipped_ids()):
        case = lib.cases.get(case_id)
        if case is None:
            log.warning("shipped case %s is missing or broken in %s: left out of the library",
                        case_id, SHIPPED_DIR)
        elif case.imported_from is not None:
            log.warning("shipped case %s in %s was replaced by an import: left out of the library",
                        case_id, SHIPPED_DIR)
        else:
            out.append(case)
    return out


def case_to_json(case: PatientCase) -> str:
    """The file text of a case: pretty, UTF-8 names kept readable, ending in a newline."""
    return json.dumps(case.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False) + "\n"


def case_path(case: PatientCase, directory: str | Path) -> Path:
    """`<directory>/<id>.json`. The id is re-validated so a hand-built case cannot escape."""
    checked = PatientCase.model_validate(case.model_dump())
    return Path(directory) / f"{checked.id}.json"


def save_case(case: PatientCase, directory: str | Path, overwrite: bool = False) -> Path:
    """Write a case as `<id>.json`; refuse to replace an existing file unless `overwrite`."""
    path = case_path(case, directory)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path.name} already exists in {path.parent}")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, case_to_json(case))
    return path
