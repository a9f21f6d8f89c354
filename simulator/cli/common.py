"""What every CLI command shares: clear errors with exit code 2, case look-up, JSON or text output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from simulator.cbt.case import PatientCase
from simulator.cbt.library import CaseLibrary
from simulator.core.settings import Settings


class CliError(Exception):
    """A problem with the command's input: printed as `error: …`, exit code 2."""


def library(settings: Settings) -> CaseLibrary:
    """The case repository the app uses: the case files plus every version authored in the app."""
    from simulator.services import (  # only for commands that need it
        case_library,
        prepare_database,
    )

    prepare_database(settings)
    return case_library(settings)


def load_case(settings: Settings, case_id: str, situation: int | None = None) -> PatientCase:
    """The case as the app has it; with `situation` (1-based), also check that it exists."""
    try:
        case = library(settings).get(case_id)
    except KeyError as err:
        raise CliError(err.args[0]) from None
    if situation is not None and not 1 <= situation <= len(case.situations):
        raise CliError(f"{case.id} has situations 1 to {len(case.situations)}")
    return case


def read_json(path: str):
    """The JSON of a file the command was given, or a CliError saying why it cannot be read."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise CliError(f"{path} is not valid JSON (line {err.lineno}: {err.msg})") from None


def emit(result: object, as_json: bool, as_text: Callable[[object], None]) -> None:
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        as_text(result)
