"""Shell commands for running Practicum in a clinic: erase, purge, backup, restore, usage, and which
exercises may use the model."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

from simulator.cli.admin import SHELL, _store
from simulator.cli.common import CliError
from simulator.core.settings import Settings


def _print_counts(title: str, counts: dict[str, int], indent: str = "  ") -> None:
    print(title)
    if not counts:
        print(f"{indent}nothing")
    for key, n in counts.items():
        print(f"{indent}{n:8,}  {key}")


def cmd_erase(args, settings: Settings) -> int:
    from simulator.accounts.users import AccountError
    from simulator.ops.erasure import erase

    try:
        report = erase(_store(settings), SHELL, args.username, dry_run=not args.yes)
    except AccountError as err:
        raise CliError(str(err)) from None
    if args.json:
        print(json.dumps(report.model_dump(), indent=2))
        return 0
    verb = "would remove" if report.dry_run else "removed"
    _print_counts(f"{args.username} ({report.role}): {verb} {report.total_removed:,} rows", report.removed)
    _print_counts("kept without the person:" if not report.dry_run else "would keep without the person:",
                  report.kept)
    if report.dry_run:
        print("Dry run: nothing was changed. Run again with --yes to erase.")
    return 0


def cmd_purge(args, settings: Settings) -> int:
    from simulator.ops.erasure import purge

    plan = purge(_store(settings), SHELL, settings.retention_days, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({**plan.model_dump(), "removed": plan.removed}, indent=2))
        return 0
    if plan.retention_days is None:
        print("PRACTICUM_RETENTION_DAYS is not set: nothing expires, nothing was removed.")
        return 0
    verb = "would erase" if plan.dry_run else "erased"
    print(f"retention {plan.retention_days} days (no activity since {plan.cutoff[:16]} UTC): "
          f"{verb} {len(plan.trainees)} trainee account(s)")
    for t in plan.trainees:
        print(f"  {t.username:24} last active {t.last_active[:16]}  {sum(t.removed.values()):,} rows")
    _print_counts("rows removed in all:" if not plan.dry_run else "rows that would go in all:", plan.removed)
    if plan.dry_run:
        print("Dry run: nothing was changed.")
    return 0


def _print_verification(v) -> None:
    print(f"integrity: {v.integrity}; foreign-key problems: {v.foreign_key_problems}")
    print(f"migrations: {len(v.migrations)} applied" + (f", {len(v.pending)} pending" if v.pending else ""))
    width = max((len(t) for t in v.tables), default=5)
    for table, n in v.tables.items():
        print(f"  {table:{width}}  {n:10,}")
    print(f"  {'total':{width}}  {sum(v.tables.values()):10,} rows in {len(v.tables)} tables")


def cmd_backup(args, settings: Settings) -> int:
    from simulator.core.db import Store
    from simulator.ops.backup import BackupError, backup

    if not Path(settings.db_path).exists():
        raise CliError(f"there is no database at {settings.db_path}")
    try:
        report = backup(Store(settings.db_path), Path(args.file), overwrite=args.overwrite)
    except BackupError as err:
        print(f"error: backup failed: {err}", file=sys.stderr)
        return 1
    print(f"backup of {settings.db_path} written to {report.path} ({report.bytes:,} bytes, {report.seconds:.2f} s)")
    _print_verification(report.verification)
    return 0


def cmd_restore(args, settings: Settings) -> int:
    from simulator.core.dblock import DatabaseBusy
    from simulator.ops.backup import BackupError, restore

    try:
        report = restore(Path(args.file), settings.db_path)
    except DatabaseBusy as err:
        print(f"error: refused: {err}", file=sys.stderr)
        return 3
    except BackupError as err:
        print(f"error: restore failed: {err}", file=sys.stderr)
        return 1
    print(f"restored {report.path} from {report.source}")
    if report.moved_aside:
        print(f"the database that was there is now {report.moved_aside}")
    if report.migrated:
        print(f"brought forward by {', '.join(report.migrated)}")
    if report.erased_again:
        print(f"{report.erased_again} account(s) erased after this backup was made were erased again")
    _print_verification(report.verification)
    return 0


def cmd_usage(args, settings: Settings) -> int:
    from simulator.modeluse.summary import summary

    since = date.fromisoformat(args.since) if args.since else date.today() - timedelta(days=args.days - 1)
    rows = summary(_store(settings), SHELL, by=args.by, since=since)
    if args.json:
        print(json.dumps([{**r.model_dump(), "total_tokens": r.total_tokens} for r in rows], indent=2))
        return 0
    print(f"model usage by {args.by} since {since}")
    print(f"{args.by:24} {'calls':>6} {'prompt':>10} {'completion':>10} {'cached':>8} {'est.':>5} "
          f"{'ms':>7}  outcomes")
    for r in rows:
        outcomes = ", ".join(f"{k} {v}" for k, v in r.outcomes.items() if v)
        print(f"{r.key[:24]:24} {r.calls:6} {r.prompt_tokens:10,} {r.completion_tokens:10,} {r.cached_tokens:8,} "
              f"{r.estimated_calls:5} {r.mean_latency_ms:7.0f}  {outcomes}")
    return 0


def cmd_llm_exercises(args, settings: Settings) -> int:
    from simulator.modeluse import access

    store = _store(settings)
    try:
        for name in args.on or []:
            access.set_llm_permission(store, SHELL, name, True)
        for name in args.off or []:
            access.set_llm_permission(store, SHELL, name, False)
    except ValueError as err:
        raise CliError(str(err)) from None
    for exercise, allowed in access.llm_permissions(store).items():
        print(f"{exercise:14} {'model allowed' if allowed else 'offline only':14} {access.exercise_label(exercise)}")
    return 0


def register(sub) -> None:
    s = sub.add_parser("erase", help="erase an account and everything it made (a dry run without --yes)")
    s.add_argument("--username", required=True)
    s.add_argument("--yes", action="store_true", help="really erase; without it, only show what would go")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_erase)

    s = sub.add_parser("purge", help="erase trainees inactive for PRACTICUM_RETENTION_DAYS days")
    s.add_argument("--dry-run", action="store_true", help="only show what would go")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_purge)

    s = sub.add_parser("backup", help="a verified copy of the database, safe while the app runs")
    s.add_argument("file")
    s.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    s.set_defaults(fn=cmd_backup)

    s = sub.add_parser("restore", help="put a backup in place of the database (the app must be stopped)")
    s.add_argument("file")
    s.set_defaults(fn=cmd_restore)

    s = sub.add_parser("usage", help="model usage per day, exercise, cohort or model")
    s.add_argument("--by", choices=["day", "exercise", "cohort", "model"], default="day")
    s.add_argument("--days", type=int, default=30, help="the last N days (default 30)")
    s.add_argument("--since", help="from this date (YYYY-MM-DD) instead")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_usage)

    s = sub.add_parser("llm-exercises", help="which exercises may use the model (admins choose)")
    s.add_argument("--on", nargs="+", metavar="EXERCISE", help="let these exercises use the model")
    s.add_argument("--off", nargs="+", metavar="EXERCISE", help="keep these exercises on the offline engine")
    s.set_defaults(fn=cmd_llm_exercises)
