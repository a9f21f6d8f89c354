"""`python -m simulator`: the case library, imports and batch simulations from a shell.

Each command imports what it needs when it runs: starting the CLI stays cheap (an import of 106
PATIENT-Ψ records is timed end to end in bench/psi_import.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simulator.cli import admin as cli_admin
from simulator.cli import dearman as cli_dearman
from simulator.cli import formulation as cli_formulation
from simulator.cli import ops as cli_ops
from simulator.cli import report as cli_report
from simulator.cli import research as cli_research
from simulator.cli import traps as cli_traps
from simulator.cli.common import CliError, emit, library, load_case
from simulator.core import logs
from simulator.core.settings import Settings, load_settings


def cmd_migrate(args, settings: Settings) -> int:
    from simulator.core.db import Store
    from simulator.migrations import migrate

    applied = migrate(Store(settings.db_path))
    print(f"database {settings.db_path}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
    return 0


def cmd_prepare_models(args, settings: Settings) -> int:
    # An install step: the app's processes may not write the checkout (systemd's ProtectSystem),
    # so what they would otherwise build on first use is built here, by the installing user.
    from simulator.cbt import move_encoder, move_model
    from simulator.core import embeddings, pair_encoder
    from simulator.dearman import pair_model, whole_message
    from simulator.traps import reframe_pair

    path = embeddings.onnx_path()
    if args.force or not path.exists():
        embeddings.export_onnx()
    print(f"sentence-embedding model: {path}")
    # One BLAS thread for the ridge model's closed-form fit: with the bank of 16,500 the threaded
    # OpenBLAS that scipy ships crashed the build with a segmentation fault (2026-12-06); on one
    # thread the fit took about two and a half minutes.
    # The limit reaches only the BLAS libraries already loaded: numpy's and, imported here, scipy's.
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        move_model.model()

    def built(what: str, current: Path) -> None:
        print(f"{what}: {current}")
        for old in pair_encoder.prune(current):
            print(f"  removed the build for earlier data: {old.name}")

    built("move recogniser (ridge, risk aspects)", move_model.trained_path())
    # what, module, minutes on two cores (the first time and after a change to the bank; measured 2026-12-07
    # with nothing else running: moves 19, DEAR MAN 27 with its bank of 4,877, reframe 9; DEAR MAN about 28 with
    # 5,099, measured 2026-12-08 with evaluations running beside it), in build order: the DEAR MAN
    # whole-message model reads the fine-tuned DEAR MAN classifier's scores.
    modules = (("the move classifier (fine-tuned)", move_encoder, 19),
               ("the DEAR MAN classifier (fine-tuned)", pair_model, 28),
               ("the DEAR MAN whole-message model", whole_message, 2),
               ("the reframe classifier (fine-tuned)", reframe_pair, 9))
    if args.background:
        missing = [(name, minutes) for name, module, minutes in modules if not module.model_path().exists()]
        if missing:
            log_path = background_build(args.log)
            print(f"building {', '.join(name for name, _ in missing)} in the background "
                  f"(about {sum(m for _, m in missing)} minutes on two cores; log: {log_path}). Until each is "
                  "built, its feature goes on without it; the running app takes each up when it is ready.")
        else:
            print("fine-tuned classifiers: all built for the current banks")
        return 0
    with pair_encoder.building():
        for name, module, minutes in modules:
            target = module.model_path()  # named by a hash of the bank: computed once
            if not target.exists():
                print(f"building {name} (about {minutes} minutes on two cores)...", flush=True)
                module.build(target=target)
            built(name, target)
    return 0


def background_build(log_path: Path | None) -> Path:
    """Start `prepare-models` in its own session, so it outlives the command that started it (and
    an interrupted `make run`); its output goes to `log_path` (default data/cache/prepare.log). A
    second one started meanwhile waits for it (pair_encoder.building), then finds everything built."""
    import os
    import subprocess

    from simulator.core.pair_encoder import CACHE_DIR
    from simulator.core.settings import ROOT

    log_path = log_path or CACHE_DIR / "prepare.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as out:
        subprocess.Popen([sys.executable, "-m", "simulator", "prepare-models"], stdin=subprocess.DEVNULL,
                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return log_path


def cmd_cases(args, settings: Settings) -> int:
    lib = library(settings)
    if args.json:
        print(json.dumps([c.model_dump() for c in lib.cards()], indent=2))
    else:
        for card in lib.cards():
            print(f"{card.id:24} {card.name}, {card.age} ({card.difficulty}): {card.presenting_problem}")
    for err in lib.errors:
        print(f"error: {err}", file=sys.stderr)
    return 1 if lib.errors else 0


def cmd_case(args, settings: Settings) -> int:
    print(load_case(settings, args.id).model_dump_json(indent=2))
    return 0


def cmd_import(args, settings: Settings) -> int:
    from simulator.cbt.importer import CaseImportError, import_file

    try:
        report = import_file(Path(args.file), settings.cases_dir, replace=args.replace,
                             dry_run=args.dry_run)
    except CaseImportError as err:
        print(f"import failed, nothing was added:\n{err}", file=sys.stderr)
        return 2
    for line in report.lines(verbose=args.verbose or args.dry_run):
        print(line)
    if args.dry_run:
        print(f"dry run: nothing was written to {settings.cases_dir}")
        return 0
    for path in report.written:
        print(f"wrote   {path}")
    print(f"imported {len(report.cases)} case(s) from {args.file} ({report.source_format} format)")
    return 0


def cmd_simulate(args, settings: Settings) -> int:
    from simulator.cbt.engines import get_engine
    from simulator.cbt.scripted import run_script
    from simulator.core.errors import EngineError

    case = load_case(settings, args.case, args.situation)
    if args.style not in case.styles:
        raise CliError(f"{case.id} allows styles {', '.join(case.styles)}")
    lines = [ln.strip() for ln in Path(args.script).read_text(encoding="utf-8").splitlines() if ln.strip()]
    engine = get_engine(settings, args.engine)
    trace: list = []
    try:
        turns, state = run_script(engine, case, args.situation - 1, args.style, lines, args.seed, trace=trace)
    except EngineError as err:
        print(f"error: {err.user_message}", file=sys.stderr)
        return 3
    result = {
        "case": case.id, "situation": args.situation, "style": args.style, "engine": engine.label,
        "seed": args.seed,
        "transcript": [t.model_dump(mode="json", include={"index", "role", "text", "complete", "moves", "risk_aspects"}) for t in turns],
        "state": state.model_dump(mode="json"),
        # The state after each patient turn, by transcript index (what interview-report reads).
        "states": {str(2 * i + 1): s.model_dump(mode="json") for i, (_, s) in enumerate(trace)},
    }
    emit(result, args.json, lambda r: [print(f"{'T' if t['role'] == 'therapist' else 'P'}: {t['text']}")
                                       for t in r["transcript"]])
    return 0


def cmd_eval_moves(args, settings: Settings) -> int:
    from simulator.cbt import move_eval

    files = [Path(f) for f in args.files] or None
    if args.second_coder and (files is None or len(files) != 1):
        raise CliError("--second-coder compares two coders of one set: name that set's file")
    try:
        report = (move_eval.agreement(files[0], args.second_coder) if args.second_coder
                  else move_eval.run(files))
    except (move_eval.OverlapError, ValueError) as err:
        raise CliError(str(err)) from None
    emit(report, args.json, lambda r: print(move_eval.format_report(r)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simulator", description="Practicum from the shell.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(fn=cmd_migrate)
    s = sub.add_parser("prepare-models", help="build what the app would otherwise build on first use, into "
                       "data/cache: the sentence-embedding model as ONNX and the move classifiers")
    s.add_argument("--force", action="store_true", help="export the embedding model again even if it is there")
    s.add_argument("--background", action="store_true",
                   help="build the quick parts now and fine-tune the classifiers in a background process "
                        "(make run: the app serves meanwhile and takes each up when it is built)")
    s.add_argument("--log", type=Path, help="with --background: where its output goes (default "
                   "data/cache/prepare.log)")
    s.set_defaults(fn=cmd_prepare_models)
    s = sub.add_parser("cases", help="list the case library")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_cases)
    s = sub.add_parser("case", help="show one case in full")
    s.add_argument("id")
    s.set_defaults(fn=cmd_case)
    s = sub.add_parser("import", help="import cases (PATIENT-Ψ records or native format)")
    s.add_argument("file")
    s.add_argument("--replace", action="store_true", help="replace cases with the same id")
    s.add_argument("--dry-run", action="store_true",
                   help="check the file and print the whole report; write nothing")
    s.add_argument("--verbose", action="store_true",
                   help="also list every sentence the first-person rendering could not convert")
    s.set_defaults(fn=cmd_import)
    s = sub.add_parser("simulate", help="feed a script of therapist lines to a patient")
    s.add_argument("--case", required=True)
    s.add_argument("--situation", type=int, default=1, help="1-based situation number")
    s.add_argument("--style", required=True)
    s.add_argument("--script", required=True, help="text file, one therapist line per line")
    s.add_argument("--engine", choices=["offline", "llm"], default=None)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_simulate)
    s = sub.add_parser("eval-moves", help="score the move recogniser on the blind evaluation sets")
    s.add_argument("files", nargs="*", help="JSONL sets to score (default: data/eval/blind/moves_*.jsonl)")
    s.add_argument("--second-coder", type=Path, metavar="FILE",
                   help="another coder's labels for the one set named: how far the two coders agree")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_eval_moves)
    cli_admin.register(sub)
    cli_traps.register(sub)
    cli_dearman.register(sub)
    cli_formulation.register(sub)
    cli_ops.register(sub)
    cli_research.register(sub)
    cli_report.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    logs.configure(settings.log_level)
    try:
        return args.fn(args, settings)
    except CliError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
