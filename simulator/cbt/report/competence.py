"""The CBT competence rubric (data/rubrics/cbt_competence.json): supervisors grade with it on
Review, and the interview report scores it. Versions only ever add items: version v is every
item added at or before v, and a grade keeps the version it was given under."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from simulator.core.settings import DATA_DIR

RUBRIC_PATH = DATA_DIR / "rubrics" / "cbt_competence.json"


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: str
    anchors: dict[str, str]
    since: int = 1  # the rubric version that added this item


class CompetenceRubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    about: str = Field(default="", alias="_about")
    name: str
    version: int = 1
    scale: dict[str, int]
    versions: dict[str, str] = {}
    items: list[RubricItem]

    def items_of(self, version: int | None = None) -> list[RubricItem]:
        """The items of `version` (default: the current one)."""
        v = self.version if version is None else version
        return [i for i in self.items if i.since <= v]

    def title(self, item_id: str) -> str:
        return next((i.title for i in self.items if i.id == item_id), item_id)


@lru_cache(maxsize=1)
def competence_rubric() -> CompetenceRubric:
    return CompetenceRubric.model_validate_json(RUBRIC_PATH.read_text("utf-8"))
