"""`interview-report`, `eval-interview-report` and `eval-corrections` from a shell.

    python -m simulator interview-report --transcript FILE --json   # FILE: what `simulate --json` prints,
                                                                    # or a transcript with "turns"
    python -m simulator interview-report --session ID --json        # a stored session
    python -m simulator eval-interview-report [--set DIR] [--second-coder DIR] [--json]  # default: data/graded/interviews
    python -m simulator eval-corrections [--json]                   # supervisors' corrections in the database
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simulator.cli.common import CliError, emit, read_json
from simulator.core.settings import Settings


def _print_report(out: dict) -> None:
    print(f"Questions: {out['open_questions']} open, {out['closed_questions']} closed; reflections "
          f"{out['reflections']} ({out['complex_reflections']} complex); reflection-to-question ratio "
          f"{out['reflection_to_question_ratio']}")
    print("Coverage: " + ", ".join(f"{a} {t if t else 'never'}" for a, t in out["coverage"].items()))
    r = out["risk"]
    if r["flag"]:
        print("RISK FLAG: cues with no risk question.")
    for step in r["next_steps"]:
        print(f"Risk: {step}")
    print(f"Rubric ({out['engine']}, version {out['rubric_version']}): {out['rubric_total']} / {out['rubric_max']}")
    for item, v in out["rubric"].items():
        print(f"  {item:22} {v['score']}  turns {v['evidence_turns']}  {v['reason']}")


def cmd_interview_report(args, settings: Settings) -> int:
    from simulator.cbt.report import store as reports
    from simulator.cbt.report.build import interview_report
    from simulator.cbt.report.competence import competence_rubric
    from simulator.cbt.report.judge import judged
    from simulator.cbt.report.record import read_transcript
    from simulator.cli.admin import SHELL
    from simulator.cli.common import load_case
    from simulator.core.db import Store
    from simulator.core.errors import SessionNotFound
    from simulator.migrations import migrate

    if bool(args.transcript) == bool(args.session):
        raise CliError("give --transcript FILE or --session ID")
    if args.session:
        store = Store(settings.db_path)
        migrate(store)
        try:
            report = reports.report(store, SHELL, args.session, settings)
        except SessionNotFound:
            raise CliError(f"no session {args.session!r}") from None
    else:
        try:
            record = read_transcript(read_json(args.transcript), lambda cid: load_case(settings, cid))
        except ValueError as err:
            raise CliError(str(err)) from None
        rubric = competence_rubric()
        report = judged(settings, record, interview_report(record, rubric), rubric)
    emit(report.cli_json(), args.json, _print_report)
    return 0


def cmd_eval_interview_report(args, settings: Settings) -> int:
    from simulator.cbt.report import evaluate

    folder = Path(args.set) if args.set else evaluate.GRADED_DIR
    try:
        if args.second_coder:  # two people's gradings of one set: the report does not run
            out = evaluate.agreement(folder, args.second_coder)
            emit(out, args.json, lambda o: print(evaluate.format_report(o)))
            return 0
        out = evaluate.evaluate(folder)
    except ValueError as err:  # evaluate.OverlapError among them
        raise CliError(str(err)) from None
    out["corrections"] = _corrections(settings, kinds={"interview_item"})
    emit(out, args.json, lambda o: (print(evaluate.format_report(o)), _print_corrections(o["corrections"])))
    return 0


def _corrections(settings: Settings, kinds: set[str] | None = None) -> list[dict]:
    """Agreement with supervisors from the database's corrections and grades (every trainee)."""
    from simulator.accounts.users import list_users
    from simulator.cli.admin import SHELL
    from simulator.core.db import Store
    from simulator.supervision.corrections import agreement

    if not Path(settings.db_path).exists():
        return []
    store = Store(settings.db_path)
    from simulator.migrations import migrate

    migrate(store)
    owners = [u["id"] for u in list_users(store, SHELL)]
    rows = agreement(store, owners)
    return [{**r.model_dump(), "share": round(r.share, 3)} for r in rows if kinds is None or r.kind in kinds]


def _print_corrections(rows: list[dict]) -> None:
    if not rows:
        print("Supervisors' corrections and grades: none in the database yet.")
        return
    print("Supervisors' corrections and grades (a separate, growing evaluation set; never trained on):")
    for r in rows:
        within = f", within one {r['within_one']}" if r.get("within_one") is not None else ""
        print(f"  {r['kind']:18} {r['scorer']:20} {r['item']:22} agreed {r['agreed']} of {r['judged']}{within}")


def cmd_eval_corrections(args, settings: Settings) -> int:
    rows = _corrections(settings)
    emit(rows, args.json, _print_corrections)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("interview-report", help="how a CBT interview was conducted: counts, coverage, risk, rubric")
    s.add_argument("--transcript", help="JSON from `simulate --json`, or a transcript with 'turns'")
    s.add_argument("--session", help="a stored session id")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_interview_report)
    s = sub.add_parser("eval-interview-report", help="the interview report against graded transcripts")
    s.add_argument("--set", help="folder of graded transcripts (default: data/graded/interviews)")
    s.add_argument("--second-coder", metavar="DIR",
                   help="a second supervisor's gradings of the same transcripts (same file names): "
                        "how far two people agree, the report not run")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_eval_interview_report)
    s = sub.add_parser("eval-corrections", help="agreement of every automatic scorer with supervisors' corrections")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_eval_corrections)
