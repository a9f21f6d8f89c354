"""The rubric of the interview report from an LLM judge (structured output), falling back to the
offline scores. The judge's rubric and instructions are in prompts/interview_judge_system.md and
prompts/interview_judge.md; which engine scored is stored with the report."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.cbt.interview import turn_number
from simulator.cbt.report.build import InterviewReport, RubricResult
from simulator.cbt.report.competence import CompetenceRubric
from simulator.cbt.report.record import InterviewRecord
from simulator.cbt.report.rubric import ItemScore
from simulator.core.settings import Settings
from simulator.llm.fallback import with_fallback

MAX_TRANSCRIPT_CHARS = 60_000  # a long session is cut from the middle, never at the start or end


class JudgedItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str
    score: int = Field(ge=0, le=6)
    evidence_turns: list[int] = Field(default=[], max_length=12)
    reason: str = Field(min_length=1, max_length=600)


class Judgement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[JudgedItem] = Field(min_length=1, max_length=20)

    @field_validator("items")
    @classmethod
    def _unique(cls, v: list[JudgedItem]) -> list[JudgedItem]:
        if len({i.id for i in v}) != len(v):
            raise ValueError("each rubric item is rated once")
        return v


def _items(rubric: CompetenceRubric) -> str:
    out = []
    for item in rubric.items_of():
        anchors = "; ".join(f"{k}: {v}" for k, v in sorted(item.anchors.items()))
        out.append(f"- {item.id} ({item.title}): {anchors}")
    return "\n".join(out)


def _signals(report: InterviewReport) -> str:
    c, r = report.counts, report.risk
    lines = [f"- trainee turns: {c.therapist_turns}; open questions {c.open_questions.count}, closed "
             f"{c.closed_questions.count}; reflections {c.reflections.count} ({c.complex_reflections.count} "
             f"complex); validations {c.validations.count}; summaries {c.summaries.count}",
             "- areas first asked: " + ", ".join(f"{row.area} {row.first_turn or 'never'}" for row in report.coverage_rows),
             f"- risk: asked {'at ' + ', '.join(map(str, r.asked_turns)) if r.asked else 'never'}; patient cues at "
             f"{', '.join(str(cue.turn) for cue in r.cues) or 'none'}"]
    return "\n".join(lines)


def _transcript(record: InterviewRecord) -> str:
    lines = [f"{turn_number(t.index)} {'T' if t.role == 'therapist' else 'P'}: {' '.join(t.text.split())}"
             for t in record.turns]
    text = "\n".join(lines)
    if len(text) <= MAX_TRANSCRIPT_CHARS:
        return text
    half = MAX_TRANSCRIPT_CHARS // 2
    return text[:half] + "\n[... the middle of the session is left out ...]\n" + text[-half:]


def llm_rubric(settings: Settings, record: InterviewRecord, report: InterviewReport,
               rubric: CompetenceRubric, caller=None) -> RubricResult:
    """The model's scores on every item. Raises on any failure (a missing or unknown item too)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from simulator.llm.client import structured
    from simulator.llm.templates import render

    messages = [
        SystemMessage(render("interview_judge_system")),
        HumanMessage(render("interview_judge", rubric_name=rubric.name, rubric_version=rubric.version,
                            items=_items(rubric), signals=_signals(report), transcript=_transcript(record),
                            session_kind="a first session with this patient" if record.first_session
                            else "a later session with this patient")),
    ]
    judged: Judgement = structured(settings.llm, Judgement, messages, caller)
    wanted = [i.id for i in rubric.items_of()]
    got = {i.id: i for i in judged.items}
    missing, unknown = set(wanted) - set(got), set(got) - set(wanted)
    if missing or unknown:
        raise ValueError(f"the judge's items do not match the rubric (missing {sorted(missing)}, "
                         f"unknown {sorted(unknown)})")
    last = turn_number(len(record.turns) - 1)
    items = {k: ItemScore(score=got[k].score, reason=got[k].reason,
                          evidence_turns=sorted({t for t in got[k].evidence_turns if 1 <= t <= last}))
             for k in wanted}
    return RubricResult(rubric_version=rubric.version, engine=f"llm:{settings.llm.model}", items=items,
                        total=sum(i.score for i in items.values()),
                        max_total=rubric.scale["max"] * len(items))


def judged(settings: Settings, record: InterviewRecord, report: InterviewReport,
           rubric: CompetenceRubric, caller=None) -> InterviewReport:
    """The report with the LLM judge's rubric when a model is configured and it answers; otherwise
    the offline rubric, carrying the reason the judge was not used. With a `caller`
    (simulator.modeluse.access.caller_for) the call is admitted and recorded like every other."""
    if not settings.uses_llm:
        return report
    rubric_result = with_fallback(
        "interview-report judge",
        lambda: llm_rubric(settings, record, report, rubric, caller),
        lambda why: report.rubric.model_copy(update={"fallback_reason": why[:500]}))
    return report.model_copy(update={"rubric": rubric_result})
