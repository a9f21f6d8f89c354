"""Authoring cases in the app: every save is a new version, validated exactly like a case file.

Files in data/patients are version 1 of their case; authored versions live in the database, and
the newest version of each case is what trainees practise on. Sessions keep a snapshot of the
version they ran on, so editing a case never rewrites anyone's history.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from simulator.accounts.actor import Actor
from simulator.accounts.audit import audit
from simulator.accounts.policy import require_author
from simulator.cbt.case import PatientCase
from simulator.cbt.library import CaseLibrary, validate_case_data
from simulator.core.db import Store


def create_tables(db: sqlite_utils.Database) -> None:
    """Migration m007."""
    db["authored"].create(
        {"kind": str, "item_id": str, "version": int, "json": str, "author_id": str, "created_at": str},
        pk=("kind", "item_id", "version"), not_null={"json", "created_at"},
    )
    db["sessions"].add_column("case_version", int)


def latest_versions(store: Store, kind: str) -> dict[str, tuple[int, str]]:
    """item id -> (newest version, its JSON)."""
    with store.db() as db:
        rows = db.execute(
            "select item_id, version, json from authored a where kind = ? and version = "
            "(select max(version) from authored b where b.kind = a.kind and b.item_id = a.item_id)", [kind],
        ).fetchall()
    return {item_id: (version, text) for item_id, version, text in rows}


def save_version(store: Store, actor: Actor | None, kind: str, item_id: str, payload: dict,
                 baseline: int) -> int:
    """Store a new version after `baseline` (the version the editor started from)."""
    require_author(actor)
    with store.write() as db:
        (newest,) = db.execute("select coalesce(max(version), 0) from authored where kind = ? and item_id = ?",
                               [kind, item_id]).fetchone()
        current = max(newest, baseline)
        if baseline < current:
            raise ValueError(f"Someone saved version {current} of {item_id} while you were editing; "
                             "reload it and apply your changes again.")
        version = current + 1
        db.execute("insert into authored (kind, item_id, version, json, author_id, created_at) values (?, ?, ?, ?, ?, ?)",
                   [kind, item_id, version, json.dumps(payload, ensure_ascii=False), actor.id,
                    datetime.now(timezone.utc).isoformat()])
    audit(store, actor.id, f"{kind}.save", {"id": item_id, "version": version})
    return version


def save_case(store: Store, actor: Actor | None, data: dict, library: CaseLibrary,
              *, new: bool, baseline: int | None = None) -> tuple[PatientCase, int]:
    """Validate form data as a case (same rules as files) and save it as the next version.

    `new` refuses an id that exists already (create and clone); otherwise it edits that case,
    from `baseline`, the version the editor opened (default: the library's). Raises
    CaseFileError naming the field and the problem, AccessDenied, or ValueError.
    """
    require_author(actor)
    case = validate_case_data(data, file="the form")
    exists = case.id in library
    if new and exists:
        raise ValueError(f"A case with the id {case.id!r} exists already; choose another id.")
    if not new and not exists:
        raise ValueError(f"There is no case {case.id!r} to edit.")
    if baseline is None or not exists:
        baseline = library.version(case.id) if exists else 0
    version = save_version(store, actor, "case", case.id, case.model_dump(mode="json"), baseline)
    return case, version


# -- the case form: version-2 fields typed as text ------------------------------------------

def _lines(text: str | None) -> list[str]:
    return [ln.strip().lstrip("-•*").strip() for ln in (text or "").splitlines()
            if ln.strip().lstrip("-•*").strip()]


def belief_voicings_text(voicings: dict[str, list[str]]) -> str:
    """Voicings per core belief as the form shows them: the belief on its own line, then its
    voicings, one per line, each starting with "- "."""
    return "\n\n".join(b + "\n" + "\n".join(f"- {v}" for v in vs) for b, vs in voicings.items())


def belief_voicings_from_text(text: str) -> dict[str, list[str]]:
    """The inverse of `belief_voicings_text`; a belief line is one not starting with "- "."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith(("-", "•", "*")) and current is not None:
            out[current].append(line.lstrip("-•*").strip())
        else:
            current = line
            out.setdefault(current, [])
    return out


def case_form_defaults(data: dict) -> dict:
    """Case data with the version-2 lists turned into the text the form edits."""
    data = json.loads(json.dumps(data))
    risk = data.setdefault("risk", {"level": "unknown"})
    risk["cues"] = "\n".join(risk.get("cues") or [])
    voicings = data.setdefault("voicings", {})
    voicings["core_beliefs"] = belief_voicings_text(voicings.get("core_beliefs") or {})
    for key in ("intermediate_beliefs", "intermediate_beliefs_depression", "coping_strategies",
                "history"):
        voicings[key] = "\n".join(voicings.get(key) or [])
    for s in data.get("situations", []):
        s["emotion_intensity"] = ", ".join(str(v) for v in (s.get("emotion_intensity") or {}).values())
    return data


def case_from_form(form: dict) -> dict:
    """Case data (schema version 2) from the form's text fields; raises CaseFileError naming the
    field when the emotion ratings do not match the chosen emotions."""
    from simulator.cbt.library import CaseFileError

    data = json.loads(json.dumps(form))
    data["schema_version"] = 2
    risk = data.get("risk") or {}
    risk["cues"] = _lines(risk.get("cues"))
    data["risk"] = {k: v for k, v in risk.items() if v not in ("", None)}
    v = data.get("voicings") or {}
    data["voicings"] = {
        "core_beliefs": belief_voicings_from_text(v.get("core_beliefs", "")),
        **{k: _lines(v.get(k)) for k in ("intermediate_beliefs", "intermediate_beliefs_depression",
                                         "coping_strategies", "history")},
    }
    problems: list[CaseFileError] = []
    for n, s in enumerate(data.get("situations", [])):
        text = s.get("emotion_intensity") or ""
        if isinstance(text, dict):
            continue
        numbers = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
        where = f"situations.{n}.emotion_intensity"
        if numbers and len(numbers) != len(s.get("emotions", [])):
            problems.append(CaseFileError("the form", where, f"give one number per chosen emotion "
                                          f"({len(s.get('emotions', []))}), in the same order"))
        elif not all(t.isdigit() for t in numbers):
            problems.append(CaseFileError("the form", where, "must be whole numbers from 0 to 100, "
                                          "separated by commas"))
        s["emotion_intensity"] = {e: int(t) for e, t in zip(s.get("emotions", []), numbers)
                                  if t.isdigit()}
    if problems:
        problems[0].all = problems
        raise problems[0]
    return data


def case_library(store: Store, cases_dir: str | Path) -> CaseLibrary:
    """The file library with each case's newest authored version laid over it."""
    lib = CaseLibrary.load(cases_dir)
    cases = dict(lib.cases)
    versions: dict[str, int] = {}
    for case_id, (version, text) in latest_versions(store, "case").items():
        cases[case_id] = PatientCase.model_validate_json(text)
        versions[case_id] = version
    ordered = dict(sorted(cases.items(), key=lambda kv: (kv[1].name.casefold(), kv[0])))
    return CaseLibrary(cases=ordered, errors=lib.errors, directory=lib.directory, versions=versions)


def history(store: Store, kind: str, item_id: str) -> list[dict]:
    with store.db() as db:
        return [{"version": v, "author": u or "(deleted)", "created_at": c} for v, u, c in db.execute(
            "select a.version, u.username, a.created_at from authored a left join users u on u.id = a.author_id "
            "where a.kind = ? and a.item_id = ? order by a.version desc", [kind, item_id]).fetchall()]


def import_cases(store: Store, actor: Actor | None, path: Path, library: CaseLibrary) -> tuple[list[PatientCase], list[str]]:
    """Import an uploaded file (PATIENT-Ψ or native) as new authored cases, all or nothing.

    Returns the cases and the import report's lines (synonyms, near-miss mappings, situations
    with their own model, defaults, sentences left in the third person), for the author to check.
    """
    from simulator.cbt.importer import read_cases

    require_author(actor)
    report = read_cases(path)  # raises CaseImportError listing every problem; nothing is saved
    taken = [c.id for c in report.cases if c.id in library]
    if taken:
        raise ValueError(f"Cases with these ids exist already: {', '.join(taken)}. Nothing was imported.")
    with store.write() as db:
        for case in report.cases:
            db.execute("insert into authored (kind, item_id, version, json, author_id, created_at) "
                       "values ('case', ?, 1, ?, ?, ?)",
                       [case.id, case.model_dump_json(), actor.id, datetime.now(timezone.utc).isoformat()])
    audit(store, actor.id, "case.import", {"ids": [c.id for c in report.cases], "file": path.name})
    return report.cases, report.lines(verbose=True)


def scenario_version(store: Store, library, scenario_id: str) -> int:
    """The newest version of a scenario: authored ones count on from the file's version 1."""
    return latest_versions(store, "scenario").get(scenario_id, (1 if scenario_id in library.scenarios else 0, ""))[0]


def save_scenario(store: Store, actor: Actor | None, data: dict, library, *, new: bool,
                  baseline: int | None = None):
    """Validate form data as a DEAR MAN scenario (same rules as its files) and save a new version.

    Raises ScenarioFileError naming the field and the problem, AccessDenied, or ValueError.
    """
    from simulator.dearman.scenarios import validate_scenario_data

    require_author(actor)
    scenario = validate_scenario_data(data, file="the form")
    exists = scenario.id in library.scenarios
    if new and exists:
        raise ValueError(f"A scenario with the id {scenario.id!r} exists already; choose another id.")
    if not new and not exists:
        raise ValueError(f"There is no scenario {scenario.id!r} to edit.")
    if baseline is None or not exists:
        baseline = scenario_version(store, library, scenario.id)
    version = save_version(store, actor, "scenario", scenario.id, scenario.model_dump(mode="json"), baseline)
    return scenario, version


def scenario_library(store: Store, scenarios_dir: str | Path):
    """The scenario files with each scenario's newest authored version laid over them."""
    from simulator.dearman.scenarios import ScenarioLibrary
    from simulator.dearman.schema import Scenario

    lib = ScenarioLibrary.load(scenarios_dir)
    merged = dict(lib.scenarios)
    for item_id, (_, text) in latest_versions(store, "scenario").items():
        merged[item_id] = Scenario.model_validate_json(text)
    ordered = sorted(merged.values(), key=lambda s: (s.difficulty, s.title.casefold()))
    return ScenarioLibrary(scenarios={s.id: s for s in ordered}, errors=lib.errors)
