"""The one filter every streamed reply passes through before the trainee sees it.

It holds back a short window of words, so that a reply that starts repeating a long verbatim run
of something it must not say (a field of the case the speaker is not ready to share, a [tag], the
private note) or that stops playing the person (a refusal, "as an AI", a crisis-line paragraph in
place of the answer) is caught before any of that run is shown. The reply is cut there, retried
once with a reminder (continuing from what was already shown), and if the retry is caught too,
ended with a neutral in-character line. Every catch is logged with its reason and counted.

It knows nothing of patients: the caller gives the texts to block, the texts that may be spoken
even where they overlap a blocked one, how to start a retry, and the neutral line.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from simulator.core.errors import EngineError
from simulator.core.settings import DATA_DIR
from simulator.core.text import SENTENCE_STOP

log = logging.getLogger(__name__)

RUN_WORDS = 6  # a verbatim run this long of a blocked text is a leak
HOLD_WORDS = RUN_WORDS  # words held back while streaming: a run is caught before its first word shows
CatchKind = Literal["leak", "character"]
_WORD = re.compile(r"[\w']+")
_SENTENCE_END = re.compile(SENTENCE_STOP + r"\s+")


@lru_cache(maxsize=1)
def character_breaks() -> tuple[re.Pattern[str], ...]:
    raw = json.loads((DATA_DIR / "guard" / "character_breaks.json").read_text(encoding="utf-8"))
    return tuple(re.compile(p, re.IGNORECASE) for p in raw["patterns"])


def _words(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) for every word of `text`."""
    return [(m.group(0).lower().replace("\u2019", "'"), m.start(), m.end())
            for m in _WORD.finditer(text.replace("\u2019", "'"))]


def _ngrams(texts: Iterable[str], n: int) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for text in texts:
        words = [w for w, _, _ in _words(text)]
        out.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    return out


@dataclass(frozen=True)
class Catch:
    kind: CatchKind
    start: int  # offset in the reply where the offending text begins
    reason: str


class ReplyGuard:
    """What one reply must not contain."""

    def __init__(self, blocked: Iterable[str] = (), speakable: Iterable[str] = (),
                 tags: Iterable[str] = (), phrases: Iterable[str] = (),
                 run_words: int = RUN_WORDS) -> None:
        self.run_words = run_words
        self.blocked = _ngrams(blocked, run_words) - _ngrams(speakable, run_words)
        # Short texts blocked whole, at any length up to the window (a checklist label).
        self.phrases = {tuple(w for w, _, _ in _words(p)) for p in phrases}
        self.phrases = {p for p in self.phrases if 0 < len(p) <= HOLD_WORDS}
        names = sorted({t.strip("[]").lower() for t in tags if t.strip("[]")})
        self.tag = re.compile(r"\[\s*(?:" + "|".join(map(re.escape, names)) + r")\s*\]",
                              re.IGNORECASE) if names else None

    def resume_at(self, text: str) -> int:
        """Where the next scan of a longer `text` may start: far enough back to see a run or a
        pattern that began in what was already scanned."""
        words = _words(text)
        return words[-HOLD_WORDS][1] if len(words) > HOLD_WORDS else 0

    def scan(self, text: str, start: int = 0) -> Catch | None:
        """The earliest problem in `text` at or after offset `start` (a word start), if any."""
        found: list[Catch] = []
        words = [w for w in _words(text[start:])]
        words = [(w, a + start, b + start) for w, a, b in words]
        n = self.run_words
        for i in range(len(words) - n + 1):
            gram = tuple(w for w, _, _ in words[i:i + n])
            if gram in self.blocked:
                found.append(Catch("leak", words[i][1], "a verbatim run of a blocked text: "
                                   + " ".join(gram)))
                break
        for size in sorted({len(p) for p in self.phrases}):
            for i in range(len(words) - size + 1):
                gram = tuple(w for w, _, _ in words[i:i + size])
                if gram in self.phrases:
                    found.append(Catch("leak", words[i][1], "a blocked phrase: " + " ".join(gram)))
                    break
        if self.tag and (m := self.tag.search(text, start)):
            found.append(Catch("leak", m.start(), f"a tag: {m.group(0)}"))
        for pattern in character_breaks():
            if m := pattern.search(text, start):
                found.append(Catch("character", m.start(), f"out of character: {m.group(0)!r}"))
        return min(found, key=lambda c: c.start) if found else None

    def safe_end(self, text: str, final: bool) -> int:
        """How much of `text` may be shown: all of it at the end, else all but the last words."""
        if final:
            return len(text)
        words = _words(text)
        if len(words) <= HOLD_WORDS:
            return 0
        return words[-HOLD_WORDS][1]


@dataclass
class GuardStats:
    """Counts for the bench and the logs; shared by the threads of one engine."""

    replies: int = 0
    leaks: int = 0
    breaks: int = 0
    retries: int = 0
    fallbacks: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("replies", "leaks", "breaks", "retries", "fallbacks")}


# start(reminder kind or None, text already shown) -> the streamed text of one attempt
Starter = Callable[[CatchKind | None, str], Iterator[str]]


def _joined(shown: str, more: str) -> str:
    if shown and more and not shown[-1].isspace() and not more[0].isspace():
        return " " + more
    return more


def guarded_stream(start: Starter, guard: ReplyGuard, neutral: Callable[[], str],
                   stats: GuardStats | None = None) -> Iterator[str]:
    """Stream a reply through `guard`: cut at a catch, retry once, then a neutral line.

    An EngineError from the stream is raised again with `partial` set to exactly what this
    generator has yielded (the held-back words that passed the guard are shown first).
    """
    stats = stats or GuardStats()
    stats.add(replies=1)
    shown = ""
    reminder: CatchKind | None = None
    for attempt in range(2):
        base = shown  # what was on screen when this attempt began
        received = ""
        catch: Catch | None = None
        resume = 0  # offset in this attempt's text from which the next scan starts
        stream = start(reminder, shown)
        try:
            for chunk in stream:
                received += chunk
                text = base + _joined(base, received)
                own = text[len(base):]
                catch = guard.scan(own, resume)
                if catch:
                    break
                resume = guard.resume_at(own)
                end = guard.safe_end(text, final=False)
                if end > len(shown):
                    out, shown = text[len(shown):end], text[:end]
                    yield out
        except EngineError as err:
            text = base + _joined(base, received)
            rest = text[len(shown):] if not guard.scan(text[len(base):]) else ""
            if rest:
                shown += rest
                yield rest
            raise EngineError(err.user_message, partial=shown) from err
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()  # stops the server generating what will never be shown
        text = base + _joined(base, received)
        if catch is None:
            rest = text[len(shown):]
            if rest:
                shown += rest
                yield rest
            return
        stats.add(**{"leaks" if catch.kind == "leak" else "breaks": 1})
        log.warning("streamed reply caught (attempt %d): %s", attempt + 1, catch.reason)
        # Show the clean words before the catch, back to the last sentence end.
        clean = text[:len(base) + catch.start]
        ends = [m.end() for m in _SENTENCE_END.finditer(clean) if m.end() > len(shown)]
        if ends:
            out, shown = clean[len(shown):ends[-1]], clean[:ends[-1]]
            yield out
        if attempt == 0:
            stats.add(retries=1)
            log.info("retrying the reply once with a reminder (%s)", catch.kind)
            reminder = catch.kind
    stats.add(fallbacks=1)
    line = neutral()
    log.warning("the retry was caught too: ending the reply with a neutral line")
    yield _joined(shown, line) if shown else line
