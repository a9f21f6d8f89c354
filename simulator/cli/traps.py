"""`detect-patterns`, `check-reframe` and `eval-patterns`: the thinking-traps tools from a shell."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.cli.common import emit
from simulator.core.settings import Settings


def _with_engine(settings: Settings, engine: str | None) -> Settings:
    return settings.model_copy(update={"engine": engine}) if engine else settings


def cmd_detect(args, settings: Settings) -> int:
    from simulator.traps.detector import detect

    result = detect(args.text, _with_engine(settings, args.engine))
    if args.json:
        emit({"text": result.text, "top": result.top, "none": result.none, "none_score": result.none_score,
              "engine": result.engine, "note": result.note,
              "patterns": [p.model_dump() for p in result.patterns]}, True, print)
    else:
        print("none: no unhelpful pattern fits" if result.none else f"top: {result.patterns[0].name}")
        for p in result.patterns:
            print(f"  {p.score:6.3f}  {p.name}")
    return 0


def cmd_check_reframe(args, settings: Settings) -> int:
    from simulator.traps.reframe import check_reframe

    fb = check_reframe(args.thought, args.reframe, args.context or "", None, _with_engine(settings, args.engine))
    if args.json:
        emit({**fb.model_dump(), "criteria_met": fb.met, "verdict": fb.verdict}, True, print)
    else:
        for name, c in (("addresses the thought", fb.addresses_thought), ("realistic", fb.realistic),
                        ("keeps the context", fb.keeps_context), ("honours the feeling", fb.honours_feeling)):
            print(f"[{'x' if c.ok else ' '}] {name}: {c.detail}")
        print(f"strategy: {fb.strategy_name}")
        for e in fb.examples:
            print(f"example: {e}")
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from simulator.traps.evaluation import evaluate

    settings = _with_engine(settings, args.engine)
    report = evaluate(Path(args.file), settings) if args.file else evaluate(settings=settings)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['file']}: {report['items']} items, top-1 {report['top1']:.3f}, top-2 {report['top2']:.3f}")
        for pair, counts in report["neighbour_confusion"].items():
            print(f"  {pair}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def register(sub) -> None:
    s = sub.add_parser("detect-patterns", help="rank the unhelpful thought patterns in a statement")
    s.add_argument("--text", required=True)
    s.add_argument("--engine", choices=["offline", "llm"], default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_detect)
    s = sub.add_parser("check-reframe", help="feedback on a reframe of an unhelpful thought")
    s.add_argument("--thought", required=True)
    s.add_argument("--reframe", required=True)
    s.add_argument("--context", default="")
    s.add_argument("--engine", choices=["offline", "llm"], default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_check_reframe)
    s = sub.add_parser("eval-patterns", help="accuracy of the pattern detector on a labelled set")
    s.add_argument("--file", default=None, help="JSONL of {text, label}; default data/eval/patterns_eval.jsonl")
    s.add_argument("--engine", choices=["offline", "llm"], default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_eval)

