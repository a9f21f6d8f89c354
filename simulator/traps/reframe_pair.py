"""The reframe checks' second reader: the embedding model fine-tuned on (reframe, thought and its
context) pairs, one output per check and six for the strategy (five strategies or none).

Whether a reframe answers the thought, keeps its details or brushes its feeling aside is a relation
between the two texts; the regression in reframe.py sees them as two embeddings, their product
and counts of shared words. Reading them together as a sentence pair did better on held-out
thoughts of the bank (fold 0, tuned on, for choosing the method only: accuracy 0.947 / 0.901 /
0.941 / 0.964 and strategy 0.753 for the blend below, against 0.891 / 0.865 / 0.898 / 0.924 and
0.635 for the regression alone). reframe.py blends the two.

Built at install (`python -m simulator prepare-models`, a few minutes on two cores) and stored with
int8 weights: a check in half the time, with the same accuracy on the read reframe sets (README,
"Reframe checks"). Without this classifier, or if it fails, the checks use the regression alone and
say so in the log.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulator.core import pair_encoder
from simulator.traps.reframe_labels import BANK_FILE, CRITERIA, NO_STRATEGY, STRATEGIES, load_reframes

CLASSES = (*STRATEGIES, NO_STRATEGY)  # the order of the regression's strategy model (build.py)
RECIPE = pair_encoder.Recipe(name="reframe-thought-pair/1", outputs=len(CRITERIA) + len(CLASSES),
                             max_tokens=160, epochs=4, by_length=True, int8=True)


def context(thought: str, situation: str) -> str:
    return f"{thought.strip()} {situation.strip()}".strip()


def model_path() -> Path:
    """Named by the bank, the labels, the base model and the recipe."""
    return pair_encoder.cache_path("reframe-encoder", RECIPE, BANK_FILE.read_bytes(), ",".join((*CRITERIA, *CLASSES)))


installed = pair_encoder.Installed(RECIPE, lambda: model_path(), "reframe classifier")


def build(rows: list[dict] | None = None, target: Path | None = None) -> Path:
    """Fine-tune on the reframe bank (or `rows` in its shape) and export."""
    import torch

    rows = load_reframes(BANK_FILE) if rows is None else rows
    met = torch.tensor([[float(r["labels"][c]) for c in CRITERIA] for r in rows])
    strategy = torch.tensor([CLASSES.index(r["labels"]["strategy"] or NO_STRATEGY) for r in rows])
    n = len(CRITERIA)

    def loss(logits, idx):
        return (torch.nn.functional.binary_cross_entropy_with_logits(logits[:, :n], met[idx])
                + torch.nn.functional.cross_entropy(logits[:, n:], strategy[idx]))

    pairs = [(r["reframe"], context(r["thought"], r.get("context", ""))) for r in rows]
    return pair_encoder.finetune(pairs, loss, RECIPE, target or model_path(), "reframe classifier")


def judge(thoughts: list[str], reframes: list[str], contexts: list[str], path: Path | None = None
          ) -> tuple[np.ndarray, np.ndarray] | None:
    """(probability each check is met, strategy probabilities in CLASSES order), or None when the
    classifier is not built or failed. `path`: another build of it (tests)."""
    pairs = [(r, context(t, c)) for t, r, c in zip(thoughts, reframes, contexts)]
    logits = installed.runner.logits(path, pairs) if path else installed.logits(pairs)
    if logits is None:
        return None
    n = len(CRITERIA)
    return pair_encoder.sigmoid(logits[:, :n]), pair_encoder.softmax(logits[:, n:])
