"""`python -m simulator rate-dearman`: rate DEAR MAN messages from the shell, one or a file of them."""

from __future__ import annotations

import argparse
import json
import sys

from simulator.cli.common import CliError, emit
from simulator.core.settings import Settings


def _rate_one(rater, data: dict) -> dict:
    from simulator.dearman.schema import MessageContext

    ctx = MessageContext.checked(data.get("situation"), data.get("goal"), data.get("message"),
                                 data.get("partner_last"))
    rating = rater.rate(ctx)
    if rating.fallback_reason:
        print(f"note: {rating.fallback_reason}", file=sys.stderr)
    return rating.ratings.as_json()


def _print_text(result: dict) -> None:
    for skill, value in result.items():
        if skill == "rewrite":
            print(f"rewrite: {value}")
            continue
        line = f"{skill:10} {value['rating']:6} {value['reason']}"
        print(line + (f"\n{'':17}try: {value['suggestion']}" if value["suggestion"] else ""))


def cmd_rate_dearman(args, settings: Settings) -> int:
    from simulator.dearman.rater_llm import get_rater
    from simulator.dearman.schema import InputRejected

    rater = get_rater(settings, args.engine)
    if args.file:
        try:
            lines = open(args.file, encoding="utf-8").read().splitlines()
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
        failed = 0
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("each line must be a JSON object")
                result = _rate_one(rater, data)
            except (ValueError, InputRejected) as exc:
                failed += 1
                print(f"error: {args.file} line {n}: {exc}", file=sys.stderr)
                continue
            if args.json:
                print(json.dumps(result, ensure_ascii=False), flush=True)
            else:
                print(f"== line {n}")
                _print_text(result)
        return 1 if failed else 0
    try:
        result = _rate_one(rater, {"situation": args.situation, "goal": args.goal, "message": args.message,
                                   "partner_last": args.partner_last})
    except InputRejected as exc:
        raise CliError(str(exc)) from None
    emit(result, args.json, _print_text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("rate-dearman", help="rate a DEAR MAN message on every skill, with a rewrite")
    s.add_argument("--situation", help="the situation, one or two sentences")
    s.add_argument("--goal", help="what you want from the other person")
    s.add_argument("--partner-last", default=None, help="what the other person said last (optional)")
    s.add_argument("--message", help="the message to rate")
    s.add_argument("--file", help="JSON lines with keys situation, goal, partner_last, message")
    s.add_argument("--engine", choices=["offline", "llm"], default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_rate_dearman)
