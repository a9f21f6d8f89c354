"""Calibrate the free-text thresholds of the formulation rubric on the graded set.

    .venv/bin/python -m bench.formulation_calibrate          # print the figures
    .venv/bin/python -m bench.formulation_calibrate --write  # and store the thresholds in the rubric

For every free-text field of every graded formulation, the supervisor gave a level (0, 1, 2). The
thresholds chosen are the pair that agrees with the most of those levels; among equally good pairs,
the one furthest from any example (the widest margin). Leave-one-case-out agreement is reported
too, so the in-sample figure is not the only one.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from simulator.cbt.formulation.rubric import (
    RUBRIC_PATH,
    Rubric,
    clear_cache,
    load_rubric,
)
from simulator.cbt.formulation.scoring import (
    TEXT_FIELDS,
    Formulation,
    match_text,
    reference_for,
    score_formulation,
)
from simulator.cbt.library import CaseLibrary
from simulator.core.settings import DATA_DIR

GRADED_DIR = DATA_DIR / "graded" / "formulations"
COMMAND = "python -m bench.formulation_calibrate --write"
GRID = np.round(np.arange(-0.30, 0.95, 0.01), 2)


@dataclass
class Graded:
    id: str
    case_id: str
    situation: int  # 1-based
    kind: str
    total: float
    levels: dict[str, int]
    formulation: Formulation


def load_graded(directory: Path = GRADED_DIR) -> list[Graded]:
    out = []
    for path in sorted(directory.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        out.append(Graded(id=raw["id"], case_id=raw["case_id"], situation=raw["situation"],
                          kind=raw["kind"], total=raw["supervisor"]["total"],
                          levels=raw["supervisor"]["levels"],
                          formulation=Formulation.model_validate(raw["formulation"])))
    return out


def field_similarities(graded: list[Graded], library: CaseLibrary) -> list[tuple[str, float, int]]:
    """(case id, specificity, supervisor level) for every non-empty free-text field."""
    rows = []
    for g in graded:
        ref = reference_for(library.get(g.case_id), g.situation - 1)
        for name in TEXT_FIELDS:
            mine = getattr(g.formulation, name)
            if not mine:
                continue  # empty is 0 by rule, not by threshold
            rows.append((g.case_id, match_text(mine, getattr(ref, name), name).specificity,
                         g.levels[name]))
    return rows


def _levels(sims: np.ndarray, partial: float, full: float) -> np.ndarray:
    return np.where(sims >= full, 2, np.where(sims >= partial, 1, 0))


def fit(sims: np.ndarray, levels: np.ndarray) -> tuple[float, float, float]:
    """(partial, full, agreement) maximising agreement, then margin."""
    best: tuple[float, float, float, float] | None = None
    for p in GRID:
        for f in GRID[GRID >= p]:
            agree = float((_levels(sims, p, f) == levels).mean())
            margin = float(np.min(np.abs(np.concatenate([sims - p, sims - f]))))
            key = (agree, margin)
            if best is None or key > best[2:]:
                best = (float(p), float(f), agree, margin)
    assert best is not None
    return best[0], best[1], best[2]


def leave_one_case_out(rows: list[tuple[str, float, int]]) -> float:
    cases = sorted({c for c, _, _ in rows})
    hits = 0
    for held in cases:
        train = [(s, lv) for c, s, lv in rows if c != held]
        test = [(s, lv) for c, s, lv in rows if c == held]
        p, f, _ = fit(np.array([s for s, _ in train]), np.array([lv for _, lv in train]))
        hits += int((_levels(np.array([s for s, _ in test]), p, f) == np.array([lv for _, lv in test])).sum())
    return hits / len(rows)


def totals(graded: list[Graded], library: CaseLibrary, rubric: Rubric) -> list[tuple[str, str, float, float]]:
    """(id, kind, supervisor total, computed total) for each graded formulation."""
    out = []
    for g in graded:
        ref = reference_for(library.get(g.case_id), g.situation - 1)
        out.append((g.id, g.kind, g.total, score_formulation(g.formulation, ref, rubric).total))
    return out


def run(write: bool = False) -> dict:
    library = CaseLibrary.load(DATA_DIR / "patients")
    graded = load_graded()
    rows = field_similarities(graded, library)
    sims = np.array([s for _, s, _ in rows])
    levels = np.array([lv for _, _, lv in rows])
    partial, full, agreement = fit(sims, levels)
    loco = leave_one_case_out(rows)
    rubric = load_rubric().model_copy(deep=True)
    rubric.thresholds.free_text.partial = partial
    rubric.thresholds.free_text.full = full
    scored = totals(graded, library, rubric)
    rho = float(spearmanr([s for _, _, s, _ in scored], [c for _, _, _, c in scored]).statistic)
    figures = {
        "examples": len(graded), "cases": len({g.case_id for g in graded}),
        "field_instances": len(rows), "partial": partial, "full": full,
        "level_agreement": round(agreement, 3), "leave_one_case_out_agreement": round(loco, 3),
        "spearman_total": round(rho, 3),
        "totals": [{"id": i, "kind": k, "supervisor": s, "computed": c} for i, k, s, c in scored],
    }
    if write:
        raw = json.loads(RUBRIC_PATH.read_text(encoding="utf-8"))
        raw["thresholds"]["free_text"] = {"partial": partial, "full": full}
        raw["thresholds"]["calibration"] = {
            "command": COMMAND, "examples": len(graded), "field_instances": len(rows),
            "level_agreement": round(agreement, 3),
            "leave_one_case_out_agreement": round(loco, 3), "spearman_total": round(rho, 3),
        }
        RUBRIC_PATH.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        clear_cache()
    return figures


if __name__ == "__main__":
    result = run(write="--write" in sys.argv[1:])
    print(json.dumps(result, indent=2))
