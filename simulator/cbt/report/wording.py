"""The report's wording (data/report/wording.json), loaded once."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from simulator.core.settings import DATA_DIR

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


# "(s)" and "(ies)" in a sentence agree with the count placed before them ("1 meaning question",
# "0 turns", "1 summary"): a placeholder and at most four words, with no punctuation between. Resolved
# in the wording, before the values go in, so a quoted patient line is never changed.
_PLURAL = re.compile(r"\{(\w+)\}((?:\s+[A-Za-z'-]+){0,3}?\s+[A-Za-z'-]+?)(y?)\((s|ies)\)")


def _in_number(template: str, values: dict) -> str:
    def agree(match: re.Match) -> str:
        name, words, y, ending = match.groups()
        if str(values.get(name)) == "1":
            return f"{{{name}}}{words}{y}"
        return f"{{{name}}}{words}{'ies' if ending == 'ies' else y + 's'}"

    return _PLURAL.sub(agree, template)


def say(section: str, key: str, **values) -> str:
    return _in_number(wording()[section][key], values).format(**values)
