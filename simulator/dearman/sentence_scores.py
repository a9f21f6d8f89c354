"""What the DEAR MAN sentence classifiers say about each sentence of a message: the regression
(classifier.py) blended with the fine-tuned pair classifier (pair_model.py) when it is built. The
rater decides from these; the whole-message model (whole_message.py) learns from them."""

from __future__ import annotations

import numpy as np

from simulator.core import pair_encoder
from simulator.dearman import features, pair_model
from simulator.dearman.classifier import BLEND_THRESHOLDS, MessageScores, Model, combine
from simulator.dearman.features import sentences
from simulator.dearman.schema import MessageContext


def score(ctx: MessageContext, model: Model, with_pair_model: bool = True
          ) -> tuple[list[str], MessageScores, dict, bool]:
    """The message's sentences, the classifiers' scores, the thresholds that go with them, and
    whether the fine-tuned classifier took part (False while it is not built or has failed)."""
    from simulator.core import embeddings

    parts = sentences(ctx.message)
    vecs = embeddings.encode(parts)
    goal = np.repeat(embeddings.encode_one(ctx.goal)[None, :], len(parts), axis=0)
    partner = (np.repeat(embeddings.encode_one(ctx.partner_last)[None, :], len(parts), axis=0)
               if ctx.partner_last else np.zeros_like(vecs))
    x = features.matrix(parts, vecs, goal, partner)
    proba, th = model.sentence_proba(x), model.thresholds
    fine = pair_model.sentence_proba(parts, ctx.goal, ctx.partner_last) if with_pair_model else None
    if fine is None:
        return parts, combine(proba), th, False
    return parts, combine(pair_encoder.blend(proba, fine)), BLEND_THRESHOLDS, True
