"""The interview report of one session: counts, coverage, guided discovery, risk, and the rubric."""

from __future__ import annotations

from pydantic import BaseModel

from simulator.cbt.report.competence import CompetenceRubric, competence_rubric
from simulator.cbt.report.counts import Counts, content_words, count
from simulator.cbt.report.coverage import AREAS, Coverage, coverage
from simulator.cbt.report.record import InterviewRecord
from simulator.cbt.report.risk import RiskReading, read_risk
from simulator.cbt.report.rubric import ItemScore, score_items
from simulator.cbt.report.wording import area_label, area_question, say

REPORT_VERSION = 1


class CoverageRow(BaseModel):
    area: str
    label: str
    first_turn: int | None
    turns: list[int]
    text: str  # "asked first at turn 5" or "never asked. Next time: ..."


class GuidedDiscovery(BaseModel):
    meaning_probes: list[int]
    probes_before_belief: int | None  # None: no core belief surfaced, or not known (no disclosure state)
    belief_turn: int | None
    summaries: list[int]
    checked_summaries: list[int]  # summaries that checked with the patient ("Have I got that right?")
    own_words: float | None  # share of the summaries' content words that were the patient's
    lines: list[str]


class RubricResult(BaseModel):
    rubric_version: int
    engine: str  # "offline" or "llm:<model>"
    items: dict[str, ItemScore]
    total: int
    max_total: int
    fallback_reason: str | None = None  # set when the LLM judge was asked and the offline scores stand


class InterviewReport(BaseModel):
    version: int = REPORT_VERSION
    therapist_turns: int
    recognised_here: int = 0  # trainee messages recognised for the report (no stored moves)
    counts: Counts
    coverage: Coverage
    coverage_rows: list[CoverageRow]
    guided_discovery: GuidedDiscovery
    risk: RiskReading
    rubric: RubricResult

    def cli_json(self) -> dict:
        """The documented JSON of `python -m simulator interview-report --json`."""
        c, r = self.counts, self.risk
        return {
            "moves": {m: v.count for m, v in c.moves.items()},
            "open_questions": c.open_questions.count, "closed_questions": c.closed_questions.count,
            "reflections": c.reflections.count,
            "simple_reflections": c.simple_reflections.count,
            "complex_reflections": c.complex_reflections.count,
            "reflection_to_question_ratio": c.reflection_to_question_ratio,
            "turns": {k: getattr(c, k).turns for k in (
                "open_questions", "closed_questions", "reflections", "validations", "summaries",
                "psychoeducation", "judgemental_or_abrupt", "off_topic")},
            "coverage": {row.area: row.first_turn for row in self.coverage_rows},
            "risk": {
                "cues": [cue.model_dump() for cue in r.cues], "asked": r.asked,
                "first_asked_turn": r.first_asked_turn, "plan_asked": r.plan_asked,
                "intent_asked": r.intent_asked, "means_asked": r.means_asked,
                "history_asked": r.history_asked, "protective_asked": r.protective_asked,
                "disclosed_level": r.disclosed_level, "flag": r.flag, "next_steps": r.next_steps,
            },
            "guided_discovery": self.guided_discovery.model_dump(),
            "rubric": {k: v.model_dump() for k, v in self.rubric.items.items()},
            "rubric_total": self.rubric.total, "rubric_max": self.rubric.max_total,
            "rubric_version": self.rubric.rubric_version, "engine": self.rubric.engine,
        }


def coverage_rows(cov: Coverage) -> list[CoverageRow]:
    rows = []
    for area in AREAS:
        a = cov.areas[area]
        text = (say("coverage", "asked", turn=a.first_turn) if a.first_turn is not None
                else say("coverage", "never", ask=area_question(area)))
        rows.append(CoverageRow(area=area, label=area_label(area), first_turn=a.first_turn, turns=a.turns,
                                text=text))
    return rows


def guided_discovery(record: InterviewRecord, c: Counts, cov: Coverage) -> GuidedDiscovery:
    probes = cov.areas["meaning"].turns
    belief = min(cov.core_beliefs.values()) if cov.core_beliefs else None
    before = sum(1 for t in probes if belief is not None and t < belief) if belief is not None else None
    checked = [t for t in c.summaries.turns if t in c.checks_understanding.turns]
    own = None
    if c.summaries.turns:
        said: set[str] = set()
        for t in record.patient:
            said |= content_words(t.text)
        mine: set[str] = set()
        for t in record.therapist:
            if t.index + 1 in c.summaries.turns:
                mine |= content_words(t.text)
        own = round(len(mine & said) / len(mine), 2) if mine else None
    lines = []
    if belief is not None:
        lines.append(say("guided_discovery", "probes_before_belief", count=before, turn=belief))
    elif cov.has_states:
        lines.append(say("guided_discovery", "probes_no_belief", count=len(probes)))
    else:
        lines.append(say("guided_discovery", "probes_unknown", count=len(probes)))
    if checked:
        lines.append(say("guided_discovery", "summary_checked", turn=checked[0]))
    elif c.summaries.turns:
        lines.append(say("guided_discovery", "summary_unchecked", turns=", ".join(map(str, c.summaries.turns))))
    else:
        lines.append(say("guided_discovery", "no_summary"))
    return GuidedDiscovery(meaning_probes=probes, probes_before_belief=before, belief_turn=belief,
                           summaries=c.summaries.turns, checked_summaries=checked, own_words=own, lines=lines)


def offline_rubric(c: Counts, cov: Coverage, risk: RiskReading, rubric: CompetenceRubric) -> RubricResult:
    wanted = [i.id for i in rubric.items_of()]
    scored = score_items(c, cov, risk)
    unknown = set(wanted) - set(scored)
    if unknown:
        raise ValueError(f"the rubric names items the offline scorer does not know: {sorted(unknown)}")
    items = {k: scored[k] for k in wanted}
    return RubricResult(rubric_version=rubric.version, engine="offline", items=items,
                        total=sum(i.score for i in items.values()),
                        max_total=rubric.scale["max"] * len(items))


def interview_report(record: InterviewRecord, rubric: CompetenceRubric | None = None) -> InterviewReport:
    """The report, scored offline. (simulator/cbt/report/judge.py adds the LLM judge's rubric.)"""
    rubric = rubric or competence_rubric()
    c = count(record)
    cov = coverage(record)
    risk = read_risk(record, cov)
    return InterviewReport(
        therapist_turns=c.therapist_turns, recognised_here=record.recognised, counts=c, coverage=cov,
        coverage_rows=coverage_rows(cov), guided_discovery=guided_discovery(record, c, cov), risk=risk,
        rubric=offline_rubric(c, cov, risk, rubric),
    )
