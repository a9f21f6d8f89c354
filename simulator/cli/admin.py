"""Shell commands for the clinic's IT person and the study team: accounts and research export."""

from __future__ import annotations

import getpass
import sys
from datetime import date
from pathlib import Path

from simulator.accounts.actor import Actor
from simulator.cli.common import CliError
from simulator.core.settings import Settings

# Whoever runs the shell on the server already holds the database; audit entries name them so.
SHELL = Actor(id="shell", username="shell", role="admin")


def _store(settings: Settings):
    from simulator.core.db import Store
    from simulator.migrations import migrate

    store = Store(settings.db_path)
    migrate(store)
    return store


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise CliError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_users_add(args, settings: Settings) -> int:
    from simulator.accounts import users

    try:
        actor = users.create_user(_store(settings), SHELL, args.username, _read_password(), args.role,
                                     email=args.email)
    except (users.AccountError, PermissionError) as err:
        raise CliError(str(err)) from None
    print(f"created {actor.username} ({actor.role})")
    return 0


def cmd_users_list(args, settings: Settings) -> int:
    from simulator.accounts import users

    for u in users.list_users(_store(settings), SHELL):
        flags = ("" if u["active"] else " inactive") + (" consent" if u["consent"] else "")
        print(f"{u['username']:24} {u['role']:11}{flags}")
    return 0


def cmd_export(args, settings: Settings) -> int:
    from simulator.research import export

    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError:
        raise CliError("--since takes a date like 2026-09-01") from None
    filters = export.Filters(since=since, cohort=args.cohort, case_id=args.case)
    try:
        data = export.collect(_store(settings), SHELL, settings.export_secret, filters, free_text=args.free_text)
        paths = export.write(data, Path(args.out), args.format)
    except export.ExportError as err:
        raise CliError(str(err)) from None
    for path in paths:
        print(f"{path}: {len(data.get(path.stem.split('_', 1)[1], []))} rows")
    return 0


def register(sub) -> None:
    users = sub.add_parser("users", help="manage accounts").add_subparsers(dest="users_command", required=True)
    s = users.add_parser("add", help="add an account; the password is read from a prompt or stdin")
    s.add_argument("--username", required=True)
    s.add_argument("--role", required=True, choices=["trainee", "supervisor", "researcher", "admin"])
    s.add_argument("--email", default=None, help="for single sign-on")
    s.set_defaults(fn=cmd_users_add)
    users.add_parser("list", help="list accounts").set_defaults(fn=cmd_users_list)

    s = sub.add_parser("export", help="de-identified research export of consenting trainees")
    s.add_argument("--format", choices=["jsonl", "csv"], required=True)
    s.add_argument("--out", required=True, help="folder to write into")
    s.add_argument("--since", help="only sessions started on or after this date (YYYY-MM-DD)")
    s.add_argument("--cohort", help="only trainees of this cohort (name or id)")
    s.add_argument("--case", help="only sessions with this case id")
    s.add_argument("--free-text", action="store_true",
                   help="include messages, comments, notes and other free text, scrubbed of names, emails, "
                        "phone numbers and street addresses (left out by default: no scrubber finds every name)")
    s.set_defaults(fn=cmd_export)
