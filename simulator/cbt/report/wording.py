"""The report's wording (data/report/wording.json), loaded once."""

from __future__ import annotations

import json
from functools import lru_cache

from simulator.core.settings import DATA_DIR
from simulator.core.text import agreeing

WORDING_PATH = DATA_DIR / "report" / "wording.json"


@lru_cache(maxsize=1)
def wording() -> dict:
    return json.loads(WORDING_PATH.read_text(encoding="utf-8"))


def area_question(area: str) -> str:
    return wording()["areas"][area]["ask"]


def area_label(area: str) -> str:
    return wording()["areas"][area]["label"]


def aspect_label(aspect: str) -> str:
    return wording()["aspects"][aspect]["label"]


def aspect_question(aspect: str) -> str:
    return wording()["aspects"][aspect]["ask"]


def level_words(level: str) -> str:
    return wording()["levels"][level]


def say(section: str, key: str, **values) -> str:
    return agreeing(wording()[section][key], **values)
