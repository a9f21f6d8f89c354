"""Thinking-traps tools from a shell: `detect-patterns`, `check-reframe`, `eval-patterns`,
`eval-reframes` and `build-trap-models`."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.cli.common import CliError, emit
from simulator.core.settings import Settings


def _with_engine(settings: Settings, engine: str | None) -> Settings:
    return settings.model_copy(update={"engine": engine}) if engine else settings


def cmd_detect(args, settings: Settings) -> int:
    from simulator.traps.engine import detect

    result = detect(args.text, _with_engine(settings, args.engine))
    if args.json:
        emit({"text": result.text, "top": result.top, "none": result.none, "none_score": result.none_score,
              "passing": result.passing, "engine": result.engine, "note": result.note,
              "patterns": [p.model_dump() for p in result.patterns]}, True, print)
    else:
        print("none: no unhelpful pattern fits" if result.none
              else "shows: " + ", ".join(p.name for p in result.found(limit=10)))
        for p in result.patterns:
            print(f"  {p.score:6.3f} (threshold {p.threshold:.2f}) {'*' if p.passes else ' '} {p.name}")
    return 0


def cmd_check_reframe(args, settings: Settings) -> int:
    from simulator.traps.engine import check_reframe

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


def _line(name: str, r: dict) -> str:
    return (f"{name} [{r['kind']}]: {r['items']} items, top-1 {r['top1']:.3f}, top-2 {r['top2']:.3f}, "
            f"none-recall {r['none_recall'] if r['none_recall'] is not None else '-'}, macro-F1 {r['macro_f1']:.3f}")


def cmd_eval(args, settings: Settings) -> int:
    from simulator.traps.evaluation import OverlapError, evaluate_patterns

    try:
        report = evaluate_patterns([Path(f) for f in args.file] if args.file else None,
                                   _with_engine(settings, args.engine), with_misses=args.misses)
    except OverlapError as err:
        raise CliError(str(err)) from None
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for name, r in report["files"].items():
        print(_line(name, r))
    if "combined" in report:
        print(_line("combined", report["combined"]))
    main = report.get("combined") or next(iter(report["files"].values()))
    print("per pattern (top-1 recall on thoughts where it is the most salient label | decision recall on all "
          "thoughts labelled with it | F1):")
    for label, r in main["per_label"].items():
        if r["items"]:
            print(f"  {label:26} {r['top1_recall'] if r['top1_recall'] is not None else '-':>5} "
                  f"({r['items_first']:3}) | {r['decision_recall']:.3f} ({r['items']:3}) | {r['f1']:.3f}")
    for name, r in report["files"].items():
        for pair, counts in r["neighbour_confusion"].items():
            print(f"  {name} {pair}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_eval_reframes(args, settings: Settings) -> int:
    from simulator.traps.evaluation import (
        BLIND_REFRAMES,
        OverlapError,
        evaluate_reframes,
    )

    try:
        report = evaluate_reframes(Path(args.file) if args.file else BLIND_REFRAMES,
                                   _with_engine(settings, args.engine))
    except OverlapError as err:
        raise CliError(str(err)) from None
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['file']} [{report['kind']}]: {report['items']} reframes, engine {report['engine']}")
    for crit, acc in report["accuracy"].items():
        extra = ""
        if crit in report["recall_of_met"]:
            extra = (f"  (met recognised {report['recall_of_met'][crit]}, "
                     f"not met recognised {report['recall_of_not_met'][crit]})")
        print(f"  {crit:18} accuracy {acc:.3f}{extra}")
    off = report["off_topic"]
    if off["pairs"]:
        print(f"  off-topic: {off['pairs']} reframes set against another thought of the set; judged "
              f"not addressing it {off['caught']['addresses_thought']:.3f}, "
              f"not keeping its context {off['caught']['keeps_context']:.3f}")
    return 0


def cmd_fresh(args, settings: Settings) -> int:
    from simulator.traps.fresh import generate
    from simulator.traps.patterns import pattern_ids

    if args.pattern not in pattern_ids():
        raise CliError(f"unknown pattern {args.pattern!r}; one of {', '.join(pattern_ids())}")
    batch = generate(args.pattern, args.persona, [], args.count, _with_engine(settings, args.engine), args.seed)
    emit({"items": [i.model_dump() for i in batch.items], "asked": batch.asked,
          "rejected_pattern": batch.rejected_pattern, "rejected_duplicate": batch.rejected_duplicate,
          "acceptance": batch.acceptance, "note": batch.note}, args.json,
         lambda r: [print(f"{'generated' if i['generated'] else 'bank':9} {i['thought']}") for i in r["items"]])
    return 0


def cmd_build(args, settings: Settings) -> int:
    from simulator.traps import build

    if args.cross_file:
        build.cross_file(print)
        return 0
    if args.only in (None, "detector"):
        build.build_detector()
    if args.only in (None, "reframe"):
        build.build_reframe()
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
    s = sub.add_parser("eval-patterns", help="accuracy of the pattern detector on labelled sets "
                                             "(default: the blind sets in data/eval/blind/)")
    s.add_argument("--file", action="append", default=None,
                   help="JSONL of {text, labels} (or {text, label}); repeat for several files")
    s.add_argument("--engine", choices=["offline", "llm"], default=None)
    s.add_argument("--misses", action="store_true", help="list wrong items (never for blind files)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_eval)
    s = sub.add_parser("eval-reframes", help="per-check accuracy of the reframe feedback on a labelled set "
                                             "(default: data/eval/blind/reframes_m.jsonl)")
    s.add_argument("--file", default=None)
    s.add_argument("--engine", choices=["offline", "llm"], default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_eval_reframes)
    s = sub.add_parser("drill-thoughts", help="fresh drill thoughts for a persona and a pattern (LLM, or the bank)")
    s.add_argument("--pattern", required=True)
    s.add_argument("--persona", required=True)
    s.add_argument("--count", type=int, default=3)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--engine", choices=["offline", "llm"], default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_fresh)
    s = sub.add_parser("build-trap-models", help="fit the pattern detector and the reframe checks on the "
                                                 "training banks (data/traps/) and write data/traps/models/")
    s.add_argument("--only", choices=["detector", "reframe"], default=None)
    s.add_argument("--cross-file", action="store_true",
                   help="instead of building, test the method on each bank file with the others as training")
    s.set_defaults(fn=cmd_build)
