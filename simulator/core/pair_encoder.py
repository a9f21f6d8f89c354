"""The shipped sentence-embedding model fine-tuned to read a text together with its context (the
message and the reply it answers), with one output per label; trained once at install, run with
onnxruntime.

A frozen embedding of a text alone cannot see what the text answers: a reflection restates what
was just said, and a counter-attack is one only against the line before it. Fine-tuning the encoder
on (text, context) pairs lets attention read the two together. The move recogniser, the DEAR MAN
rater and the reframe checks each train one (`python -m simulator prepare-models`); training takes
minutes on two cores, so it is a build step, never a page's work.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.core import dblock, embeddings
from simulator.core.settings import DATA_DIR

log = logging.getLogger(__name__)

CACHE_DIR = DATA_DIR / "cache"
# How the DEAR MAN rater and the reframe checks mix a fine-tuned classifier with their regression:
# its share, and the one threshold every blended decision then uses. Chosen on fold 0 of the DEAR
# MAN bank (tuned on) and kept for the reframe checks, where it measured about as well as an even
# mix; the move recogniser measured best at an even mix and keeps its own (cbt/moves.py).
BLEND_WEIGHT = 0.7
BLEND_THRESHOLD = 0.5
POOL_BATCHES = 50  # batching by length sorts pools of this many batches, not the whole epoch


@dataclass(frozen=True)
class Recipe:
    """How a classifier is trained. Everything here goes into its cache key."""

    name: str  # bump when the training code changes in a way the numbers below do not show
    outputs: int
    max_tokens: int  # text and context together; the longer of the two is cut first
    epochs: int
    batch: int = 32
    encoder_lr: float = 5e-5
    head_lr: float = 3e-3
    seed: int = 0
    # Fixed, not the machine's core count: the same data gives the same model on any machine.
    threads: int = 2
    # Share of training pairs read without their context in each epoch, so that the text itself
    # must carry the decision where it can (a question is one whatever it follows).
    context_dropout: float = 0.0
    # Batches of pairs of similar length: far less padding, so an epoch of long and short texts
    # together takes a fraction of the time; the batches still come in random order.
    by_length: bool = False
    # Weights stored as int8, one scale per output channel (onnxruntime's dynamic quantisation): the
    # move classifier runs in about 40% of the float time, a whole reframe check in under half, with
    # the same figures on their read sets (README, "Move recognition" and "Reframe checks").
    int8: bool = False

    def key(self) -> str:
        # The number of outputs is not here: each classifier's key hashes its own labels. The
        # later options join the key only when set, so the builds made without them stay valid.
        extra = "".join([f":drop{self.context_dropout}" if self.context_dropout else "",
                         ":by-length" if self.by_length else "", ":int8" if self.int8 else ""])
        return (f"{self.name}:{self.max_tokens}:{self.epochs}:{self.batch}:"
                f"{self.encoder_lr}:{self.head_lr}:{self.seed}:{self.threads}{extra}")


@contextmanager
def building() -> Iterator[None]:
    """One process at a time builds the fine-tuned classifiers: a second `prepare-models` (two
    installs, or `make test` beside `make run`) waits, then finds them built instead of spending
    the same forty minutes on both cores again."""
    with dblock.file_lock(CACHE_DIR / "building.lock",
                          "another process is building the fine-tuned classifiers; waiting for it"):
        yield


def cache_path(prefix: str, recipe: Recipe, *data: str | bytes) -> Path:
    """Where the classifier trained by `recipe` on `data` (its bank, its labels) is kept: named by a
    hash of the data, the base embedding model and the recipe, so a change to any builds a new one."""
    h = hashlib.sha256()
    for part in data:
        h.update(part if isinstance(part, bytes) else part.encode())
    h.update(embeddings.onnx_path().name.encode())
    h.update(recipe.key().encode())
    return CACHE_DIR / f"{prefix}-{h.hexdigest()[:16]}.onnx"


def prune(current: Path) -> list[Path]:
    """Remove the builds of the same classifier for earlier data beside `current` (a fine-tuned one
    is 23-90 MB; every bank change adds one), and the partial files of its builds that were killed,
    and return them. A process that loaded an old build keeps
    it in memory; a process looking one up now asks for `current`."""
    prefix = current.name.rsplit("-", 1)[0]
    earlier = [p for p in current.parent.glob(f"{prefix}-*{current.suffix}") if p != current]
    abandoned = embeddings.abandoned_partials(current.parent, f"{prefix}-*{current.suffix}")
    # The glob also matches longer prefixes ("moves-encoder-x-…"): only this classifier's files go.
    return embeddings.remove([p for p in earlier + abandoned if p.name.rsplit("-", 1)[0] == prefix],
                             "a build for earlier data or one that was killed")


def blend(regression: dict, fine: dict, weight: float = BLEND_WEIGHT) -> dict:
    """Per-head probabilities mixed: `weight` for the fine-tuned classifier."""
    return {h: (1.0 - weight) * regression[h] + weight * fine[h] for h in regression}


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def tokenizer(max_tokens: int):
    """The base model's fast tokenizer set up for (text, context) pairs."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(embeddings.model_dir() / "tokenizer.json"))
    tok.enable_truncation(max_tokens, strategy="longest_first")
    tok.no_padding()
    return tok


def inputs(tok, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    encoded = tok.encode_batch(pairs)
    width = max(len(e.ids) for e in encoded)

    def pad(rows):
        return np.array([r + [0] * (width - len(r)) for r in rows], dtype=np.int64)

    return {"input_ids": pad([e.ids for e in encoded]),
            "attention_mask": pad([e.attention_mask for e in encoded]),
            "token_type_ids": pad([e.type_ids for e in encoded])}


# loss(logits of a batch, the batch's row numbers) -> a scalar tensor
Loss = Callable[[object, object], object]


def finetune(pairs: list[tuple[str, str]], loss: Loss, recipe: Recipe, target: Path, what: str) -> Path:
    """Fine-tune the embedding model on `pairs` and export it to ONNX at `target`.

    Needs torch and transformers (installed for the build, not used at run time)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    start = time.perf_counter()
    partial = embeddings.partial_path(target)
    torch.manual_seed(recipe.seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(recipe.threads)

    class PairClassifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(embeddings.model_dir()))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, recipe.outputs)

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            # Mean over the text's own tokens: the context informs them through attention.
            weights = (attention_mask * (token_type_ids == 0)).unsqueeze(-1).to(tokens.dtype)
            return self.head((tokens * weights).sum(1) / weights.sum(1).clamp(min=1.0))

    try:
        model = PairClassifier()
        tok = tokenizer(recipe.max_tokens)
        steps = recipe.epochs * -(-len(pairs) // recipe.batch)
        optimiser = torch.optim.AdamW([{"params": model.encoder.parameters(), "lr": recipe.encoder_lr},
                                       {"params": model.head.parameters(), "lr": recipe.head_lr}],
                                      weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[recipe.encoder_lr, recipe.head_lr],
                                                       total_steps=steps, pct_start=0.1)
        rng = np.random.default_rng(recipe.seed)
        lengths = np.array([len(e.ids) for e in tok.encode_batch(pairs)]) if recipe.by_length else None
        model.train()
        for epoch in range(recipe.epochs):
            total = 0.0
            for chunk in _batches(rng, len(pairs), recipe.batch, lengths):
                batch = [pairs[i] for i in chunk]
                if recipe.context_dropout:  # drawn only then: a recipe without it trains as it always did
                    bare = rng.random(len(chunk)) < recipe.context_dropout
                    batch = [(text, "") if b else (text, context) for (text, context), b in zip(batch, bare)]
                feed = {k: torch.from_numpy(v) for k, v in inputs(tok, batch).items()}
                value = loss(model(**feed), torch.from_numpy(chunk))
                optimiser.zero_grad()
                value.backward()
                optimiser.step()
                schedule.step()
                total += value.item() * len(chunk)
            log.info("%s epoch %d/%d: loss %.4f (%.0f s)", what, epoch + 1, recipe.epochs,
                     total / len(pairs), time.perf_counter() - start)
        model.eval()
        sample = {k: torch.from_numpy(v) for k, v in inputs(tok, [("How did that feel?", "Awful.")]).items()}
        target.parent.mkdir(parents=True, exist_ok=True)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on shape branches; checked by the tests
            torch.onnx.export(model, tuple(sample[n] for n in names), str(partial), input_names=names,
                              output_names=["logits"],
                              dynamic_axes={n: {0: "batch", 1: "length"} for n in names} | {"logits": {0: "batch"}},
                              opset_version=17, dynamo=False)
        if recipe.int8:
            quantise(partial)
        partial.chmod(0o644)
        partial.replace(target)
    finally:
        torch.set_num_threads(threads)
        partial.unlink(missing_ok=True)  # a failed export leaves no 90 MB fragment
    log.info("%s fine-tuned on %d pairs and exported to %s in %.0f s", what, len(pairs), target,
             time.perf_counter() - start)
    return target


def quantise(path: Path) -> None:
    """Rewrite the model at `path` with int8 weights, one scale per output channel: its logits stay
    closest to the float model's (moves: mean difference 0.17 against 0.51 with one scale per matrix).
    On failure the float model is left at `path`, for the caller to keep or remove."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.quant_utils import add_pre_process_metadata

    model = onnx.load(str(path))
    # Marked as pre-processed: onnxruntime's shape-inference pass changed no logit of the move
    # classifier (largest difference 0.0 over 560 bank pairs), and unmarked it warns on every build.
    add_pre_process_metadata(model)
    root = logging.getLogger()
    relay = _Relay(logging.WARNING)
    root.addHandler(relay)
    try:
        quantize_dynamic(model, path, per_channel=True, weight_type=QuantType.QInt8)
    finally:
        root.removeHandler(relay)


class _Relay(logging.Handler):
    """onnxruntime logs with logging.warning() and logging.info() on the root logger; with no handler
    there, those calls give it one (basicConfig) and every later line of the build prints twice. While
    it quantises, its warnings are passed on to this module's log instead."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "root":  # not our own records reaching the root logger: they would loop
            log.log(record.levelno, "onnxruntime: %s", record.getMessage())


def _batches(rng: np.random.Generator, n: int, size: int, lengths: np.ndarray | None) -> list[np.ndarray]:
    """One epoch's batches of row numbers. With `lengths`: shuffled, cut into pools of
    POOL_BATCHES batches, each pool sorted by length and cut into batches, and the batches
    shuffled. Every pool but the last is whole batches, so an epoch has as many batches either way
    (the learning-rate schedule is sized for that many steps)."""
    order = rng.permutation(n)
    if lengths is None:
        return [order[at:at + size] for at in range(0, n, size)]
    batches = []
    for start in range(0, n, size * POOL_BATCHES):
        pool = order[start:start + size * POOL_BATCHES]
        pool = pool[np.argsort(lengths[pool], kind="stable")]
        batches += [pool[at:at + size] for at in range(0, len(pool), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


class Runner:
    """A fine-tuned classifier in use: loaded once per process on first use, shared by threads
    (an onnxruntime session may run from several threads at once)."""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self._lock = threading.Lock()
        self._sessions: dict[Path, object] = {}
        self._tokenizer = None

    def _session(self, path: Path):
        with self._lock:
            if path not in self._sessions:
                self._tokenizer = self._tokenizer or tokenizer(self.recipe.max_tokens)
                self._sessions[path] = embeddings.onnx_session(path)
            return self._sessions[path]

    def forget(self) -> None:
        with self._lock:
            self._sessions.clear()

    def logits(self, path: Path, pairs: list[tuple[str, str]]) -> np.ndarray:
        """(len(pairs), outputs) logits from the classifier at `path`."""
        session = self._session(path)
        out = session.run(None, inputs(self._tokenizer, pairs))[0]
        if out.ndim != 2 or out.shape[1] != self.recipe.outputs:
            raise ValueError(f"{path.name} has {out.shape[-1]} outputs, not {self.recipe.outputs}")
        return out


class BuiltFile:
    """A file built at install time for the current data (`model_path()` names it), looked up once
    per process. While it is missing, that is said once in the log and the feature goes on without
    it; it is looked for again every RECHECK_SECONDS: `make run` serves while it is built in the
    background, and the running app takes it up once it is there, without a restart."""

    RECHECK_SECONDS = 30.0

    def __init__(self, model_path: Callable[[], Path], what: str):
        self.model_path = model_path
        self.what = what
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._wanted: Path | None = None  # named by the data at the first look (a hash of the bank)
        self._looked_at = 0.0  # monotonic time of the last look for a missing file
        self._broken = False

    def reset(self) -> None:
        """Look the file up again (after a build, or in tests)."""
        with self._lock:
            self._wanted, self._looked_at, self._broken, self._path = None, 0.0, False, None

    def broken(self) -> bool:
        """The file failed: go on without it from now on. True the first time (say why then)."""
        with self._lock:
            first, self._broken = not self._broken, True
        return first

    def found(self) -> Path | None:
        """The built file, or None while it is missing or after it failed."""
        with self._lock:
            if self._path is None and not self._broken:
                first = self._wanted is None
                if first or time.monotonic() - self._looked_at >= self.RECHECK_SECONDS:
                    # The name hashes the bank: computed once; a later look only asks for the file.
                    self._wanted = self._wanted or self.model_path()
                    self._looked_at = time.monotonic()
                    if self._wanted.exists():
                        self._path = self._wanted
                        if not first:
                            log.info("the %s is built now (%s): using it", self.what, self._path.name)
                    elif first:
                        log.warning("the %s is not built for this data (%s): going on without it "
                                    "until it is; run `python -m simulator prepare-models`", self.what,
                                    self._wanted.name)
            return None if self._broken else self._path


class Installed(BuiltFile):
    """A fine-tuned classifier as a feature uses it. When it is missing or fails, `logits` gives
    None, said once in the log, and the feature goes on with its regression alone."""

    def __init__(self, recipe: Recipe, model_path: Callable[[], Path], what: str):
        super().__init__(model_path, f"fine-tuned {what}")
        self.runner = Runner(recipe)

    def reset(self) -> None:
        super().reset()
        self.runner.forget()

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray | None:
        path = self.found()
        if path is None or not pairs:
            return None
        try:
            return self.runner.logits(path, pairs)
        except Exception as err:
            # A corrupt or mismatched file must not stop the feature: say so once, go on without it.
            if self.broken():
                log.error("the %s failed (%s); going on without it from now on", self.what, err, exc_info=err)
            return None
