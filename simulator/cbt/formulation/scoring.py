"""A trainee's case formulation (the diagram of one situation) and its offline score.

One schema, `Formulation`, is used by the form, the store, the CLI and the scorer. Scoring follows
the rubric in data/rubrics/formulation.json: closed lists by exact precision/recall/F1, free text by
sentence-embedding similarity mapped to the rubric's 0-2 levels with calibrated thresholds.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.cbt.case import PatientCase
from simulator.cbt.formulation.rubric import FIELD_ORDER, FieldName, Rubric, load_rubric
from simulator.cbt.vocab import (
    CORE_BELIEFS,
    EMOTIONS,
    Emotion,
    HelplessBelief,
    UnlovableBelief,
    WorthlessBelief,
)
from simulator.core.text import ABBREVIATIONS

MAX_FIELD_CHARS = 2000
CoreBelief = Literal[HelplessBelief, UnlovableBelief, WorthlessBelief]
TEXT_FIELDS: tuple[str, ...] = ("situation", "automatic_thoughts", "behavior",
                                "intermediate_beliefs", "coping_strategies", "history")
LIST_FIELDS: tuple[str, ...] = ("emotions", "core_beliefs")
LABELS: dict[str, str] = {
    "situation": "Situation", "automatic_thoughts": "Automatic thoughts", "emotions": "Emotions",
    "behavior": "Behaviour", "core_beliefs": "Core beliefs",
    "intermediate_beliefs": "Intermediate beliefs", "coping_strategies": "Coping strategies",
    "history": "Relevant history",
}


class FormulationRejected(ValueError):
    """Input that cannot be accepted; `problems` are sentences fit to show the trainee."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class Formulation(BaseModel):
    """The diagram as the trainee fills it in. Every field may be empty in a draft."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    situation: str = ""
    automatic_thoughts: str = ""
    emotions: list[Emotion] = []
    behavior: str = ""
    core_beliefs: list[CoreBelief] = []
    intermediate_beliefs: str = ""
    coping_strategies: str = ""
    history: str = ""

    @field_validator(*TEXT_FIELDS)
    @classmethod
    def _not_too_long(cls, v: str, info) -> str:
        if len(v) > MAX_FIELD_CHARS:
            raise ValueError(f"{LABELS[info.field_name]} is {len(v):,} characters; the limit is "
                             f"{MAX_FIELD_CHARS:,}. Shorten it (your text is kept).")
        return v

    @field_validator(*LIST_FIELDS)
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


def parse_formulation(data: Any) -> Formulation:
    """Validate raw input (a dict from a form or a JSON file); raise FormulationRejected with
    one readable sentence per problem."""
    if isinstance(data, Formulation):
        return data
    if not isinstance(data, dict):
        raise FormulationRejected(["A formulation is a JSON object with the fields of the diagram."])
    try:
        return Formulation.model_validate(data)
    except ValidationError as err:
        raise FormulationRejected(_problems(err)) from None


def _problems(err: ValidationError) -> list[str]:
    out: list[str] = []
    for e in err.errors():
        loc = e["loc"]
        field = str(loc[0]) if loc else ""
        label = LABELS.get(field, field)
        if e["type"] == "extra_forbidden":
            out.append(f"'{field}' is not a field of the diagram (the fields are "
                       f"{', '.join(FIELD_ORDER)}).")
        elif e["type"] == "literal_error" and field == "emotions":
            out.append(f"{e['input']!r} is not on the list of emotions; choose from: "
                       f"{'; '.join(EMOTIONS)}.")
        elif e["type"] == "literal_error" and field == "core_beliefs":
            out.append(f"{e['input']!r} is not on the list of core beliefs; choose from: "
                       f"{' '.join(CORE_BELIEFS)}")
        elif e["type"] == "value_error":
            out.append(str(e["ctx"]["error"]))
        elif e["type"] == "list_type":
            out.append(f"{label} must be a list of labels from the closed list.")
        elif e["type"] == "string_type":
            out.append(f"{label} must be text.")
        else:
            out.append(f"{label}: {e['msg']}.")
    return list(dict.fromkeys(out))


def reference_for(case: PatientCase, situation_index: int) -> Formulation:
    """The expert formulation of one situation of a case: what the trainee is scored against."""
    if not 0 <= situation_index < len(case.situations):
        raise ValueError(f"{case.name} has no situation {situation_index + 1}")
    s = case.situations[situation_index]
    model = case.model_for(situation_index)  # the situation's own beliefs, rules and coping
    rules = model.intermediate_beliefs
    if model.intermediate_beliefs_depression:
        rules = f"{rules} {model.intermediate_beliefs_depression}"
    # Built without the trainee's length limit: a case's own text is never refused.
    return Formulation.model_construct(
        situation=s.situation, automatic_thoughts=s.automatic_thoughts, emotions=list(s.emotions),
        behavior=s.behavior, core_beliefs=list(model.core_beliefs), intermediate_beliefs=rules,
        coping_strategies=model.coping_strategies, history=model.history,
    )


# -- text into sentences ----------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*•·]+|\d+[.)])\s*")
_END = re.compile(r"(?<=[.!?;])[\"')\]”’]*\s+")


def sentences(text: str) -> list[str]:
    """Sentences (and bullet points, and clauses split by ';') of a free-text field."""
    out = []
    for line in (text or "").splitlines():
        line = ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\0"), _BULLET.sub("", line))
        for part in _END.split(line.strip()):
            # A clause cut at ';' keeps no ';' of its own: feedback quotes it back to the trainee.
            part = part.replace("\0", ".").strip().rstrip("; ")
            if re.search(r"[^\W\d_]", part):
                out.append(part)
    return out


# -- embeddings with a per-text cache, encoded in one batch -----------------------------------

# The case speaks in the first person, trainees write in the third; personal pronouns are dropped
# before encoding so "He said" and "I said" compare as the same statement (calibration showed the
# levels agree better with a supervisor's this way).
_PRONOUNS = re.compile(r"\b(i|me|my|mine|myself|he|she|him|her|hers|his|himself|herself|i'm|i've|"
                       r"i'd|i'll|he's|she's|he'd|she'd)\b", re.IGNORECASE)


def neutral(text: str) -> str:
    return re.sub(r"\s+", " ", _PRONOUNS.sub(" ", text)).strip() or text

_cache: dict[str, np.ndarray] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 20000


def embed(texts: list[str]) -> np.ndarray:
    """Unit-norm embeddings; texts seen before (reference and transcript lines) are not re-encoded."""
    from simulator.core import embeddings

    with _cache_lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    if missing:
        vectors = embeddings.encode([neutral(t) for t in missing])
        with _cache_lock:
            if len(_cache) > _CACHE_MAX:
                _cache.clear()
            _cache.update(zip(missing, vectors))
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    with _cache_lock:
        return np.stack([_cache[t] for t in texts])


# -- results ----------------------------------------------------------------------------------

class ClosedListScore(BaseModel):
    precision: float
    recall: float
    f1: float
    hits: list[str]
    misses: list[str]  # in the reference, not chosen
    extras: list[str]  # chosen, not in the reference


class SentenceMatch(BaseModel):
    trainee: str
    reference: str
    similarity: float


class FieldScore(BaseModel):
    field: FieldName
    label: str
    kind: Literal["free_text", "closed_list"]
    weight: float
    level: float  # 0-2 on the rubric's scale (closed lists: 2 x F1)
    points: float  # weight x level / 2
    descriptor: str  # the rubric's descriptor for the level reached
    similarity: float | None = None  # free text: combined similarity to the reference
    specificity: float | None = None  # free text: similarity minus the other cases' (sets the level)
    coverage: float | None = None  # free text: how much of the reference the trainee's text covers
    precision: float | None = None  # free text: how much of the trainee's text is in the reference
    closed: ClosedListScore | None = None
    matches: list[SentenceMatch] = []  # best reference sentence for each trainee sentence


class Quote(BaseModel):
    turn: int  # evidence version 2: the turn number shown beside the message (version 1: its index)
    text: str  # the patient's sentence
    similarity: float | None = None
    source: Literal["disclosure", "similarity", "words"]  # the engine's record, embeddings, or label words


# One verdict per element of the reference (evidence version 2); version 1 also had "inferred".
ElementStatus = Literal["captured", "partly", "missed", "never_surfaced", "inferred"]
FieldStatus = str  # a field's main badge: an ElementStatus or "extra" (version 1: other names)


class ElementEvidence(BaseModel):
    """Where one element of the reference came up in the interview, and whether the trainee has it."""

    element: str  # an Element, or for core beliefs and emotions the label itself
    field: FieldName
    reference: str
    surfaced: bool
    first_turn: int | None = None  # the turn that first disclosed it (a turn number from version 2)
    quotes: list[Quote] = []  # a line of the turn where it surfaced
    status: ElementStatus
    asked_turn: int | None = None  # never came up although its area was asked about at this turn
    ask_next: str | None = None  # never came up and never asked: the question to ask next time
    sentence: str = ""  # the one line the feedback shows for it


class ClaimSupport(BaseModel):
    """Whether anything the patient said backs one thing the trainee wrote or ticked."""

    field: FieldName
    claim: str
    supported: bool
    quote: Quote | None = None


class ExtraItem(BaseModel):
    """Something in the formulation that is not the patient's: a ticked label the reference lacks,
    or a sentence nothing the patient said supports."""

    field: FieldName
    claim: str
    kind: Literal["label", "unsupported"]
    sentence: str


class FieldFeedback(BaseModel):
    """A field's badges and points, read from its elements' statuses."""

    field: FieldName
    label: str
    statuses: list[str]  # badges, in the order captured, partly, missed, never_surfaced, extra
    level: float
    points: float
    weight: float
    gap_points: float  # of the 100 points, those this field lost to elements that never came up


class Advice(BaseModel):
    area: str  # an assessment area (simulator/cbt/report/coverage.py) the interview never asked about
    text: str


class EvidenceReport(BaseModel):
    version: int = 1
    elements: list[ElementEvidence]
    claims: list[ClaimSupport]
    field_status: dict[str, FieldStatus]
    gap_points: float  # points of the 100 lost on elements that never came up
    total_on_surfaced: float | None  # the score against only what came up (None: nothing did)
    suggestions: list[str]  # the advice as sentences
    fields: list[FieldFeedback] = []
    extras: list[ExtraItem] = []
    advice: list[Advice] = []
    asked: dict[str, int | None] = {}  # assessment area -> turn first asked (the coverage)


class FormulationScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine: str = "offline"
    rubric_version: int
    total: float = Field(ge=0, le=100)
    fields: list[FieldScore]
    thresholds: dict[str, float]
    evidence: EvidenceReport | None = None  # when a transcript was available

    def field(self, name: str) -> FieldScore:
        return next(f for f in self.fields if f.field == name)


# -- scoring ----------------------------------------------------------------------------------

def closed_list_score(given: list[str], expected: list[str]) -> ClosedListScore:
    """Exact precision, recall and F1 of a chosen set of labels against the reference set."""
    given, expected = list(dict.fromkeys(given)), list(dict.fromkeys(expected))
    hits = [g for g in given if g in expected]
    extras = [g for g in given if g not in expected]
    misses = [e for e in expected if e not in given]
    if not expected and not given:
        return ClosedListScore(precision=1.0, recall=1.0, f1=1.0, hits=[], misses=[], extras=[])
    precision = len(hits) / len(given) if given else 0.0
    recall = len(hits) / len(expected) if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClosedListScore(precision=precision, recall=recall, f1=f1, hits=hits, misses=misses,
                           extras=extras)


def combine(coverage: float, precision: float) -> float:
    """One similarity for a field: mostly how much of the reference is covered, partly how much
    of what was written belongs there (so padding a field with everything is not rewarded)."""
    return 0.7 * coverage + 0.3 * precision


def text_similarity(trainee: str, reference: str) -> tuple[float, float, list[SentenceMatch]]:
    """(coverage, precision, best reference sentence per trainee sentence)."""
    mine, ref = sentences(trainee), sentences(reference)
    if not mine or not ref:
        return 0.0, 0.0, []
    sim = np.clip(embed(mine) @ embed(ref).T, 0.0, 1.0)
    coverage = float(sim.max(axis=0).mean())
    precision = float(sim.max(axis=1).mean())
    best = sim.argmax(axis=1)
    matches = [SentenceMatch(trainee=s, reference=ref[j], similarity=round(float(sim[i, j]), 3))
               for i, (s, j) in enumerate(zip(mine, best))]
    return coverage, precision, matches


# -- the background: the same field in every other case of the shipped library ----------------
# Sentence embeddings rate any two sentences about work stress as fairly similar. What tells a
# vague but right answer from a wrong one is whether it is closer to THIS case than to the others,
# so a field's level comes from its similarity minus its mean similarity to the same field of the
# other cases (calibration: 0.876 agreement with a supervisor's levels against 0.845 without).
#
# "The other cases" is defined once and on purpose: the cases Practicum ships (data/library.json,
# read from data/patients by library.shipped_cases), never what a clinic imported or authored, and
# never the extra files of PRACTICUM_CASES_DIR. The thresholds were calibrated against exactly this
# baseline, and a trainee's score must not move because someone imported 50 cases; a formulation
# of an imported case is scored against the same baseline (its own fields are not in it).

SITUATION_FIELDS = ("situation", "automatic_thoughts", "behavior")


@lru_cache(maxsize=1)
def background() -> dict[str, tuple[str, ...]]:
    """Per free-text field, the texts of the shipped library's references: every situation's
    situation, thoughts and behaviour, and each case's first-situation rules, coping and
    history."""
    from simulator.cbt.library import shipped_cases

    out: dict[str, list[str]] = {f: [] for f in TEXT_FIELDS}
    for case in shipped_cases():
        for i in range(len(case.situations)):
            ref = reference_for(case, i)
            for f in TEXT_FIELDS:
                if i == 0 or f in SITUATION_FIELDS:
                    out[f].append(getattr(ref, f))
    return {f: tuple(dict.fromkeys(v)) for f, v in out.items()}


def background_similarity(trainee: str, field: str, exclude: str) -> float:
    """Mean similarity of `trainee` to `field` in the library's cases, leaving out any entry whose
    whole text is `exclude` (the reference's own, when it is passed whole) (0 if there are none)."""
    mine = sentences(trainee)
    others = [t for t in background()[field] if t != exclude]
    if not mine or not others:
        return 0.0
    units = [(k, s) for k, text in enumerate(others) for s in sentences(text)]
    sim = np.clip(embed(mine) @ embed([s for _, s in units]).T, 0.0, 1.0)
    owners = np.array([k for k, _ in units])
    values = []
    for k in range(len(others)):
        block = sim[:, owners == k]
        if block.size:
            values.append(combine(float(block.max(axis=0).mean()), float(block.max(axis=1).mean())))
    return float(np.mean(values)) if values else 0.0


@dataclass
class TextMatch:
    similarity: float  # combined raw similarity to the reference
    specificity: float  # similarity minus the background: what the level is read from
    coverage: float
    precision: float
    matches: list[SentenceMatch]


def match_text(trainee: str, reference: str, field: str) -> TextMatch:
    coverage, precision, matches = text_similarity(trainee, reference)
    if not matches:
        return TextMatch(0.0, 0.0, 0.0, 0.0, [])
    similarity = combine(coverage, precision)
    specificity = similarity - background_similarity(trainee, field, exclude=reference)
    return TextMatch(similarity, specificity, coverage, precision, matches)


def level_for(specificity: float, rubric: Rubric) -> int:
    t = rubric.thresholds.free_text
    return 2 if specificity >= t.full else 1 if specificity >= t.partial else 0


def score_fields(trainee: Formulation, reference: Formulation, rubric: Rubric) -> list[FieldScore]:
    out = []
    for name in FIELD_ORDER:
        spec = rubric.fields[name]
        base = dict(field=name, label=spec.label, kind=spec.kind, weight=spec.weight)
        if spec.kind == "closed_list":
            closed = closed_list_score(getattr(trainee, name), getattr(reference, name))
            level = 2 * closed.f1
            out.append(FieldScore(**base, level=round(level, 4), points=spec.weight * closed.f1,
                                  descriptor=spec.descriptors.of(int(level + 0.5)), closed=closed))
            continue
        m = match_text(getattr(trainee, name), getattr(reference, name), name)
        level = level_for(m.specificity, rubric) if m.matches else 0
        out.append(FieldScore(**base, level=level, points=spec.weight * level / 2,
                              descriptor=spec.descriptors.of(level),
                              similarity=round(m.similarity, 4), specificity=round(m.specificity, 4),
                              coverage=round(m.coverage, 4), precision=round(m.precision, 4),
                              matches=m.matches))
    return out


def score_formulation(trainee: Formulation, reference: Formulation, rubric: Rubric | None = None) -> FormulationScore:
    """Score `trainee` against `reference` on the rubric (evidence.score_with_evidence adds the
    links to an interview)."""
    rubric = rubric or load_rubric()
    fields = score_fields(trainee, reference, rubric)
    total = 100 * sum(f.points for f in fields) / rubric.total_weight
    t = rubric.thresholds
    score = FormulationScore(
        rubric_version=rubric.version, total=round(min(100.0, max(0.0, total)), 1), fields=fields,
        thresholds={"partial": t.free_text.partial, "full": t.free_text.full,
                    "evidence": t.evidence, "support": t.support},
    )
    return score
