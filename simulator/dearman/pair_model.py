"""The DEAR MAN sentence classifier that reads each sentence with what it answers: the embedding
model fine-tuned on (sentence, the other person's last line and the goal) pairs, with the same
heads as the logistic regression in classifier.py (three levels per strategy; judged, off the
goal, gives up, hedges).

Whether a sentence is a counter-attack or a return to the goal depends on the line it answers;
the regression sees the two only as separate embeddings and their closeness, and more bank
messages of the same kind did not move its Mindful figure. Blended with the regression (the rater
does that), the pair reading did better on held-out situations of the bank (the figures are beside
`classifier.PAIR_WEIGHT`; tuned on, for choosing the method only).

Fine-tuning takes several minutes on two cores, so it is an install step (`python -m simulator
prepare-models`, run by `make`). Without it, or if it fails, the rater uses the regression alone
and says so in the log.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

from simulator.core import pair_encoder
from simulator.dearman.classifier import FLAG_HEADS, HEADS, training_fingerprint, units
from simulator.dearman.schema import STRATEGIES

# Float, not int8 as the move and reframe classifiers: in int8 its figures on the read batches held,
# but two rater tests failed (README, "Reframe checks", 2026-12-06). Three epochs since the bank grew by
# half with writers R-AD (2026-12-07): the build grew by about a fifth (1,120 s against 949 s, both
# beside another job), not by half.
RECIPE = pair_encoder.Recipe(name="dearman-sentence-context/1", outputs=3 * len(STRATEGIES) + len(FLAG_HEADS),
                             max_tokens=96, epochs=3)


def context(goal: str, partner_last: str) -> str:
    """What a sentence is read with: the other person's last line, then the goal."""
    parts = []
    if partner_last:
        parts.append(f"They said: {partner_last}")
    if goal:
        parts.append(f"Goal: {goal}")
    return " ".join(parts)


def model_path() -> Path:
    """Named by the bank and exemplars (the regression's fingerprint), the code that turns them into
    labelled sentences and scores them (a change there alone must not reuse an old build), the base model
    and the recipe."""
    code = "".join(inspect.getsource(f) for f in (units, context, _loss))
    return pair_encoder.cache_path("dearman-encoder", RECIPE, training_fingerprint(), code)


installed = pair_encoder.Installed(RECIPE, lambda: model_path(), "DEAR MAN classifier")


def _loss(labels: np.ndarray):
    """Cross-entropy per strategy and binary cross-entropy per flag, each over the sentences that
    have that label (exemplars carry one label only)."""
    import torch

    y = torch.from_numpy(labels)
    n = len(STRATEGIES)

    def loss(logits, rows):
        batch = y[rows]
        total = logits.new_zeros(())
        for k in range(n):
            target = batch[:, k]
            keep = target >= 0
            if keep.any():
                total = total + torch.nn.functional.cross_entropy(logits[keep, 3 * k:3 * k + 3], target[keep])
        flags = batch[:, n:].to(logits.dtype)
        known = (flags >= 0).to(logits.dtype)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 3 * n:], flags.clamp(min=0),
                                                                   reduction="none")
        return total + (bce * known).sum() / known.sum().clamp(min=1.0)

    return loss


def build(messages=None, target: Path | None = None) -> Path:
    """Fine-tune on the bank's sentences and the exemplars (or on `messages` alone) and export."""
    from simulator.dearman.bank import default_messages

    u = units(tuple(messages if messages is not None else default_messages()), with_exemplars=messages is None)
    pairs = [(t, context(g, p)) for t, g, p in zip(u.texts, u.goals, u.partners)]
    labels = np.array([[u.labels[h][i] for h in HEADS] for i in range(len(pairs))], dtype=np.int64)
    return pair_encoder.finetune(pairs, _loss(labels), RECIPE, target or model_path(), "DEAR MAN classifier")


def proba_from_logits(logits: np.ndarray) -> dict[str, np.ndarray]:
    """The heads' probabilities in the shape of classifier.Model.sentence_proba."""
    out = {skill: pair_encoder.softmax(logits[:, 3 * k:3 * k + 3]) for k, skill in enumerate(STRATEGIES)}
    base = 3 * len(STRATEGIES)
    out |= {flag: pair_encoder.sigmoid(logits[:, base + j]) for j, flag in enumerate(FLAG_HEADS)}
    return out


def sentence_proba(sentences: list[str], goal: str, partner_last: str, path: Path | None = None
                   ) -> dict[str, np.ndarray] | None:
    """Per-sentence probabilities, or None when the classifier is not built or failed (logged once;
    the rater then uses the regression alone). `path`: another build of it (tests)."""
    ctx = context(goal, partner_last)
    pairs = [(s, ctx) for s in sentences]
    logits = installed.runner.logits(path, pairs) if path else installed.logits(pairs)
    return None if logits is None else proba_from_logits(logits)
