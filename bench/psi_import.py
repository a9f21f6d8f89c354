"""Importing a published-size PATIENT-Ψ file: 106 records for 50 patients, target <= 5 s, and the
sentence-embedding model never loaded for it.

The file is made from our own test records (tests/data/psi_published_like.json: 10 patients, 25
records with every feature of the published set) by giving copies of the patients new names and
numbers and dropping later situations until 106 records remain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from simulator.core.settings import ROOT

SOURCE = ROOT / "tests" / "data" / "psi_published_like.json"
RECORDS, PATIENTS = 106, 50
# Second names for the copies, so each copy is a patient with its own id.
SURNAMES = ("", "Abara", "Brandvold", "Castell", "Dunmore", "Ekwueme", "Farrant", "Gisladottir")


def expand_published(records: int = RECORDS, patients: int = PATIENTS,
                     source: Path = SOURCE) -> list[dict]:
    """`records` PATIENT-Ψ records for `patients` patients, copied from the test file."""
    base: dict[str, list[dict]] = {}
    for rec in json.loads(source.read_text(encoding="utf-8")):
        base.setdefault(rec["id"].rsplit("-", 1)[0], []).append(rec)
    originals = [sorted(recs, key=lambda r: int(r["id"].rsplit("-", 1)[1])) for recs in base.values()]
    made: list[list[dict]] = []
    for n in range(patients):
        copy, original = divmod(n, len(originals))
        if copy >= len(SURNAMES):
            raise ValueError(f"at most {len(SURNAMES) * len(originals)} patients can be made")
        recs = []
        for rec in originals[original]:
            situation = rec["id"].rsplit("-", 1)[1]
            name = f"{rec['name']} {SURNAMES[copy]}".strip()
            recs.append({**rec, "name": name, "id": f"{n + 1}-{situation}"})
        made.append(recs)
    while sum(map(len, made)) > records:
        longest = max(range(len(made)), key=lambda i: (len(made[i]), i))
        if len(made[longest]) == 1:
            break
        made[longest].pop()
    out = [rec for recs in made for rec in recs]
    if len(out) != records:
        raise ValueError(f"cannot make {records} records for {patients} patients from {source.name}")
    return out


_PROBE = """
import sys, time
from simulator.cbt.importer import import_file
from simulator.core import embeddings
start = time.perf_counter()
report = import_file(sys.argv[1], sys.argv[2])
took = time.perf_counter() - start
print(len(report.cases), report.records, took, embeddings.is_loaded(),
      "torch" in sys.modules, "sentence_transformers" in sys.modules)
"""


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "psi_106.json"
        path.write_text(json.dumps(expand_published(), ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        walls, inside, probes = [], [], []
        for n in range(5):
            dest = Path(tmp) / f"cases-{n}"
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", _PROBE, str(path), str(dest)],
                                  capture_output=True, text=True, cwd=ROOT, env=env, check=True)
            walls.append(time.perf_counter() - start)
            cases, records, took, loaded, torch, st = done.stdout.split()
            inside.append(float(took))
            probes.append((int(cases), int(records), loaded, torch, st))
        cli_dest = Path(tmp) / "cases-cli"
        start = time.perf_counter()
        cli = subprocess.run([sys.executable, "-m", "simulator", "import", str(path)],
                             capture_output=True, text=True, cwd=ROOT, check=True,
                             env={**env, "PRACTICUM_CASES_DIR": str(cli_dest)})
        cli_wall = time.perf_counter() - start
    cases, records = probes[0][:2]
    return {"psi_import": {
        "records": records, "patients": cases,
        "files_written_by_cli": sum(1 for line in cli.stdout.splitlines() if line.startswith("wrote")),
        "import_file_p50_s": percentile(inside, 50), "import_file_max_s": round(max(inside), 3),
        "process_p50_s": percentile(walls, 50), "process_max_s": round(max(walls), 3),
        "cli_wall_s": round(cli_wall, 3),  # `python -m simulator import FILE`, start to exit
        "embedding_model_loaded": any(p[2] == "True" for p in probes),
        "torch_imported": any(p[3] == "True" for p in probes),
        "sentence_transformers_imported": any(p[4] == "True" for p in probes),
        "target_s": 5.0,
    }}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
