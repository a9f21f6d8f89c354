"""How the interview report agrees with supervisors on graded transcripts.

A graded transcript (data/graded/interviews/*.json) has the turns, a supervisor's score per rubric
item and the risk facts (cue turns, asked, first asked turn, aspects asked, disclosed level). The
report is built from the text alone, exactly as for any outside transcript, and compared: Spearman
per item and for the total, and agreement on risk asked or not (the target is every one).

The evaluation refuses to run when a graded transcript shares a turn with anything the report
was built or calibrated on (the calibration transcripts, the risk statements, the reflections
and the move recogniser's bank), compared by simulator.core.text.text_key: case, accents, quotes,
punctuation and spacing do not count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.cbt import move_model
from simulator.cbt.report import cue_reader, screening
from simulator.cbt.report.build import InterviewReport, interview_report
from simulator.cbt.report.record import from_plain
from simulator.core import intervals
from simulator.core.datafiles import jsonl_objects
from simulator.core.settings import DATA_DIR
from simulator.core.text import refuse_overlap

GRADED_DIR = DATA_DIR / "graded" / "interviews"
CALIBRATION_DIR = DATA_DIR / "interviews" / "calibration"
MIN_WORDS = 5  # shorter turns ("Mm.", "No, never.") are common to any two transcripts
CUE_READER_MIN_WORDS = 12


class OverlapError(ValueError):
    """An evaluation transcript shares text with a training or calibration set."""


@dataclass
class Graded:
    id: str
    path: Path
    turns: list[dict]
    first_session: bool
    grades: dict[str, int]
    risk: dict


def load(folder: Path | str) -> list[Graded]:
    out = []
    for path in sorted(Path(folder).glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        out.append(Graded(id=d.get("id", path.stem), path=path, turns=d["turns"],
                          first_session=d.get("first_session", True), grades=d.get("grades", {}),
                          risk=d.get("risk", {})))
    if not out:
        raise ValueError(f"no transcripts in {folder}")
    return out


def training_texts(exclude: Path | None = None) -> list[tuple[str, str]]:
    """Every text the report was built or calibrated on, as (the set it is in, text)."""
    texts: list[tuple[str, str]] = []
    for name, path in (("the risk statements", DATA_DIR / "report" / "risk_statements.jsonl"),
                       ("the reflections", DATA_DIR / "report" / "reflections.jsonl"),
                       *(("the move bank", bank) for bank in move_model.bank_files())):
        if path.exists():
            rows = jsonl_objects(path)
            texts += [(name, r[field]) for r in rows for field in ("text", "previous") if r.get(field)]
    if CALIBRATION_DIR.exists() and (exclude is None or Path(exclude).resolve() != CALIBRATION_DIR.resolve()):
        texts += [("the calibration transcripts", t["text"]) for g in load(CALIBRATION_DIR) for t in g.turns]
    # A set that trains the cue reader or the screening decision is not checked against their sets at
    # all: they share short turns among themselves, and its risk figures are tuned on anyway (the
    # report says so).
    if not trains_cue_reader(exclude) and not trains_screening(exclude):
        # Over some 400 transcripts short turns recur ("And how did you feel?"); a long one shared
        # would be a copy.
        folders = {f.resolve(): f for f in [*cue_reader.training_folders(), *screening.training_folders()]}
        texts += [("the cue reader's or screening decision's transcripts", t["text"])
                  for folder in folders.values() for g in load(folder) for t in g.turns
                  if len(t["text"].split()) >= CUE_READER_MIN_WORDS]
    return texts


def _among(folder: Path | str | None, folders: list[Path]) -> bool:
    return folder is not None and Path(folder).resolve() in {f.resolve() for f in folders}


def trains_screening(folder: Path | str | None) -> bool:
    """Whether the learned screening decision learns from the set: its risk-asked figures are tuned on."""
    return _among(folder, screening.training_folders())


def trains_cue_reader(folder: Path | str | None) -> bool:
    """Whether the set is one the risk-cue reader learns from: its cue and flag figures are tuned on."""
    return _among(folder, cue_reader.training_folders())


def check_overlap(items: list[Graded], folder: Path) -> None:
    refuse_overlap([(f"{g.path.name} turn {i + 1}", t["text"]) for g in items for i, t in enumerate(g.turns)],
                   training_texts(exclude=folder), "a set the report was built or calibrated on",
                   error=OverlapError, min_words=MIN_WORDS)


def _spearman(a: list[float], b: list[float]) -> float | None:
    from scipy.stats import spearmanr

    if len(set(a)) < 2 or len(set(b)) < 2:
        return None
    return round(float(spearmanr(a, b).statistic), 3)


def evaluate(folder: Path | str = GRADED_DIR, *, check: bool = True) -> dict:
    folder = Path(folder)
    items = load(folder)
    if check:
        check_overlap(items, folder)
    readings = [_reading(interview_report(from_plain(g.turns, g.first_session))) for g in items]
    out = compare(items, readings, folder)
    out["risk"]["cues_and_flag_tuned_on"] = trains_cue_reader(folder)
    out["risk"]["asked_tuned_on"] = trains_screening(folder)
    return out


def agreement(folder: Path | str, second_coder: Path | str) -> dict:
    """How far a second supervisor, grading the same transcripts blind (one JSON file per transcript,
    same names, with `grades` and `risk`), agrees with the set's own grades: the same figures as for
    the report, so they bound what the report can reach. The report does not run."""
    folder, second_coder = Path(folder), Path(second_coder)
    items = load(folder)
    missing = [g.path.name for g in items if not (second_coder / g.path.name).exists()]
    if missing:
        raise ValueError(f"the second coder has no grading of {', '.join(missing)} in {second_coder}")
    readings = [json.loads((second_coder / g.path.name).read_text(encoding="utf-8")) for g in items]
    return {**compare(items, readings, folder), "second_coder": str(second_coder)}


def _reading(report: InterviewReport) -> dict:
    """The report's reading in the graded files' own form."""
    r = report.risk
    return {"grades": {k: v.score for k, v in report.rubric.items.items()},
            "risk": {"asked": r.asked, "first_asked_turn": r.first_asked_turn, "aspects_asked": list(r.aspects),
                     "cues_turns": [c.turn for c in r.cues], "disclosed_level": r.disclosed_level}}


def compare(items: list[Graded], readings: list[dict], folder: Path) -> dict:
    """The set's grades and risk facts against another reading of each transcript (the report's or a
    second coder's, in the graded files' form)."""
    item_ids = [k for k in readings[0]["grades"]
                if all(k in g.grades and k in r["grades"] for g, r in zip(items, readings))]
    per_item = {}
    for k in item_ids:
        human = [g.grades[k] for g in items]
        other = [r["grades"][k] for r in readings]
        per_item[k] = {"spearman": _spearman(human, other),
                       "exact": round(sum(h == m for h, m in zip(human, other)) / len(human), 3),
                       "within_1": round(sum(abs(h - m) <= 1 for h, m in zip(human, other)) / len(human), 3)}
    human_total = [sum(g.grades[k] for k in item_ids) for g in items]
    other_total = [sum(r["grades"][k] for k in item_ids) for r in readings]

    def flag(risk: dict) -> bool:  # cues and never asked
        return bool(risk.get("cues_turns")) and not risk.get("asked")

    risk_rows = []
    for g, reading in zip(items, readings):
        want, got = g.risk, reading["risk"]
        risk_rows.append({
            "id": g.id, "asked": (want.get("asked"), got.get("asked")),
            "first_asked_turn": (want.get("first_asked_turn"), got.get("first_asked_turn")),
            "aspects": (sorted(want.get("aspects_asked", [])), sorted(got.get("aspects_asked", []))),
            "cues": (sorted(want.get("cues_turns", [])), sorted(got.get("cues_turns", []))),
            "disclosed_level": (want.get("disclosed_level"), got.get("disclosed_level")),
            "flag": (flag(want), flag(got)),
        })

    def agreeing(key: str) -> int:
        return sum(a == b for a, b in (row[key] for row in risk_rows))

    def agree(key: str) -> float:
        return round(agreeing(key) / len(risk_rows), 3)

    def total_spearman(idx: np.ndarray) -> float:
        rho = _spearman([human_total[i] for i in idx], [other_total[i] for i in idx])
        return np.nan if rho is None else rho

    cue_tp = sum(len(set(a) & set(b)) for a, b in (row["cues"] for row in risk_rows))
    cue_want = sum(len(a) for a, _ in (row["cues"] for row in risk_rows))
    cue_got = sum(len(b) for _, b in (row["cues"] for row in risk_rows))
    aspect_pairs = [(set(a), set(b)) for a, b in (row["aspects"] for row in risk_rows)]
    return {
        "set": str(folder), "transcripts": len(items), "items": item_ids,
        "spearman_total": _spearman(human_total, other_total),
        "intervals": {"level": intervals.LEVEL,
                      "spearman_total": intervals.bootstrap(len(items), total_spearman),
                      "asked_agreement": intervals.proportion(agreeing("asked"), len(risk_rows))},
        "per_item": per_item,
        "totals": [{"id": g.id, "supervisor": h, "report": m}
                   for g, h, m in zip(items, human_total, other_total)],
        "risk": {
            "asked_agreement": agree("asked"), "first_asked_turn_agreement": agree("first_asked_turn"),
            "flag_agreement": agree("flag"), "disclosed_level_agreement": agree("disclosed_level"),
            "aspects_exact": round(sum(a == b for a, b in aspect_pairs) / len(aspect_pairs), 3),
            "cue_turns": {"supervisor": cue_want, "report": cue_got, "both": cue_tp},
            "rows": risk_rows,
        },
    }


def format_report(out: dict) -> str:
    other = "second coder" if "second_coder" in out else "report"
    lines = [f"{out['set']}: {out['transcripts']} transcripts"
             + (f", the set's grades against a second coder's ({out['second_coder']})" if "second_coder" in out else ""),
             f"Spearman, total: {out['spearman_total']}{_band(out, 'spearman_total')}"]
    for k, v in out["per_item"].items():
        lines.append(f"  {k:22} Spearman {v['spearman']}  exact {v['exact']:.2f}  within 1 {v['within_1']:.2f}")
    r = out["risk"]
    lines.append(f"Risk asked / not asked agreement: {r['asked_agreement']:.2f}{_band(out, 'asked_agreement')}; "
                 f"first asked turn "
                 f"{r['first_asked_turn_agreement']:.2f}; flag {r['flag_agreement']:.2f}; disclosed level "
                 f"{r['disclosed_level_agreement']:.2f}; aspects exact {r['aspects_exact']:.2f}"
                 + (" (this set trains the screening decision: risk asked and first asked turn are tuned on)"
                    if r.get("asked_tuned_on") else ""))
    c = r["cue_turns"]
    lines.append(f"Cue turns: supervisor {c['supervisor']}, {other} {c['report']}, both {c['both']}"
                 + (" (this set trains the cue reader: cue turns and flag are tuned on)"
                    if r.get("cues_and_flag_tuned_on") else ""))
    return "\n".join(lines)


def _band(out: dict, key: str) -> str:
    ci = out.get("intervals", {})
    return intervals.described(ci.get(key), ci.get("level", intervals.LEVEL))
