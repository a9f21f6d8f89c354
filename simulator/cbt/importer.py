"""Import patient cases from PATIENT-Ψ files (DESIGN.md §2) or from our own format.

PATIENT-Ψ writes one record per situation; records are grouped into patients by the `id`
prefix (`<patient>-<situation>`) and ordered by the situation number. The published set writes a
cognitive model per situation: the patient-level values are the first record's, and every other
situation carries its own core beliefs, rules, depression rule and coping wherever they differ
(schema version 2, `Situation`), so each situation's reference is exactly its record. The rule
during depression comes from `intermediate_belief_depression` and/or a "[during depression]"
marker inside `intermediate_belief`. Keys spelled `<group>_belief_current` are read as
`<group>_belief`, and styles written with the paper's descriptive names ("hostile", "guarded",
"go off on tangents", "ingratiating"; `also_called` in data/styles.json) are synonyms, reported
once each, not near misses. Imported cases have no risk profile (level "unknown"). The notes are
third person: every sentence the first-person rendering could not convert is reported.

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
import logging
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
from simulator.cbt.styles import style_synonyms
from simulator.cbt.vocab import CORE_BELIEF_GROUPS, EMOTIONS, STYLES
from simulator.cbt.voice import unconverted
from simulator.core.datafiles import describe_validation_error, parse_json
from simulator.core.text import agreeing

log = logging.getLogger(__name__)
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
PSI_DEPRESSION_KEY = "intermediate_belief_depression"
PSI_KEYS = set(PSI_REQUIRED) | set(PSI_BELIEF_KEYS) | {"type", PSI_DEPRESSION_KEY}
# Other spellings of a key met in published files -> the key.
PSI_KEY_SYNONYMS = {f"{key}_current": key for key in PSI_BELIEF_KEYS}
# Fields that describe the patient, not the situation: every record of a patient must agree.
# (Beliefs, rules and coping may differ by situation; the styles of all records are allowed.)
PSI_PATIENT_FIELDS = ("name", "history")


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
class SynonymUsed:
    """Another name the file used for a key or a style, read as ours (listed once per name)."""

    file: str
    kind: str  # "key" or "style"
    given: str
    read_as: str
    first_record: str
    records: int  # how many records used it


@dataclass(frozen=True)
class SituationOverride:
    """A situation whose record's model differs from the patient's first record, in `fields`."""

    case_id: str
    record_id: str
    situation: int  # 1-based
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Unrendered:
    """A sentence of the notes the first-person rendering left in the third person."""

    case_id: str
    record_id: str
    field: str
    sentence: str  # as the patient would say it now


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
        lines = [agreeing("import refused, nothing written ({n} problem(s)):", n=len(problems))]
        lines += [f"  - {problem}" for problem in problems]
        super().__init__("\n".join(lines))


@dataclass
class ImportReport:
    source_format: str  # "patient-psi" or "native"
    cases: list[PatientCase] = field(default_factory=list)
    mappings: list[LabelMapping] = field(default_factory=list)
    synonyms: list[SynonymUsed] = field(default_factory=list)
    overrides: list[SituationOverride] = field(default_factory=list)
    unrendered: list[Unrendered] = field(default_factory=list)
    defaults: list[DefaultUsed] = field(default_factory=list)
    records: int = 0  # records (PATIENT-Ψ) or cases (native) read from the file
    written: list[Path] = field(default_factory=list)

    @property
    def situations(self) -> int:
        return sum(len(c.situations) for c in self.cases)

    def lines(self, verbose: bool = False) -> list[str]:
        """The report as text, one line per finding: what was read, each synonym once, every
        near-miss mapping, each situation with its own model, the defaults (a value every case
        got, once), and the sentences left in the third person (listed when `verbose`)."""
        out = [f"read {self.records} record(s): {len(self.cases)} patient(s), {self.situations} "
               f"situation(s) ({self.source_format} format)"]
        out += [f"synonym {u.kind} {u.given!r} read as {u.read_as!r} ({u.records} record(s), "
                f"first {u.first_record})" for u in self.synonyms]
        out += [f"mapped  {m.record_id} {m.field}: {m.given!r} read as {m.mapped_to!r}"
                for m in self.mappings]
        out += [f"own     {o.case_id} situation {o.situation} (record {o.record_id}): "
                f"{', '.join(o.fields)}" for o in self.overrides]
        by_field: dict[str, list[DefaultUsed]] = {}
        for d in self.defaults:
            by_field.setdefault(d.field, []).append(d)
        for name, used in by_field.items():
            if len(used) > 1 and len({repr(d.value) for d in used}) == 1:
                out.append(f"default {name}: {used[0].value!r} for all {len(used)} cases "
                           "(not in the source format)")
            else:
                out += [f"default {d.case_id} {d.field}: {d.value!r} (not in the source format)"
                        for d in used]
        if self.unrendered:
            out.append(f"third person: {len(self.unrendered)} sentence(s) the first-person "
                       "rendering could not convert" + ("" if verbose else " (--verbose lists them)"))
            if verbose:
                out += [f"  {u.record_id} {u.field}: {u.sentence}" for u in self.unrendered]
        return out


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
    if "auto_thought" in item or (PSI_BELIEF_KEYS.keys() | PSI_KEY_SYNONYMS.keys()) & item.keys():
        return "patient-psi"
    return "other"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()) == " ".join(b.split())
    return a == b


# ---------------------------------------------------------------- PATIENT-Ψ

def _ws(text: str) -> str:
    return " ".join(text.split())


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[ImportProblem] = []
        self.mappings: list[LabelMapping] = []
        self._synonyms: dict[tuple[str, str], list] = {}

    def problem(self, record_id: str, where: str, what: str) -> None:
        self.problems.append(ImportProblem(self.file, record_id, where, what))

    def mapped(self, record_id: str, where: str, given: str, to: str,
               group: str = "", moved: bool = False) -> None:
        if given != to or moved:
            self.mappings.append(LabelMapping(self.file, record_id, where, given, to, group))

    def synonym(self, kind: str, given: str, read_as: str, record_id: str) -> None:
        seen = self._synonyms.setdefault((kind, _ws(given.casefold())), [given, read_as, record_id, set()])
        seen[3].add(record_id)

    def synonyms(self) -> list[SynonymUsed]:
        return [SynonymUsed(self.file, kind, given, read_as, first, len(records))
                for (kind, _), (given, read_as, first, records) in self._synonyms.items()]


def match_style(given: str) -> tuple[str, str]:
    """(style, how): "exact", "synonym" (another name in data/styles.json) or "near" (a near miss
    of a style or of one of its names); raise _Unmatched."""
    if _ws(given.casefold()) in STYLES:
        return _ws(given.casefold()), "exact"
    synonyms = style_synonyms()
    if _ws(given.casefold()) in synonyms:
        return synonyms[_ws(given.casefold())], "synonym"
    names = tuple(sorted({*STYLES, *synonyms}))
    found = _closest(given, names)
    if not found:
        raise _Unmatched(f"{given!r} is not close to any allowed style (or another name of one)")
    return synonyms.get(found, found), "near"


def _check_record(rec: dict, index: int, out: _Collector) -> str | None:
    """Check keys and types of one record (renaming synonym keys in place); return its id if it
    is usable."""
    rid = rec.get("id") if isinstance(rec.get("id"), str) else f"#{index + 1}"
    ok = True
    for given, key in PSI_KEY_SYNONYMS.items():
        if given in rec:
            if key in rec:
                out.problem(rid, given, f"the record also has {key!r}; keep one of the two")
                ok = False
                continue
            rec[key] = rec.pop(given)
            out.synonym("key", given, key, rid)
    for key in sorted(rec.keys() - PSI_KEYS):
        near = difflib.get_close_matches(key, sorted(PSI_KEYS), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        out.problem(rid, key, f"unknown key{hint}")
        ok = False
    for key in PSI_REQUIRED:
        if key not in rec:
            out.problem(rid, key, "this key is required but missing")
            ok = False
    for key in (*PSI_REQUIRED, PSI_DEPRESSION_KEY):
        if key in rec and key != "emotion" and not isinstance(rec[key], str):
            if key == PSI_DEPRESSION_KEY and rec[key] is None:
                continue
            out.problem(rid, key, "must be text")
            ok = False
        elif key in PSI_REQUIRED and isinstance(rec.get(key), str) and not rec[key].strip():
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


def _rules(rec: dict) -> tuple[str, str | None]:
    """A record's usual rule and its rule during depression (from the key, the marker, or both:
    nothing is dropped)."""
    usual, marked = split_intermediate(rec["intermediate_belief"])
    keyed = (rec.get(PSI_DEPRESSION_KEY) or "").strip()
    parts = [t for t in (marked, keyed) if t]
    if len(parts) == 2 and _ws(parts[0]) == _ws(parts[1]):
        parts = parts[:1]
    return usual, "\n".join(parts) or None


class _PatientLabels:
    """Maps one patient's labels, reporting each distinct near miss once (on the first record
    that has it)."""

    def __init__(self, out: _Collector) -> None:
        self.out = out
        self.seen: set[tuple[str, str]] = set()
        self.failed = False

    def _mapped(self, rid: str, where: str, given: str, to: str, group: str = "",
                moved: bool = False) -> None:
        key = (where.rsplit(".", 1)[0] if where.startswith(tuple(PSI_BELIEF_KEYS) + ("type",))
               else where, given)
        if where.startswith("emotion") or key not in self.seen:
            self.out.mapped(rid, where, given, to, group, moved)
        self.seen.add(key)

    def _problem(self, rid: str, where: str, what: str, given: str) -> None:
        self.failed = True
        key = ("problem:" + where.rsplit(".", 1)[0], given)
        if key not in self.seen:
            self.out.problem(rid, where, what)
        self.seen.add(key)

    def beliefs(self, rec: dict) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {g: [] for g in CORE_BELIEF_GROUPS}
        for key, group in PSI_BELIEF_KEYS.items():
            for i, given in enumerate(rec.get(key, [])):
                try:
                    to_group, belief = match_belief(given, group)
                except _Unmatched as exc:
                    self._problem(rec["id"], f"{key}.{i}", str(exc), given)
                    continue
                self._mapped(rec["id"], f"{key}.{i}", given, belief, to_group,
                             moved=to_group != group)
                if belief not in found[to_group]:
                    found[to_group].append(belief)
        return found

    def styles(self, rec: dict) -> list[str]:
        out: list[str] = []
        for i, given in enumerate(rec.get("type", [])):
            try:
                style, how = match_style(given)
            except _Unmatched as exc:
                self._problem(rec["id"], f"type.{i}", str(exc), given)
                continue
            if how == "synonym":
                self.out.synonym("style", given, style, rec["id"])
            elif how == "near" or given != style:
                self._mapped(rec["id"], f"type.{i}", given, style)
            out.append(style)
        return out

    def emotions(self, rec: dict) -> list[str]:
        out: list[str] = []
        for i, given in enumerate(rec["emotion"]):
            try:
                emotion = match_label(given, EMOTIONS, "emotion")
            except _Unmatched as exc:
                self.failed = True
                self.out.problem(rec["id"], f"emotion.{i}", str(exc))
                continue
            self._mapped(rec["id"], f"emotion.{i}", given, emotion)
            out.append(emotion)
        return list(dict.fromkeys(out))


def _labels(beliefs: dict[str, list[str]]) -> set[str]:
    return {b for group in beliefs.values() for b in group}


def _build_patient(records: list[dict], out: _Collector, defaults: list[DefaultUsed],
                   overrides: list[SituationOverride]) -> dict | None:
    """Turn one patient's records (ordered) into native case data, mapping labels.

    The first record gives the patient-level model; each later record that differs from it gives
    its situation its own core beliefs, rules, depression rule and coping (only where it differs).
    """
    first = records[0]
    fid = first["id"]
    before = len(out.problems)
    for rec in records[1:]:
        for key in PSI_PATIENT_FIELDS:
            if not _same(rec.get(key), first.get(key)):
                out.problem(rec["id"], key, f"differs from record {fid}; a patient's {key} is one "
                                            "for all their situations")
    labels = _PatientLabels(out)
    styles: list[str] = []
    models = []
    situations = []
    for rec in records:
        styles += labels.styles(rec)
        usual, during = _rules(rec)
        models.append({"core_beliefs": labels.beliefs(rec), "intermediate_beliefs": usual,
                       "intermediate_beliefs_depression": during,
                       "coping_strategies": rec["coping_strategies"].strip()})
        situations.append({"situation": rec["situation"], "automatic_thoughts": rec["auto_thought"],
                           "emotions": labels.emotions(rec), "behavior": rec["behavior"]})
    if labels.failed or len(out.problems) > before:
        return None

    case_id = slugify(first["name"])
    if not case_id:
        case_id = slugify(f"imported-{fid.rsplit('-', 1)[0]}") or "imported"
        defaults.append(DefaultUsed(case_id, "id", case_id))
    base = models[0]
    for n, (rec, model, situation) in enumerate(zip(records, models, situations)):
        if n == 0:
            continue
        differs = []
        if _labels(model["core_beliefs"]) != _labels(base["core_beliefs"]):
            situation["core_beliefs"] = model["core_beliefs"]
            differs.append("core_beliefs")
        for key in ("intermediate_beliefs", "coping_strategies"):
            if _ws(model[key]) != _ws(base[key]):
                situation[key] = model[key]
                differs.append(key)
        own, usual = model["intermediate_beliefs_depression"], base["intermediate_beliefs_depression"]
        if _ws(own or "") != _ws(usual or ""):
            situation["intermediate_beliefs_depression"] = own or ""  # "": none in this situation
            differs.append("intermediate_beliefs_depression")
        if differs:
            overrides.append(SituationOverride(case_id, rec["id"], n + 1, tuple(differs)))
    data = {
        "schema_version": SCHEMA_VERSION,
        "id": case_id, "name": first["name"], "history": first["history"],
        **base, "situations": situations,
        "styles": list(dict.fromkeys(styles)),
        "imported_from": {"format": "patient-psi", "file": out.file,
                          "records": [r["id"].strip() for r in records]},
    }
    notes = " ".join([first["history"], *(m["coping_strategies"] for m in models),
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


def _from_patient_psi(records: list, out: _Collector, defaults: list[DefaultUsed],
                      overrides: list[SituationOverride]) -> list[tuple[str, dict]]:
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
        data = _build_patient(ordered, out, defaults, overrides)
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

    report = ImportReport(source_format=kinds.pop(), records=len(items))
    if report.source_format == "native":
        origin = {"format": "native", "file": path.name}
        pending = [(str(item.get("id") or f"#{i + 1}"),
                    item if item.get("imported_from") else {**item, "imported_from": origin})
                   for i, item in enumerate(items)]
    else:
        pending = _from_patient_psi(items, out, report.defaults, report.overrides)
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
        if report.source_format == "patient-psi":
            report.unrendered += renderings_missed(case)
    report.mappings = out.mappings
    report.synonyms = out.synonyms()
    if out.problems:
        raise CaseImportError(out.problems)
    return report


def renderings_missed(case: PatientCase) -> list[Unrendered]:
    """Every sentence of an imported case's notes that the first-person rendering left in the
    third person, on the record it came from."""
    records = case.imported_from.records if case.imported_from else []

    def record(i: int) -> str:
        return records[i] if i < len(records) else ""

    fields = [(record(0), "history", case.history),
              (record(0), "intermediate_beliefs", case.intermediate_beliefs),
              (record(0), "intermediate_beliefs_depression", case.intermediate_beliefs_depression),
              (record(0), "coping_strategies", case.coping_strategies)]
    for i, s in enumerate(case.situations):
        fields += [(record(i), f"situations.{i}.situation", s.situation),
                   (record(i), f"situations.{i}.behavior", s.behavior)]
        fields += [(record(i), f"situations.{i}.{name}", getattr(s, name))
                   for name in ("intermediate_beliefs", "intermediate_beliefs_depression",
                                "coping_strategies")]
    return [Unrendered(case.id, rid, where, sentence)
            for rid, where, text in fields if text
            for sentence in unconverted(text, case)]


def import_file(path: str | Path, dest_dir: str | Path, replace: bool = False,
                dry_run: bool = False) -> ImportReport:
    """Import every patient of `path` into `dest_dir` as `<id>.json`, all or nothing.

    An existing case with the same id is refused unless `replace`. With `dry_run` every check is
    made and the report returned, and nothing is written.
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
    if dry_run:
        log.info("dry run of %s: %d case(s) checked, nothing written", Path(path).name,
                 len(report.cases))
        return report
    report.written = _write_all(report.cases, dest)
    log.info("imported %d case(s) from %s into %s", len(report.cases), Path(path).name, dest)
    return report
