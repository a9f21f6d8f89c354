"""Formulation scoring: embedding-model load time, and warm scoring time with and without evidence."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.formulation_calibrate import load_graded
from bench.stats import percentile
from simulator.cbt.formulation.evidence import score_with_evidence
from simulator.cbt.formulation.scoring import reference_for, score_formulation
from simulator.cbt.formulation.store import interview
from simulator.cbt.library import CaseLibrary
from simulator.core import embeddings
from simulator.core.settings import DATA_DIR
from simulator.migrations import migrate

SCRIPT = Path(__file__).with_name("script_40.txt")


def _interview(tmpdir: str):
    from simulator.cbt.engine_offline import OfflineEngine
    from simulator.cbt.practice import Practice
    from simulator.core.db import Store

    store = Store(Path(tmpdir) / "bench.db")
    migrate(store)
    practice = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine())
    info = practice.start("tomas-herrera", "plain", situation_index=0, seed=1)
    for line in [ln for ln in SCRIPT.read_text(encoding="utf-8").splitlines() if ln.strip()]:
        practice.say(info.id, line)
        "".join(practice.respond(info.id))
    return interview(store, None, info.id)


def run() -> dict:
    library = CaseLibrary.load(DATA_DIR / "patients")
    graded = load_graded()
    start = time.perf_counter()
    embeddings.encode(["warm up"])
    load_s = embeddings.load_seconds if embeddings.load_seconds is not None else time.perf_counter() - start
    pairs = [(g.formulation, reference_for(library.get(g.case_id), g.situation - 1)) for g in graded]
    first = time.perf_counter()
    for mine, ref in pairs:  # first pass encodes references and the library background
        score_formulation(mine, ref)
    first_pass_ms = (time.perf_counter() - first) * 1000 / len(pairs)
    warm: list[float] = []
    for mine, ref in pairs:
        fresh = mine.model_copy(update={"history": (mine.history + " Also new text.").strip()})
        t = time.perf_counter()
        score_formulation(fresh, ref)  # a trainee sentence never seen before is encoded
        warm.append((time.perf_counter() - t) * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        iv = _interview(tmp)
        ref = reference_for(iv.case, iv.situation_index)
        mine = next(g.formulation for g in graded if g.id == "tomas-2-mostly")
        with_evidence: list[float] = []
        for i in range(10):
            fresh = mine.model_copy(update={"situation": f"{mine.situation} (draft {i})"})
            t = time.perf_counter()
            score_with_evidence(fresh, ref, iv)
            with_evidence.append((time.perf_counter() - t) * 1000)
    return {"formulation": {
        "embedding_model_load_s": round(load_s, 2),
        "first_score_ms_mean": round(first_pass_ms, 1),
        "warm_score_ms": {"p50": percentile(warm, 50), "p95": percentile(warm, 95)},
        "warm_score_with_evidence_40_turns_ms": {"p50": percentile(with_evidence, 50),
                                                 "p95": percentile(with_evidence, 95)},
        "target_warm_ms": 300,
        "transcript_turns": len(iv.turns),
    }}
