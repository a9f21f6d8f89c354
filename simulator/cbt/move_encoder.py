"""The move classifier proper: the shipped sentence-embedding model fine-tuned on the move bank,
reading the trainee's message together with the patient's previous reply.

A frozen embedding of the message alone cannot see that "you felt you'd let everyone down"
restates what the patient just said, nor tell a jab from a validation by its context; fine-tuning
the encoder on (message, previous reply) pairs with one output per move did (5-fold split of the
bank, fold 0: macro-F1 0.890 against 0.845 for the ridge over frozen embeddings, thresholds at 0.5;
tuned-on data, for choosing the method only; the reported figures are the blind sets').
Averaged with the ridge model it did better still (0.911); simulator/cbt/moves.py does that.

Fine-tuning (simulator/core/pair_encoder.py) takes about a quarter of an hour on two cores (batches
of similar length: 798 s with the bank of 5,833, where random batches took 1,913 s on a machine of
the same kind), so it
is an install step (`python -m simulator prepare-models`, run by `make`), never a page's work. The
result is exported to ONNX in data/cache/ with int8 weights, which read a live message in about 40% of
the float model's time with the same figures on the read move sets (README, "The move classifier in
int8"), and run with onnxruntime like the embedding model. Without it (a bank
changed since the last `make`), recognition falls back to the ridge model and says so in the log.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulator.cbt.move_model import MOVES, LabelledMessage, bank_bytes, load_bank
from simulator.core import pair_encoder

RECIPE = pair_encoder.Recipe(name="pair-mean-pool-bce-onecycle/1", outputs=len(MOVES), max_tokens=128, epochs=3,
                             context_dropout=0.2, by_length=True, int8=True)


def model_path() -> Path:
    """Named by everything the fine-tuned model depends on: the bank, the labels, the base model
    and the recipe. Not torch's version: run time does without torch, and a model trained with
    another version is still this recipe's model."""
    return pair_encoder.cache_path("moves-encoder", RECIPE, bank_bytes(), ",".join(MOVES))


def build(items: list[LabelledMessage] | None = None, target: Path | None = None) -> Path:
    """Fine-tune on the bank (or `items`) and export to ONNX at `target` (default: the cache)."""
    import torch

    items = load_bank() if items is None else items
    y = torch.tensor([[m in i.labels for m in MOVES] for i in items], dtype=torch.float32)
    bce = torch.nn.BCEWithLogitsLoss()
    return pair_encoder.finetune([(i.text, i.previous or "") for i in items], lambda out, rows: bce(out, y[rows]),
                                 RECIPE, model_path() if target is None else target, "move classifier")


installed = pair_encoder.Installed(RECIPE, lambda: model_path(), "move classifier")


def logits(message: str, previous: str, path: Path | None = None) -> np.ndarray | None:
    """One logit per move (above 0: the move is there) for a message read after `previous`; None
    when the classifier is not built or failed (logged once). `path`: another build of it (tests)."""
    pairs = [(message, previous)]
    out = installed.runner.logits(path, pairs) if path else installed.logits(pairs)
    return None if out is None else out[0]
