"""A logistic regression the report stores in data/report/ (the risk-cue reader, the learned screening
decision), named by a fingerprint of what it learned from. It is loaded once and used only while the
fingerprint matches the current data; otherwise its owner's rule decides, and the log says why once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from simulator.cbt.report import risk_text


def fingerprint_of(settings: list, folders: list[Path]) -> str:
    """A stored model's name for what it learned from: its settings (and the recognisers it reads
    through, named by the caller), the risk statements and every graded transcript it read."""
    h = hashlib.sha256(":".join(str(x) for x in settings).encode())
    h.update(risk_text.BANK.read_bytes())
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


@dataclass
class StoredLogistic:
    coef: np.ndarray
    intercept: float
    fingerprint: str

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.stem + ".partial.npz")  # an interrupted save never leaves half a file
        np.savez(tmp, coef=self.coef, intercept=self.intercept, fingerprint=self.fingerprint)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path):
        with np.load(path) as d:
            return cls(d["coef"], float(d["intercept"]), str(d["fingerprint"]))


M = TypeVar("M", bound=StoredLogistic)


class Installed(Generic[M]):
    """The stored model of one kind when it was trained on the current data, else None (logged once)."""

    def __init__(self, kind: type[M], path: Callable[[], Path], fingerprint: Callable[[], str], *,
                 what: str, train: str, fallback: str, log: logging.Logger) -> None:
        self.kind, self.path, self.fingerprint = kind, path, fingerprint
        self.what, self.train, self.fallback, self.log = what, train, fallback, log
        self._lock = threading.Lock()
        self._state: dict[str, M | None] = {}

    def get(self) -> M | None:
        with self._lock:
            if "model" not in self._state:
                self._state["model"] = self._load_checked()
            return self._state["model"]

    def reset(self) -> None:
        with self._lock:
            self._state.clear()

    def _load_checked(self) -> M | None:
        path = self.path()
        if not path.exists():
            self.log.warning("no %s at %s: %s; run `%s` and restart the app", self.what, path, self.fallback,
                             self.train)
            return None
        try:
            model = self.kind.load(path)
        except Exception as err:  # a damaged file of any kind: logged, and the owner's rule decides
            self.log.error("unreadable %s %s (%s): %s", self.what, path, err, self.fallback, exc_info=err)
            return None
        if model.fingerprint != self.fingerprint():
            self.log.warning("the %s was trained on other transcripts, statements or moves: %s until `%s` is run "
                             "and the app restarted", self.what, self.fallback, self.train)
            return None
        return model
