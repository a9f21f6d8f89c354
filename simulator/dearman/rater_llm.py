"""The LLM rater: structured output with the rubric from prompts/ and the nearest exemplars as
demonstrations. Any failure (server down, malformed JSON, a schema mismatch) falls back to the
offline rater, and the result says so.

Whether the call may go to the model at all (the admin's choice, the notice, the daily cap) is
decided by the model client, once per call, as for every exercise; a refusal also falls back to
the offline rater, with the refusal's own plain words."""

from __future__ import annotations

import logging

import numpy as np

from simulator.core.settings import LLMSettings
from simulator.dearman.exemplars import Bank, default_bank
from simulator.dearman.prompts import rater_messages
from simulator.dearman.rater_offline import OfflineRater, default_rater
from simulator.dearman.schema import SKILLS, MessageContext, Rating, SkillRatings
from simulator.llm.fallback import with_fallback
from simulator.llm.usage import Caller
from simulator.modeluse.access import LLMUnavailable

log = logging.getLogger(__name__)

DEMOS_PER_SKILL = 2
FALLBACK_NOTE = "The model's feedback could not be used ({why}); this is the offline rater's feedback."


def nearest_examples(message: str, bank: Bank, per_skill: int = DEMOS_PER_SKILL) -> list[tuple[str, str, str]]:
    from simulator.core import embeddings

    vec = embeddings.encode_one(message)
    out = []
    for skill in SKILLS:
        sims = bank.vectors(skill) @ vec
        for i in np.argsort(-sims)[:per_skill]:
            ex = bank.examples[skill][int(i)]
            out.append((skill, ex.level, ex.text))
    return out


class LLMRater:
    def __init__(self, settings: LLMSettings, offline: OfflineRater | None = None,
                 caller: Caller | None = None) -> None:
        self.settings = settings
        self.offline = offline or default_rater()
        self.caller = caller

    def rate(self, ctx: MessageContext) -> Rating:
        from simulator.llm import client as llm

        def messages():  # built by the client once the call is admitted: no examples for a refused call
            return rater_messages(ctx, nearest_examples(ctx.message, default_bank()))

        def model() -> Rating:
            try:
                value = llm.structured(self.settings, SkillRatings, messages, self.caller)
            except LLMUnavailable as refused:  # not a failure: the plain reason, as the page would say it
                log.info("DEAR MAN rating by the offline rater: %s", refused.user_message)
                return self._offline(ctx, refused.user_message)
            return Rating(ratings=value, engine=self.settings.model)  # validated by llm.structured

        return with_fallback("DEAR MAN rating", model,
                             lambda why: self._offline(ctx, FALLBACK_NOTE.format(why=why.rstrip("."))))

    def _offline(self, ctx: MessageContext, why: str) -> Rating:
        return Rating(ratings=self.offline.rate(ctx), engine="offline", fallback_reason=why)


class OfflineRaterAdapter:
    """The offline rater behind the same `rate(ctx) -> Rating` interface as the LLM rater."""


    def __init__(self, rater: OfflineRater | None = None) -> None:
        self.rater = rater or default_rater()

    def rate(self, ctx: MessageContext) -> Rating:
        return Rating(ratings=self.rater.rate(ctx), engine="offline")


def get_rater(settings, engine: str | None = None, caller: Caller | None = None):
    """The rater for these settings: the LLM one when the engine is "llm", else offline."""
    if (engine or settings.engine) == "llm":
        return LLMRater(settings.llm, caller=caller)
    return OfflineRaterAdapter()


