"""Text utilities every feature shares: splitting prose into sentences and counting them."""

from __future__ import annotations

import re

ABBREVIATIONS = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Prof|Jr|Sr|vs|etc|e\.g|i\.e|a\.m|p\.m)\.",
                            re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]\u201d]))\s+")

def split_sentences(text: str) -> list[str]:
    """Sentences of a case field; enumerations like "(1)" and blank lines are dropped."""
    text = re.sub(r"\[[^\]]*\]", " ", text)  # editorial tags such as "[during depression]"
    text = re.sub(r"\(\d+\)\s*", "", text)
    text = ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\0"), text)
    out = []
    for line in re.split(r"\n+", text):
        for part in _SENTENCE_END.split(line.strip()):
            part = part.replace("\0", ".").strip()
            if re.search(r"[^\W\d_]", part):
                out.append(part if part[-1] in ".!?\"'" else part + ".")
    return out


def count_sentences(text: str) -> int:
    """How many sentences a reply has, counted the way a reader would."""
    text = ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", ""), text)
    return sum(1 for part in _SENTENCE_END.split(text.strip()) if re.search(r"[^\W\d_]", part))
