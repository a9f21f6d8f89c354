"""`make bench`: run every benchmark, print the figures, keep them in bench/results/latest.json."""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

BENCHES = ["offline_engine", "llm_path", "llm_guard", "prompt_tokens", "storage", "formulation", "dearman",
           "dearman_accuracy", "traps", "scrub", "signin_storm", "psi_import", "restructuring"]


def machine() -> dict:
    return {
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "platform": platform.platform(), "processor": platform.machine(),
    }


def main(names: list[str]) -> int:
    results: dict = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine()}
    for name in names or BENCHES:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        figures = module.run()
        print(json.dumps(figures, indent=2), flush=True)
        results[name] = figures
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
