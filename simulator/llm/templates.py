"""Prompt templates from prompts/, rendered with string.Template (`$name` / `${name}`).

The prose lives in the template files; this module only fills in values.
"""

from __future__ import annotations

import json
from functools import lru_cache
from string import Template

from pydantic import BaseModel

from simulator.core.settings import PROMPTS_DIR


class PromptError(ValueError):
    """A template is missing, or its placeholders and the given values do not match."""


@lru_cache(maxsize=64)
def _template(name: str) -> Template:
    for suffix in (".md", ".txt"):
        path = PROMPTS_DIR / f"{name}{suffix}"
        if path.is_file():
            return Template(path.read_text(encoding="utf-8"))
    raise PromptError(f"no prompt template {name!r} (.md or .txt) in {PROMPTS_DIR}")


def render(name: str, /, **values: object) -> str:
    """Fill template `name` from prompts/ with `values`; every placeholder must be given, and only those."""
    template = _template(name)
    if not template.is_valid():
        raise PromptError(f"prompt template {name!r} has a malformed placeholder (use $$ for a dollar sign)")
    wanted = set(template.get_identifiers())
    missing = sorted(wanted - values.keys())
    extra = sorted(values.keys() - wanted)
    if missing or extra:
        raise PromptError(f"prompt template {name!r}: missing values {missing}, unknown values {extra}")
    return template.substitute({k: str(v) for k, v in values.items()})


def max_words(max_reply_tokens: int) -> int:
    """Words the prompt allows: about three words per four tokens, so the stream cut rarely fires."""
    return max(10, int(max_reply_tokens * 0.7))


def json_mode_instruction(schema: type[BaseModel]) -> str:
    """For servers that only offer JSON mode: the schema has to be spelled out in the prompt."""
    return render("structured_json_mode", schema=json.dumps(schema.model_json_schema(), indent=1))
