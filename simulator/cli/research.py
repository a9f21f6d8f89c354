"""`eval-scrubber`: how well the export's free-text scrubber masks PII in a labelled set."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.cli.common import CliError
from simulator.core.settings import Settings


def cmd_eval_scrubber(args, settings: Settings) -> int:
    from simulator.research import scrub_eval
    from simulator.research.scrub import ScrubberUnavailable

    path = Path(args.file) if args.file else scrub_eval.BLIND
    try:
        if args.show_misses:
            for miss in scrub_eval.misses(path):
                print(json.dumps(miss, ensure_ascii=False))
            return 0
        report = scrub_eval.evaluate(path)
    except (scrub_eval.EvaluationRefused, ScrubberUnavailable) as err:
        raise CliError(str(err)) from None
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    label = "TUNED-ON (development bank)" if report["tuned_on"] else "held out from tuning"
    print(f"{report['file']}: {report['items']} items, {label}")
    for kind in scrub_eval.TYPES:
        if report["spans"][kind]:
            print(f"  {kind:8} recall {report['recall'][kind]:.3f} (partial {report['partial_recall'][kind]:.3f}) "
                  f"over {report['spans'][kind]} spans")
    print(f"  precision (masked characters inside PII) {report['precision_chars']}")
    print(f"  non-PII characters removed {report['non_pii_removed']:.2%}; items with some non-PII removed "
          f"{report['items_with_non_pii_removed']}; PII-free items touched "
          f"{report['items_without_pii_touched']}/{report['items_without_pii']}")
    return 0


def register(sub) -> None:
    s = sub.add_parser("eval-scrubber", help="recall and precision of the export's PII scrubber on a labelled set")
    s.add_argument("--file", default=None,
                   help="JSONL of {id, kind, text, spans}; default data/eval/blind/pii.jsonl")
    s.add_argument("--json", action="store_true")
    s.add_argument("--show-misses", action="store_true",
                   help="list misses and over-masking item by item (training bank only; refused for evaluation sets)")
    s.set_defaults(fn=cmd_eval_scrubber)
