"""Narrative feedback on a scored formulation: always offline, and from an LLM judge when one is set.

The offline narrative is built from the score and the evidence, so it always exists. With
settings.uses_llm a model writes a second one through structured output; if that fails in
any way, the offline one stands alone and carries the reason. Neither changes the numbers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.cbt.formulation.evidence import wording
from simulator.cbt.formulation.rubric import FieldName, Rubric
from simulator.cbt.formulation.scoring import (
    FIELD_ORDER,
    LABELS,
    Formulation,
    FormulationScore,
)
from simulator.core.settings import Settings
from simulator.llm.fallback import with_fallback
from simulator.llm.usage import Caller


class FieldComment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: FieldName
    comment: str = Field(min_length=1, max_length=800)


class Narrative(BaseModel):
    """What a supervisor would write under the scores."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    summary: str = Field(min_length=1, max_length=1500)
    strengths: list[str] = Field(default=[], max_length=5)
    improvements: list[FieldComment] = Field(default=[], max_length=8)
    next_interview: list[str] = Field(default=[], max_length=5)

    @field_validator("strengths", "next_interview")
    @classmethod
    def _short_items(cls, v: list[str]) -> list[str]:
        v = [s.strip() for s in v if s and s.strip()]
        if any(len(s) > 600 for s in v):
            raise ValueError("each item is at most 600 characters")
        return v

    @field_validator("improvements")
    @classmethod
    def _one_per_field(cls, v: list[FieldComment]) -> list[FieldComment]:
        seen: dict[str, FieldComment] = {}
        for c in v:
            seen.setdefault(c.field, c)
        return list(seen.values())


class JudgeResult(BaseModel):
    engine: str  # "offline" or "llm:<model>"
    narrative: Narrative
    fallback_reason: str | None = None  # set on the offline result when the LLM judge failed


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return f"\u201c{text if len(text) <= limit else text[:limit - 1] + '…'}\u201d"


def offline_narrative(trainee: Formulation, score: FormulationScore, rubric: Rubric) -> Narrative:
    """Built from the score and the evidence's one verdict per element, with its wording from
    data/report/formulation_wording.json; the next-interview advice is the evidence's."""
    w = wording()["narrative"]
    ev = score.evidence
    captured = [f.label for f in score.fields if f.level >= 2]
    summary = w["total"].format(total=f"{score.total:g}")
    if captured:
        summary += w["captured"].format(fields=", ".join(captured))
    if ev is not None and ev.gap_points:
        summary += w["gaps"].format(points=f"{ev.gap_points:g}")
    if ev is not None and ev.total_on_surfaced is not None:
        summary += w["on_surfaced"].format(score=f"{ev.total_on_surfaced:g}")

    strengths = [f"{f.label}: {f.descriptor}" for f in score.fields if f.level >= 2][:5]
    improvements: list[FieldComment] = []
    for f in score.fields:
        if f.level >= 2 and not (f.closed and f.closed.extras):
            continue
        mine = [e for e in ev.elements if e.field == f.field] if ev is not None else []
        parts: list[str] = []
        if mine and all(e.status == "never_surfaced" for e in mine):
            parts.append(w["gap_field"])
        for e in [e for e in mine if e.status == "missed"][:2]:
            q = e.quotes[0]
            parts.append(w["missed_quote"].format(turn=q.turn, quote=_quote(q.text)))
        if f.closed:
            if f.closed.misses:
                parts.append(w["missing"].format(items="; ".join(m.rstrip(".") for m in f.closed.misses)))
            if f.closed.extras:
                parts.append(w["extras"].format(items="; ".join(x.rstrip(".") for x in f.closed.extras)))
        elif not getattr(trainee, f.field):
            parts.append(w["empty"])
        else:
            parts.append(w["level"].format(level=f"{f.level:g}", descriptor=f.descriptor))
        improvements.append(FieldComment(field=f.field, comment=" ".join(parts)[:800]))

    next_interview = [a.text for a in ev.advice][:5] if ev is not None else []
    return Narrative(summary=summary, strengths=strengths, improvements=improvements[:8],
                     next_interview=next_interview)


def _diagram(f: Formulation) -> str:
    lines = []
    for name in FIELD_ORDER:
        value = getattr(f, name)
        shown = "; ".join(value) if isinstance(value, list) else value
        lines.append(f"- {LABELS[name]}: {shown or '(empty)'}")
    return "\n".join(lines)


def _scores(score: FormulationScore) -> str:
    out = []
    for f in score.fields:
        extra = ""
        if f.closed:
            extra = (f" (F1 {f.closed.f1:.2f}; missing: {'; '.join(f.closed.misses) or 'none'}; "
                     f"extra: {'; '.join(f.closed.extras) or 'none'})")
        out.append(f"- {f.label}: level {f.level:g}{extra}")
    return "\n".join(out)


def _evidence(score: FormulationScore) -> str:
    if score.evidence is None:
        return "(no transcript)"
    ev = score.evidence
    out = [f"- {LABELS[e.field]} ({e.element}): {e.status.replace('_', ' ')}. {e.sentence}" for e in ev.elements]
    asked = ", ".join(f"{a} at turn {t}" for a, t in ev.asked.items() if t) or "none"
    never = ", ".join(a for a, t in ev.asked.items() if not t) or "none"
    out.append(f"- Areas the interview asked about: {asked}. Never asked: {never}.")
    return "\n".join(out)


def llm_narrative(settings: Settings, trainee: Formulation, reference: Formulation,
                  score: FormulationScore, caller: Caller | None = None) -> Narrative:
    """Ask the configured model for a Narrative. Raises on any failure."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from simulator.llm.client import structured
    from simulator.llm.templates import render

    messages = [
        SystemMessage(render("formulation_judge_system")),
        HumanMessage(render("formulation_judge", reference=_diagram(reference),
                            trainee=_diagram(trainee), total=f"{score.total:g}",
                            scores=_scores(score), evidence=_evidence(score))),
    ]
    return structured(settings.llm, Narrative, messages, caller)  # validated against Narrative already


def judge(settings: Settings, trainee: Formulation, reference: Formulation,
          score: FormulationScore, rubric: Rubric, caller: Caller | None = None) -> list[JudgeResult]:
    """The offline narrative, plus the LLM judge's when settings ask for it and it succeeds.

    With a `caller`, the model is used only when the exercise may use it for that account now.
    """
    offline = JudgeResult(engine="offline", narrative=offline_narrative(trainee, score, rubric))
    if not settings.uses_llm:
        return [offline]
    return with_fallback(
        "formulation judge",
        lambda: [offline, JudgeResult(engine=f"llm:{settings.llm.model}",
                                      narrative=llm_narrative(settings, trainee, reference, score, caller))],
        lambda why: [offline.model_copy(update={"fallback_reason": why[:500]})])
