"""Logging, configured in one place: the level comes from PRACTICUM_LOG_LEVEL (default INFO).

Every module logs through `logging.getLogger(__name__)`; only the entry points (the app and the
CLI) call `configure`. Messages never carry passwords, tokens or a trainee's text.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "INFO") -> None:
    """Send the project's log records to stderr at `level`; safe to call on every rerun."""
    logger = logging.getLogger("simulator")
    logger.setLevel(level.upper())
    if not any(getattr(h, "_practicum", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._practicum = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
