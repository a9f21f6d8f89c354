"""`score-formulation`: score a case formulation from a shell, with evidence when there is a session.

    python -m simulator score-formulation --session ID [--formulation FILE] --json
    python -m simulator score-formulation --case ID --situation N --formulation FILE --json

With --session, the formulation is FILE if given, else the session's submission, else its draft;
evidence comes from the session's transcript. Nothing is written.
"""

from __future__ import annotations

import argparse
import sys

from simulator.cli.common import CliError, emit, load_case, read_json
from simulator.core.settings import Settings


def result_json(score, case_id: str, situation: int, source: str) -> dict:
    """The CLI's JSON: total, per-field levels and F1s, matches, evidence."""
    fields = []
    for f in score.fields:
        item = {"field": f.field, "label": f.label, "kind": f.kind, "weight": f.weight,
                "level": f.level, "points": round(f.points, 2), "descriptor": f.descriptor}
        if f.closed:
            item.update(precision=round(f.closed.precision, 4), recall=round(f.closed.recall, 4),
                        f1=round(f.closed.f1, 4), hits=f.closed.hits, misses=f.closed.misses,
                        extras=f.closed.extras)
        else:
            item.update(similarity=f.similarity, specificity=f.specificity, coverage=f.coverage,
                        precision=f.precision, matches=[m.model_dump() for m in f.matches])
        fields.append(item)
    return {
        "case": case_id, "situation": situation, "formulation_from": source, "engine": score.engine,
        "rubric_version": score.rubric_version, "total": score.total, "fields": fields,
        "thresholds": score.thresholds,
        "evidence": score.evidence.model_dump(mode="json") if score.evidence else None,
    }


def _print_text(out: dict) -> None:
    print(f"{out['case']} situation {out['situation']} ({out['formulation_from']}): "
          f"total {out['total']:g} / 100")
    for f in out["fields"]:
        detail = (f"F1 {f['f1']:.2f}  missing: {'; '.join(f['misses']) or '-'}  "
                  f"extra: {'; '.join(f['extras']) or '-'}") if "f1" in f else (
            f"similarity {f['similarity']:.2f}  specificity {f['specificity']:.2f}")
        print(f"  {f['label']:22} level {f['level']:.2f}  {detail}")
    ev = out["evidence"]
    if ev:
        print(f"  interview gaps cost {ev['gap_points']:g} points; score on what came up: "
              f"{ev['total_on_surfaced']}")
        for s in ev["suggestions"]:
            print(f"  next time: {s}")


def cmd_score(args, settings: Settings) -> int:
    from simulator.accounts.policy import AccessDenied
    from simulator.cbt.formulation.scoring import (
        FormulationRejected,
        parse_formulation,
        reference_for,
        score_formulation,
    )
    from simulator.cbt.formulation.store import load_draft, score_session, submission
    from simulator.cbt.sessions import SessionStore
    from simulator.cli.admin import SHELL
    from simulator.core.db import Store
    from simulator.core.errors import SessionNotFound
    from simulator.migrations import migrate

    try:
        if args.session:
            store = Store(settings.db_path)
            migrate(store)
            try:
                info = SessionStore(store).session(args.session)
            except SessionNotFound:
                raise CliError(f"no session {args.session!r}") from None
            if args.formulation:
                formulation, source = parse_formulation(read_json(args.formulation)), args.formulation
            else:
                try:
                    formulation, source = submission(store, SHELL, args.session).formulation, "submission"
                except LookupError:
                    formulation, source = load_draft(store, SHELL, args.session), "draft"
                if formulation is None:
                    raise CliError("this session has no formulation yet; pass --formulation FILE")
            _, score = score_session(store, SHELL, args.session, formulation)
            out = result_json(score, info.case_id, info.situation_index + 1, source)
        else:
            if not (args.case and args.situation and args.formulation):
                raise CliError("give --session ID, or --case ID --situation N --formulation FILE")
            case = load_case(settings, args.case, args.situation)
            formulation = parse_formulation(read_json(args.formulation))
            score = score_formulation(formulation, reference_for(case, args.situation - 1))
            out = result_json(score, case.id, args.situation, args.formulation)
    except FormulationRejected as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except AccessDenied as err:
        raise CliError(str(err)) from None
    emit(out, args.json, _print_text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("score-formulation", help="score a case formulation against the reference")
    s.add_argument("--session", help="a session id: its case, situation and transcript")
    s.add_argument("--case", help="a case id (without a session: no evidence)")
    s.add_argument("--situation", type=int, help="1-based situation number (with --case)")
    s.add_argument("--formulation", help="JSON file with the fields of the diagram")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_score)
