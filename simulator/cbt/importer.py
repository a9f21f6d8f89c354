"""Import patient cases from PATIENT-Ψ files (DESIGN.md §2) or from our own format.

PATIENT-Ψ writes one record per situation; records are grouped into patients by the `id`
prefix (`<patient>-<situation>`) and ordered by the situation number.

Near-miss labels are mapped to the closed lists and every mapping is reported. For a core
belief the search goes: exact label in the list named by the key, exact label in any list,
close label in the named list, close label in any list. "Exact" ignores case, spacing, the
final full stop and a leading "I am (a)"; "close" is a difflib ratio of at least CLOSE_ENOUGH
between what the labels say (without "I am") or one of the comma-separated parts ("I am a
failture." is close to "failure, loser"). A label that only differs by a negating prefix
("happy"/"unhappy") is never close, and a label about equally close to two items (within
AMBIGUITY_MARGIN) is refused as ambiguous rather than guessed.

An import is all or nothing: every problem in the file is collected, and if there is any,
nothing is written.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.cbt.case import SCHEMA_VERSION, PatientCase
from simulator.cbt.library import CaseFileError, case_path, case_to_json
from simulator.cbt.vocab import CORE_BELIEF_GROUPS, EMOTIONS, STYLES
from simulator.core.datafiles import describe_validation_error, parse_json

CLOSE_ENOUGH = 0.8
AMBIGUITY_MARGIN = 0.02  # two candidates this close in score are not told apart

DEFAULT_AGE = 40
DEFAULT_PRONOUNS = "they/them"
DEFAULT_OCCUPATION = "not recorded"
DEFAULT_DIFFICULTY = "intermediate"
DEFAULT_RISK_LEVEL = "unknown"
PRESENTING_PREFIX = "Imported case: "
PRESENTING_LIMIT = 200

DEPRESSION_MARKER = re.compile(r"\[\s*during\s+depression\s*\]", re.IGNORECASE)
PSI_BELIEF_KEYS = {"helpless_belief": "helpless", "unlovable_belief": "unlovable",
                   "worthless_belief": "worthless"}
PSI_REQUIRED = ("name", "id", "history", "intermediate_belief", "coping_strategies",
                "situation", "auto_thought", "emotion", "behavior")
PSI_KEYS = set(PSI_REQUIRED) | set(PSI_BELIEF_KEYS) | {"type"}
# Fields that describe the patient, not the situation: every record of a patient must agree.
PSI_PATIENT_FIELDS = ("name", "history", "intermediate_belief", "coping_strategies",
                      "type", *PSI_BELIEF_KEYS)


@dataclass(frozen=True)
class LabelMapping:
    """A label changed on import. For a core belief `group` is where it was filed, which may
    differ from the list it was given in (a belief given under the wrong key moves)."""

    file: str
    record_id: str
    field: str
    given: str
    mapped_to: str
    group: str = ""


@dataclass(frozen=True)
class DefaultUsed:
    """A case field the source format does not carry, filled with a documented placeholder."""

    case_id: str
    field: str
    value: Any


@dataclass(frozen=True)
class ImportProblem:
    file: str
    record_id: str  # "" when the problem concerns the whole file
    field: str
    problem: str

    def __str__(self) -> str:
        record = f"record {self.record_id}" if self.record_id else ""
        return ": ".join(part for part in (self.file, record, self.field, self.problem) if part)


class CaseImportError(Exception):
    """The import was refused; `problems` lists every problem found. Nothing was written."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        lines = [f"import refused, nothing written ({len(problems)} problem"
                 f"{'s' if len(problems) != 1 else ''}):"]
        lines += [f"  - {problem}" for problem in problems]
        super().__init__("\n".join(lines))


@dataclass
class ImportReport:
    source_format: str  # "patient-psi" or "native"
    cases: list[PatientCase] = field(default_factory=list)
    mappings: list[LabelMapping] = field(default_factory=list)
    defaults: list[DefaultUsed] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------- label matching

def _norm(label: str) -> str:
    return " ".join(label.casefold().replace("’", "'").split()).rstrip(".").strip()


def _predicate(text: str) -> str:
    """What a belief says about the person: "I am a failture." -> "failture".

    Comparing predicates keeps the shared "I am" from making unrelated beliefs look alike.
    """
    text = re.sub(r"^(i am|i'm)\s+", "", _norm(text))
    return re.sub(r"^(a|an)\s+", "", text)


def _variants(label: str) -> list[str]:
    """The label's predicate and each of its parts: "failure, loser" -> failure, loser."""
    whole = _predicate(label)
    parts = [part.strip() for part in re.split(r",| - ", whole) if part.strip()]
    return [whole, *parts]


def _negates(a: str, b: str) -> bool:
    """"happy" is close to "unhappy" in spelling and opposite in meaning."""
    short, long_ = sorted((a, b), key=len)
    return any(long_ == prefix + short for prefix in ("un", "in", "im", "dis", "not "))


def _score(given: str, label: str) -> float:
    g = _predicate(given)
    return max((difflib.SequenceMatcher(None, g, v).ratio() for v in _variants(label)
                if not _negates(g, v)), default=0.0)


class _Unmatched(Exception):
    pass


def _closest(given: str, candidates: tuple[str, ...]) -> str | None:
    scored = sorted(((_score(given, c), c) for c in candidates), reverse=True)
    if not scored or scored[0][0] < CLOSE_ENOUGH:
        return None
    if len(scored) > 1 and scored[1][0] >= CLOSE_ENOUGH and scored[0][0] - scored[1][0] < AMBIGUITY_MARGIN:
        raise _Unmatched(f"{given!r} is equally close to {scored[0][1]!r} and {scored[1][1]!r}")
    return scored[0][1]


def _exact(given: str, candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if _predicate(c) == _predicate(given)), None)


def match_belief(given: str, group: str) -> tuple[str, str]:
    """Return (group, closed-list belief) for a belief listed under `group`; raise _Unmatched."""
    everything = tuple(b for g in CORE_BELIEF_GROUPS.values() for b in g)
    for finder, pool in ((_exact, CORE_BELIEF_GROUPS[group]), (_exact, everything),
                         (_closest, CORE_BELIEF_GROUPS[group]), (_closest, everything)):
        found = finder(given, pool)
        if found:
            return next(g for g, items in CORE_BELIEF_GROUPS.items() if found in items), found
    raise _Unmatched(f"{given!r} is not close to any core belief of the closed list")


def match_label(given: str, candidates: tuple[str, ...], noun: str) -> str:
    found = _exact(given, candidates) or _closest(given, candidates)
    if not found:
        raise _Unmatched(f"{given!r} is not close to any allowed {noun}")
    return found


# ---------------------------------------------------------------- helpers

def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")


def split_intermediate(text: str) -> tuple[str, str | None]:
    """Split PATIENT-Ψ's intermediate belief into the usual and the during-depression variant."""
    parts = DEPRESSION_MARKER.split(text, maxsplit=1)
    usual = parts[0].strip()
    during = parts[1].strip() if len(parts) > 1 else ""
    return usual, (during or None)


def _presenting_problem(situation: str) -> str:
    text = PRESENTING_PREFIX + " ".join(situation.split())
    return text if len(text) <= PRESENTING_LIMIT else text[:PRESENTING_LIMIT - 1].rstrip() + "…"


def _kind(item: Any) -> str:
    if not isinstance(item, dict):
        return "other"
    if "situations" in item or "schema_version" in item or "core_beliefs" in item:
        return "native"
    if "auto_thought" in item or PSI_BELIEF_KEYS.keys() & item.keys():
        return "patient-psi"
    return "other"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()) == " ".join(b.split())
    return a == b


# ---------------------------------------------------------------- PATIENT-Ψ

class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[ImportProblem] = []
        self.mappings: list[LabelMapping] = []

    def problem(self, record_id: str, where: str, what: str) -> None:
        self.problems.append(ImportProblem(self.file, record_id, where, what))

    def mapped(self, record_id: str, where: str, given: str, to: str,
               group: str = "", moved: bool = False) -> None:
        if given != to or moved:
            self.mappings.append(LabelMapping(self.file, record_id, where, given, to, group))


def _check_record(rec: dict, index: int, out: _Collector) -> str | None:
    """Check keys and types of one record; return its id if it is usable."""
    rid = rec.get("id") if isinstance(rec.get("id"), str) else f"#{index + 1}"
    ok = True
    for key in sorted(rec.keys() - PSI_KEYS):
        near = difflib.get_close_matches(key, sorted(PSI_KEYS), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        out.problem(rid, key, f"unknown key{hint}")
        ok = False
    for key in PSI_REQUIRED:
        if key not in rec:
            out.problem(rid, key, "this key is required but missing")
            ok = False
    for key in PSI_REQUIRED:
        if key in rec and key != "emotion" and not isinstance(rec[key], str):
            out.problem(rid, key, "must be text")
            ok = False
        elif isinstance(rec.get(key), str) and not rec[key].strip():
            out.problem(rid, key, "must not be empty")
            ok = False
    for key in ("emotion", "type", *PSI_BELIEF_KEYS):
        value = rec.get(key, [])
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            out.problem(rid, key, "must be a list of text labels")
            ok = False
    if rec.get("emotion") == []:
        out.problem(rid, "emotion", "needs at least one emotion")
        ok = False
    if ok and not re.fullmatch(r".+-\d+", rid.strip()):
        out.problem(rid, "id", "must look like <patient>-<situation number>, e.g. 1-2")
        ok = False
    return rid if ok else None


def _build_patient(records: list[dict], out: _Collector, defaults: list[DefaultUsed]) -> dict | None:
    """Turn one patient's records (ordered) into native case data, mapping labels."""
    first = records[0]
    fid = first["id"]
    before = len(out.problems)
    for rec in records[1:]:
        for key in PSI_PATIENT_FIELDS:
            if not _same(rec.get(key, []), first.get(key, [])):
                out.problem(rec["id"], key, f"differs from record {fid}; a patient's records must agree")

    beliefs: dict[str, list[str]] = {g: [] for g in CORE_BELIEF_GROUPS}
    for key, group in PSI_BELIEF_KEYS.items():
        for i, given in enumerate(first.get(key, [])):
            try:
                to_group, belief = match_belief(given, group)
            except _Unmatched as exc:
                out.problem(fid, f"{key}.{i}", str(exc))
                continue
            out.mapped(fid, f"{key}.{i}", given, belief, to_group, moved=to_group != group)
            if belief not in beliefs[to_group]:
                beliefs[to_group].append(belief)

    styles: list[str] = []
    for i, given in enumerate(first.get("type", [])):
        try:
            style = match_label(given, STYLES, "style")
        except _Unmatched as exc:
            out.problem(fid, f"type.{i}", str(exc))
            continue
        out.mapped(fid, f"type.{i}", given, style)
        styles.append(style)

    situations = []
    for rec in records:
        emotions: list[str] = []
        for i, given in enumerate(rec["emotion"]):
            try:
                emotion = match_label(given, EMOTIONS, "emotion")
            except _Unmatched as exc:
                out.problem(rec["id"], f"emotion.{i}", str(exc))
                continue
            out.mapped(rec["id"], f"emotion.{i}", given, emotion)
            emotions.append(emotion)
        situations.append({"situation": rec["situation"], "automatic_thoughts": rec["auto_thought"],
                           "emotions": list(dict.fromkeys(emotions)), "behavior": rec["behavior"]})
    if len(out.problems) > before:
        return None

    case_id = slugify(first["name"])
    if not case_id:
        case_id = slugify(f"imported-{fid.rsplit('-', 1)[0]}") or "imported"
        defaults.append(DefaultUsed(case_id, "id", case_id))
    usual, during = split_intermediate(first["intermediate_belief"])
    data = {
        "schema_version": SCHEMA_VERSION,
        "id": case_id, "name": first["name"], "history": first["history"],
        "core_beliefs": beliefs, "intermediate_beliefs": usual,
        "intermediate_beliefs_depression": during,
        "coping_strategies": first["coping_strategies"], "situations": situations,
        "styles": list(dict.fromkeys(styles)),
    }
    notes = " ".join([first["history"], first["coping_strategies"],
                      *(s["situation"] + " " + s["behavior"] for s in situations)])
    filled = {"age": DEFAULT_AGE, "pronouns": infer_pronouns(notes), "occupation": DEFAULT_OCCUPATION,
              "presenting_problem": _presenting_problem(first["situation"]),
              "difficulty": DEFAULT_DIFFICULTY,
              # The format says nothing about risk: "unknown", never an invented "none".
              "risk": {"level": DEFAULT_RISK_LEVEL}}
    if not data["styles"]:
        filled["styles"] = list(STYLES)
    for key, value in filled.items():
        data[key] = value
        defaults.append(DefaultUsed(case_id, key, value))
    return data


def infer_pronouns(notes: str) -> str:
    """The pronouns the case notes use for the patient, when one set clearly dominates.

    The format has no pronoun field, but its third-person notes ("... loses his job") use them;
    the offline engine needs them to speak those notes in the first person. Otherwise "they/them".
    """
    words = re.findall(r"[a-z]+", notes.lower())
    he = sum(w in ("he", "him", "his", "himself") for w in words)
    she = sum(w in ("she", "her", "hers", "herself") for w in words)
    if he >= 2 and he >= 2 * she:
        return "he/him"
    if she >= 2 and she >= 2 * he:
        return "she/her"
    return DEFAULT_PRONOUNS


def _from_patient_psi(records: list, out: _Collector, defaults: list[DefaultUsed]) -> list[tuple[str, dict]]:
    """Return (first record id, native case data) per patient."""
    groups: dict[str, list[tuple[int, dict]]] = {}
    for index, rec in enumerate(records):
        rid = _check_record(rec, index, out)
        if rid is None:
            continue
        prefix, number = rid.strip().rsplit("-", 1)
        groups.setdefault(prefix, []).append((int(number), rec))
    built = []
    for members in groups.values():
        numbers = [n for n, _ in members]
        for n in sorted({n for n in numbers if numbers.count(n) > 1}):
            out.problem(next(r["id"] for m, r in members if m == n), "id",
                        f"situation number {n} appears more than once for this patient")
        if len(set(numbers)) != len(numbers):
            continue
        ordered = [rec for _, rec in sorted(members, key=lambda m: m[0])]
        data = _build_patient(ordered, out, defaults)
        if data is not None:
            built.append((ordered[0]["id"], data))
    return built


# ---------------------------------------------------------------- entry point

def _validate(data: dict, record_id: str, out: _Collector) -> PatientCase | None:
    try:
        return PatientCase.model_validate(data)
    except ValidationError as exc:
        for where, what in describe_validation_error(exc):
            out.problem(record_id, where, what)
        return None


def _write_all(cases: list[PatientCase], dest: Path) -> list[Path]:
    """Stage every file first, then rename them in; undo what was renamed if one fails."""
    dest.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path, bytes | None]] = []
    try:
        for case in cases:
            target = case_path(case, dest)
            fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{case.id}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(case_to_json(case))
            old = target.read_bytes() if target.exists() else None
            staged.append((Path(tmp), target, old))
        done: list[tuple[Path, bytes | None]] = []
        try:
            for tmp, target, old in staged:
                os.replace(tmp, target)
                done.append((target, old))
        except OSError:
            for target, old in reversed(done):
                if old is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_bytes(old)
            raise
    finally:
        for tmp, _, _ in staged:
            tmp.unlink(missing_ok=True)
    return [target for _, target, _ in staged]


def read_cases(path: str | Path) -> ImportReport:
    """Parse and check a file without writing anything; raise CaseImportError on any problem."""
    path = Path(path)
    out = _Collector(path.name)
    try:
        raw = parse_json(path.read_text(encoding="utf-8"), path.name, CaseFileError)
    except CaseFileError as exc:
        raise CaseImportError([ImportProblem(path.name, "", exc.field, exc.problem)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseImportError([ImportProblem(path.name, "", "", f"cannot be read ({exc})")]) from None

    items = raw if isinstance(raw, list) else [raw]
    kinds = {_kind(item) for item in items}
    if not items:
        raise CaseImportError([ImportProblem(path.name, "", "", "the file holds no records")])
    if "other" in kinds or len(kinds) > 1:
        why = ("mixes PATIENT-Ψ records and patient cases" if kinds == {"native", "patient-psi"}
               else "holds something that is neither a PATIENT-Ψ record nor a patient case")
        raise CaseImportError([ImportProblem(path.name, "", "", why)])

    report = ImportReport(source_format=kinds.pop())
    if report.source_format == "native":
        pending = [(str(item.get("id") or f"#{i + 1}"), item) for i, item in enumerate(items)]
    else:
        pending = _from_patient_psi(items, out, report.defaults)
    seen: dict[str, str] = {}
    for record_id, data in pending:
        case = _validate(data, record_id, out)
        if case is None:
            continue
        report.cases.append(case)
        if case.id in seen:
            out.problem(record_id, "id", f"two patients in this file would both be saved as "
                                         f"{case.id!r} (also record {seen[case.id]})")
        seen.setdefault(case.id, record_id)
    report.mappings = out.mappings
    if out.problems:
        raise CaseImportError(out.problems)
    return report


def import_file(path: str | Path, dest_dir: str | Path, replace: bool = False) -> ImportReport:
    """Import every patient of `path` into `dest_dir` as `<id>.json`, all or nothing.

    An existing case with the same id is refused unless `replace`.
    """
    dest = Path(dest_dir)
    report = read_cases(path)
    if not replace:
        taken = [ImportProblem(Path(path).name, case.id, "id",
                               f"a case {case.id!r} already exists in {dest}; "
                               "import with replace to overwrite it")
                 for case in report.cases if case_path(case, dest).exists()]
        if taken:
            raise CaseImportError(taken)
    report.written = _write_all(report.cases, dest)
    return report
