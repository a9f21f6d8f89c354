"""Text utilities every feature shares: splitting prose into sentences and counting them, and
refusing an evaluation set that shares a text with a training set."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

ABBREVIATIONS = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Prof|Jr|Sr|vs|etc|e\.g|i\.e|a\.m|p\.m)\.",
                            re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]\u201d]))\s+")
# How a sentence ends: stops or an ellipsis, perhaps inside closing quotes or brackets. Shared with the
# streaming code, which cuts replies at sentence ends. (An ellipsis does not split a case's sentences:
# "I… I just can't." is one hesitant sentence.)
SENTENCE_STOP = r"[.!?\u2026]+[\"'\u201d\u2019)\]]*"
_ENDED = re.compile(SENTENCE_STOP + "$")

_DAYS_AND_MONTHS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december".split())


def lower_first(text: str, names: Iterable[str] = ()) -> str:
    """The first letter in lower case, to continue a sentence with `text`; unless the first word is "I" ("I'm",
    "I've"), an acronym ("UK", "GP"), a day or month ("Fridays") or one of `names`."""
    word = re.match(r"[\w']+", text)
    if not word:
        return text
    first = word.group(0)
    keep = (first.split("'", 1)[0] == "I" or first in names or text[1:2].isupper()
            or first.lower().rstrip("s") in _DAYS_AND_MONTHS)
    return text if keep else text[:1].lower() + text[1:]


def listing(items: list[str]) -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# "(s)" and "(ies)" in a sentence agree with the count placed before them ("1 meaning question",
# "0 turns", "1 summary"): a placeholder and at most four words, with no punctuation between. Resolved
# in the wording, before the values go in, so a quoted line among the values is never changed.
_PLURAL = re.compile(r"\{(\w+)\}((?:\s+[A-Za-z'-]+){0,3}?\s+[A-Za-z'-]+?)(y?)\((s|ies)\)")


def _in_number(template: str, values: dict) -> str:
    """The template with each "(s)" / "(ies)" agreeing with the count before it."""
    def agree(match: re.Match) -> str:
        name, words, y, ending = match.groups()
        if str(values.get(name)) == "1":
            return f"{{{name}}}{words}{y}"
        return f"{{{name}}}{words}{'ies' if ending == 'ies' else y + 's'}"

    return _PLURAL.sub(agree, template)


def agreeing(template: str, **values) -> str:
    """`template` filled with `values`, its plurals agreeing: agreeing("{n} reveal(s)", n=1) == "1 reveal"."""
    return _in_number(template, values).format(**values)


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
                out.append(part if _ENDED.search(part) else part + ".")
    return out


def count_sentences(text: str) -> int:
    """How many sentences a reply has, counted the way a reader would."""
    text = ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", ""), text)
    return sum(1 for part in _SENTENCE_END.split(text.strip()) if re.search(r"[^\W\d_]", part))


# ---------------------------------------------------------------- same text in two sets

_APOSTROPHES = str.maketrans("", "", "'`\u2018\u2019\u02bc")
_LETTERS_AND_DIGITS = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    """The runs of letters and digits of a text, in lower case and without accents
    ("Don’t  worry, café!" -> dont, worry, cafe)."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return _LETTERS_AND_DIGITS.findall("".join(c for c in text if not unicodedata.combining(c)).casefold())


def text_key(text: str) -> str:
    """The form two texts are compared in to decide they are the same text: its words of letters and
    digits, single-spaced, so case, accents, quotes and apostrophes, punctuation and spacing do not
    count ("Don’t  worry!" and "dont worry" share a key). A text with no letter or digit (an emoji)
    is kept as written, less spaces."""
    return " ".join(_words(text)) or "".join(text.split())


def refuse_overlap(evaluation: Iterable[tuple[str, str | Iterable[str]]], training: Iterable[tuple[str, str]],
                   what: str, *, error: Callable[[str], Exception] = ValueError, min_words: int = 0,
                   most: int = 20) -> None:
    """Raise `error` when an evaluation item shares a text with what a scorer was trained, tuned or
    calibrated on: a figure on trained-on text would flatter.

    evaluation: (label, text) per item, e.g. ("moves_a.jsonl item 3", message); an item may give
    several texts (a message and its long sentences) and is refused when any of them is in training.
    training: (where, text), e.g. ("bank.jsonl item 12", text) or ("the risk statements", text).
    what: the training side as the message names it ("the thinking-trap training bank").
    Texts are compared by `text_key`; blank ones, and with `min_words` those of fewer words (short
    lines such as "Mm." are common to any two sets), are not compared. The message names each
    refused item and where its text was found, never the text itself (a blind set's stays unread).
    """
    def compared(text: str) -> str | None:
        key = text_key(text)
        return key if key and (not min_words or len(_words(text)) >= min_words) else None

    seen: dict[str, list[str]] = {}
    for where, text in training:
        key = compared(text)
        if key is not None and where not in seen.setdefault(key, []):
            seen[key].append(where)
    found = []
    for label, texts in evaluation:
        places: list[str] = []
        for text in [texts] if isinstance(texts, str) else texts:
            places += [p for p in seen.get(compared(text), ()) if p not in places]
        if places:
            found.append(f"{label}: also in {', '.join(places)}")
    if found:
        more = [f"... and {len(found) - most} more"] if len(found) > most else []
        raise error(f"{len(found)} evaluation item(s) also appear in {what}, so the evaluation is refused "
                    "(compared word by word: case, accents, quotes and apostrophes, punctuation and "
                    "spacing do not count); take each out of one set or the other:\n  "
                    + "\n  ".join(found[:most] + more))
