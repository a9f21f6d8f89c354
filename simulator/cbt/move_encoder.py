"""The move classifier proper: the shipped sentence-embedding model fine-tuned on the move bank,
reading the trainee's message together with the patient's previous reply.

A frozen embedding of the message alone cannot see that "you felt you'd let everyone down"
restates what the patient just said, nor tell a jab from a validation by its context; fine-tuning
the encoder on (message, previous reply) pairs with one output per move did (5-fold split of the
bank, fold 0: macro-F1 0.890 against 0.845 for the ridge over frozen embeddings, thresholds at 0.5;
tuned-on data, for choosing the method only; the reported figures are the blind sets').
Averaged with the ridge model it did better still (0.911); simulator/cbt/moves.py does that.

Fine-tuning takes about a quarter of an hour on two cores, so it is an install step
(`python -m simulator prepare-models`, run by `make`), never a page's work. The result is exported
to ONNX in data/cache/ and run with onnxruntime like the embedding model. Without it (a bank
changed since the last `make`), recognition falls back to the ridge model and says so in the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from simulator.cbt.move_model import BANK_PATH, CACHE_DIR, MOVES, LabelledMessage, load_labelled
from simulator.core import embeddings

log = logging.getLogger(__name__)

MAX_TOKENS = 128  # message and previous reply together; the longer of the two is cut first
EPOCHS = 10
BATCH = 32
ENCODER_LR, HEAD_LR = 5e-5, 3e-3
SEED = 0
THREADS = 2  # fixed, not the machine's core count: the same bank gives the same model on any machine
# Bump when what build() computes changes in a way the constants above do not show.
RECIPE = "pair-mean-pool-bce-onecycle/1"

_lock = threading.Lock()
_session = None
_tokenizer = None


def training_key() -> str:
    """Everything the fine-tuned model depends on: the bank, the labels, the base model and the
    recipe. Not torch's version: run time does without torch, and a model trained with another
    version is still this recipe's model."""
    h = hashlib.sha256()
    h.update(BANK_PATH.read_bytes())
    h.update(",".join(MOVES).encode())
    h.update(embeddings.onnx_path().name.encode())
    h.update(f"{RECIPE}:{MAX_TOKENS}:{EPOCHS}:{BATCH}:{ENCODER_LR}:{HEAD_LR}:{SEED}:{THREADS}".encode())
    return h.hexdigest()[:16]


def model_path() -> Path:
    return CACHE_DIR / f"moves-encoder-{training_key()}.onnx"


def tokenizer():
    """The base model's fast tokenizer set up for (message, previous) pairs, one pair at a time."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(embeddings.model_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS, strategy="longest_first")
    tok.no_padding()
    return tok


def _inputs(tok, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    encoded = tok.encode_batch(pairs)
    width = max(len(e.ids) for e in encoded)

    def pad(rows):
        return np.array([r + [0] * (width - len(r)) for r in rows], dtype=np.int64)

    return {"input_ids": pad([e.ids for e in encoded]),
            "attention_mask": pad([e.attention_mask for e in encoded]),
            "token_type_ids": pad([e.type_ids for e in encoded])}


def build(items: list[LabelledMessage] | None = None, target: Path | None = None) -> Path:
    """Fine-tune on the bank (or `items`) and export to ONNX at `target` (default: the cache)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    items = load_labelled(BANK_PATH) if items is None else items
    target = model_path() if target is None else target
    start = time.perf_counter()
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")  # another process may build too
    torch.manual_seed(SEED)
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)

    class MoveClassifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(embeddings.model_dir()))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(MOVES))

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            # Mean over the message's own tokens: the previous reply informs them through attention.
            weights = (attention_mask * (token_type_ids == 0)).unsqueeze(-1).to(tokens.dtype)
            return self.head((tokens * weights).sum(1) / weights.sum(1).clamp(min=1.0))

    try:
        model = MoveClassifier()
        tok = tokenizer()
        pairs = [(i.text, i.previous or "") for i in items]
        y = torch.tensor([[m in i.labels for m in MOVES] for i in items], dtype=torch.float32)
        steps = EPOCHS * -(-len(items) // BATCH)
        optimiser = torch.optim.AdamW([{"params": model.encoder.parameters(), "lr": ENCODER_LR},
                                       {"params": model.head.parameters(), "lr": HEAD_LR}], weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[ENCODER_LR, HEAD_LR],
                                                       total_steps=steps, pct_start=0.1)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        rng = np.random.default_rng(SEED)
        model.train()
        for epoch in range(EPOCHS):
            order, total = rng.permutation(len(items)), 0.0
            for at in range(0, len(order), BATCH):
                chunk = order[at:at + BATCH]
                feed = {k: torch.from_numpy(v) for k, v in _inputs(tok, [pairs[i] for i in chunk]).items()}
                loss = loss_fn(model(**feed), y[torch.from_numpy(chunk)])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                total += loss.item() * len(chunk)
            log.info("move classifier epoch %d/%d: loss %.4f (%.0f s)", epoch + 1, EPOCHS,
                     total / len(items), time.perf_counter() - start)
        model.eval()
        sample = {k: torch.from_numpy(v) for k, v in _inputs(tok, [("How did that feel?", "Awful.")]).items()}
        target.parent.mkdir(parents=True, exist_ok=True)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on shape branches; checked by the tests
            torch.onnx.export(model, tuple(sample[n] for n in names), str(partial), input_names=names,
                              output_names=["logits"],
                              dynamic_axes={n: {0: "batch", 1: "length"} for n in names} | {"logits": {0: "batch"}},
                              opset_version=17, dynamo=False)
        partial.chmod(0o644)
        partial.replace(target)
    finally:
        torch.set_num_threads(threads)
        partial.unlink(missing_ok=True)  # a failed export leaves no 90 MB fragment
    log.info("move classifier fine-tuned on %d bank messages and exported to %s in %.0f s",
             len(items), target, time.perf_counter() - start)
    return target


def _load(path: Path):
    global _session, _tokenizer
    with _lock:
        if _session is None:
            _tokenizer = tokenizer()
            _session = embeddings.onnx_session(path)
    return _session


def logits(path: Path, message: str, previous: str) -> np.ndarray:
    """One logit per move (above 0: the move is there) for a message read after `previous`, from
    the classifier at `path` (loaded once per process)."""
    out = _load(path).run(None, _inputs(_tokenizer, [(message, previous)]))[0][0]
    if out.shape != (len(MOVES),):
        raise ValueError(f"{path.name} scores {out.shape[0]} moves, not {len(MOVES)}")
    return out
