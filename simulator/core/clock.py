"""The one clock every stored timestamp comes from: UTC, timezone-aware."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def now_iso() -> str:
    """The current time as stored in the database (ISO 8601, UTC)."""
    return now().isoformat()
