"""What a user may type into a conversation: not empty, and not longer than the limit."""

from __future__ import annotations

MAX_MESSAGE_CHARS = 2000


class MessageRejected(ValueError):
    """A message the trainee typed that cannot be sent; the text says why."""


def check_message(text: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise MessageRejected("Your message is empty. Type what you would say to the patient.")
    if len(cleaned) > MAX_MESSAGE_CHARS:
        raise MessageRejected(
            f"Your message is {len(cleaned):,} characters; the limit is {MAX_MESSAGE_CHARS:,}. "
            "Shorten it and send it again (your text is kept below)."
        )
    return cleaned
