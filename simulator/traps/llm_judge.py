"""The LLM paths of the detector and the reframe checker: structured output via simulator.llm.

simulator.traps.engine calls these and falls back to the offline path on any exception raised
here. This module imports the detector and the reframe checker for their result types only.
"""

from __future__ import annotations

from typing import Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from simulator.core.settings import LLMSettings
from simulator.llm.client import structured
from simulator.llm.templates import render
from simulator.llm.usage import Caller
from simulator.traps.detector import Detection, PatternScore
from simulator.traps.patterns import name_of, pattern_ids, patterns
from simulator.traps.reframe import STRATEGIES, Criterion, ReframeFeedback

PatternId = Literal[
    "catastrophizing", "discounting_the_positive", "overgeneralization", "personalization",
    "all_or_nothing", "mental_filtering", "mind_reading", "fortune_telling", "should_statements",
    "labeling",
]
PASS_SCORE = 0.5  # a pattern the model scores at least this clearly is part of its decision
StrategyId = Literal["growth_mindset", "optimism", "impermanence", "neutralizing", "self_affirmation"]


class _Score(BaseModel):
    pattern: PatternId
    score: float = Field(ge=0.0, le=1.0)


class LLMDetection(BaseModel):
    scores: list[_Score]
    none: bool


class _Judgement(BaseModel):
    ok: bool
    why: str


class LLMReframe(BaseModel):
    addresses_thought: _Judgement
    realistic: _Judgement
    keeps_context: _Judgement
    honours_feeling: _Judgement
    strategy: StrategyId | None = None


def _pattern_list() -> str:
    return "\n".join(f"- {p.id}: {p.name}. {p.definition}" for p in patterns().values())


def detect_llm(text: str, settings: LLMSettings, caller: Caller | None = None) -> Detection:
    if set(PatternId.__args__) != set(pattern_ids()):
        raise ValueError("the LLM schema and data/traps/patterns.json name different patterns")
    answer = structured(settings, LLMDetection, [
        SystemMessage(render("traps_detect", patterns=_pattern_list())),
        HumanMessage(text),
    ], caller)
    given = {s.pattern: s.score for s in answer.scores}
    none = answer.none or not any(v >= PASS_SCORE for v in given.values())
    ranked = sorted(pattern_ids(), key=lambda p: -given.get(p, 0.0))
    return Detection(
        text=text, none=none, engine=settings.model,
        patterns=[PatternScore(pattern=p, name=name_of(p), score=round(given.get(p, 0.0), 4), threshold=PASS_SCORE,
                               passes=not none and given.get(p, 0.0) >= PASS_SCORE)
                  for p in ranked])


def reframe_llm(thought: str, reframe: str, context: str, examples: list[str],
                settings: LLMSettings, caller: Caller | None = None) -> ReframeFeedback:
    answer = structured(settings, LLMReframe, [
        SystemMessage(render("traps_reframe", strategies=", ".join(STRATEGIES))),
        HumanMessage(render("traps_reframe_input", context=context or "(none given)", thought=thought,
                            reframe=reframe)),
    ], caller)

    def crit(j: _Judgement) -> Criterion:
        return Criterion(ok=j.ok, detail=j.why)

    return ReframeFeedback(
        thought=thought, reframe=reframe, addresses_thought=crit(answer.addresses_thought),
        realistic=crit(answer.realistic), keeps_context=crit(answer.keeps_context),
        honours_feeling=crit(answer.honours_feeling), strategy=answer.strategy,
        strategy_name=STRATEGIES.get(answer.strategy or "", "No clear strategy"),
        examples=examples, engine=settings.model)
