"""Conversational styles as behaviour parameters (data/styles.json), not prompt sentences."""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from simulator.cbt.vocab import STYLES, Style
from simulator.core.settings import DATA_DIR


class StyleParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Style
    description: str
    sentences: int = Field(ge=1, le=12)  # typical reply length
    evasiveness: float = Field(ge=0, le=1)  # chance to dodge a question before rapport is built
    tangent: float = Field(ge=0, le=1)  # chance to drift off topic
    resistance: float = Field(ge=0, le=1)  # chance to push back on the therapist
    agreement: float = Field(ge=0, le=1)  # chance to agree and minimise
    shows_in: float = Field(ge=0, le=1)  # share of turns where the style shows at all
    # Other names for the same style (PATIENT-Ψ's descriptive names): an import reads them as this
    # style without calling them near misses.
    also_called: tuple[str, ...] = ()

    def strength(self, rapport: float) -> float:
        """How strongly the style shows now: it softens as trust grows."""
        return max(0.0, 1.0 - 0.6 * rapport)


@lru_cache(maxsize=1)
def all_styles() -> dict[str, StyleParams]:
    raw = json.loads((DATA_DIR / "styles.json").read_text(encoding="utf-8"))
    styles = {name: StyleParams(name=name, **params) for name, params in raw.items()}
    missing = set(STYLES) - set(styles)
    if missing:
        raise ValueError(f"data/styles.json lacks styles: {sorted(missing)}")
    return styles


def style_params(style: str) -> StyleParams:
    return all_styles()[style]


def style_synonyms() -> dict[str, str]:
    """Another name of a style (case-folded, spaces collapsed) -> the style."""
    out: dict[str, str] = {}
    for name, params in all_styles().items():
        for other in params.also_called:
            key = " ".join(other.casefold().split())
            if key in out or key in STYLES:
                raise ValueError(f"data/styles.json: {other!r} names more than one style")
            out[key] = name
    return out
