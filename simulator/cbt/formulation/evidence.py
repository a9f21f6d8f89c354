"""Links between a formulation and the interview it came from.

For each element of the reference: the patient turns that disclosed it, from the engine's own
disclosure record (DisclosureState stored with every patient turn) and from embedding similarity
of the patient's sentences. For each trainee claim: the patient sentence that best supports it.

The headline score stays the score against the whole reference: a formulation that lacks the
core beliefs lacks them, whatever the reason. What this module adds is the reason: an element the
patient never disclosed is an interview gap (reported with a question to ask next time), one that
was disclosed and left out is a formulation error, and `total_on_surfaced` scores the formulation
against only what came up, so the two skills can be told apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from simulator.cbt.case import PatientCase
from simulator.cbt.formulation.rubric import FIELD_ORDER, Rubric, load_rubric
from simulator.cbt.formulation.scoring import (
    LIST_FIELDS,
    TEXT_FIELDS,
    ClaimSupport,
    ElementEvidence,
    EvidenceReport,
    Formulation,
    FormulationScore,
    Quote,
    embed,
    match_text,
    score_fields,
    score_formulation,
    sentences,
)
from simulator.cbt.interview import DisclosureState, Turn

# Words too common to count as naming an emotion on their own ("sit down", "mad rush").
_AMBIGUOUS = {"down", "mad"}
MAX_QUOTES = 3


@dataclass
class Interview:
    """A transcript with the disclosure state left by each patient turn, and the case behind it."""

    case: PatientCase
    situation_index: int
    turns: list[Turn]
    states: dict[int, DisclosureState] = field(default_factory=dict)  # patient turn index -> state


@dataclass
class _Element:
    element: str
    field: str
    text: str


def reference_elements(case: PatientCase, situation_index: int) -> list[_Element]:
    s = case.situations[situation_index]
    model = case.model_for(situation_index)
    out = [_Element("situation", "situation", s.situation),
           _Element("automatic_thoughts", "automatic_thoughts", s.automatic_thoughts)]
    out += [_Element(e, "emotions", e) for e in s.emotions]
    out += [_Element("behavior", "behavior", s.behavior)]
    out += [_Element(b, "core_beliefs", b) for b in model.core_beliefs]
    out += [_Element("intermediate_beliefs", "intermediate_beliefs", model.intermediate_beliefs)]
    if model.intermediate_beliefs_depression:
        out.append(_Element("intermediate_beliefs_depression", "intermediate_beliefs",
                            model.intermediate_beliefs_depression))
    out += [_Element("coping_strategies", "coping_strategies", model.coping_strategies),
            _Element("history", "history", model.history)]
    return out


def disclosure_record(interview: Interview) -> tuple[dict[str, int], dict[str, int]]:
    """(element -> turn index that first disclosed it, core belief -> turn index that voiced it)."""
    elements: dict[str, int] = {}
    beliefs: dict[str, int] = {}
    for idx in sorted(interview.states):
        state = interview.states[idx]
        for element in state.surfaced:
            elements.setdefault(element, idx)
        for belief in state.core_beliefs_surfaced:
            beliefs.setdefault(belief, idx)
    return elements, beliefs


def _label_words(label: str) -> list[str]:
    return [w for w in re.split(r"[,\s]+", label.lower()) if w and w not in _AMBIGUOUS]


def _names_emotion(sentence: str, label: str) -> bool:
    words = set(re.findall(r"[a-z]+", sentence.lower()))
    return any(w in words for w in _label_words(label))


class _Patient:
    """The patient's sentences, each with its turn, embedded once."""

    def __init__(self, turns: list[Turn]) -> None:
        self.lines: list[tuple[int, str]] = [(t.index, s) for t in turns if t.role == "patient"
                                             for s in sentences(t.text)]
        self.vectors = embed([s for _, s in self.lines])

    def similarities(self, texts: list[str]) -> np.ndarray:
        """For each patient sentence, its best similarity to any of `texts`."""
        if not self.lines or not texts:
            return np.zeros(len(self.lines))
        return (embed(texts) @ self.vectors.T).max(axis=0)

    def best_in_turn(self, turn: int, sims: np.ndarray) -> Quote | None:
        rows = [i for i, (t, _) in enumerate(self.lines) if t == turn]
        if not rows:
            return None
        i = max(rows, key=lambda r: sims[r])
        return Quote(turn=turn, text=self.lines[i][1], similarity=round(float(sims[i]), 3),
                     source="disclosure")


def _element_quotes(el: _Element, patient: _Patient, record_turn: int | None,
                    threshold: float) -> list[Quote]:
    texts = [f"I feel {el.text}."] if el.field == "emotions" else sentences(el.text) or [el.text]
    sims = patient.similarities(texts)
    quotes: list[Quote] = []
    if record_turn is not None:
        q = patient.best_in_turn(record_turn, sims)
        if el.field == "emotions":  # the turn that disclosed the feelings: quote the line naming this one
            named = [s for t, s in patient.lines if t == record_turn and _names_emotion(s, el.text)]
            if named:
                q = Quote(turn=record_turn, text=named[0], source="disclosure")
        if q:
            quotes.append(q)
    order = np.argsort(-sims)
    for i in order[: 3 * MAX_QUOTES]:
        turn, text = patient.lines[i]
        if len(quotes) >= MAX_QUOTES:
            break
        if sims[i] >= threshold and all(q.text != text for q in quotes):
            quotes.append(Quote(turn=turn, text=text, similarity=round(float(sims[i]), 3),
                                source="similarity"))
    if el.field == "emotions" and len(quotes) < MAX_QUOTES:
        for turn, text in patient.lines:
            if _names_emotion(text, el.text) and all(q.text != text for q in quotes):
                quotes.append(Quote(turn=turn, text=text, source="words"))
                break
    return sorted(quotes, key=lambda q: q.turn)


def _in_formulation(el: _Element, trainee: Formulation, threshold: float) -> bool:
    if el.field in LIST_FIELDS:
        return el.text in getattr(trainee, el.field)
    m = match_text(getattr(trainee, el.field), el.text, el.field)
    return bool(m.matches) and m.specificity >= threshold


def _claims(trainee: Formulation, patient: _Patient, beliefs_voiced: dict[str, int],
            threshold: float) -> list[ClaimSupport]:
    out: list[ClaimSupport] = []
    for name in FIELD_ORDER:
        if name in TEXT_FIELDS:
            claims = sentences(getattr(trainee, name))
        else:
            claims = list(getattr(trainee, name))
        for claim in claims:
            quote = None
            if name == "core_beliefs" and claim in beliefs_voiced:
                turn = beliefs_voiced[claim]
                q = patient.best_in_turn(turn, patient.similarities([claim]))
                quote = q or Quote(turn=turn, text=claim, source="disclosure")
            elif name == "emotions":
                named = [(t, s) for t, s in patient.lines if _names_emotion(s, claim)]
                if named:
                    quote = Quote(turn=named[0][0], text=named[0][1], source="words")
            if quote is None and patient.lines:
                probe = f"I feel {claim}." if name == "emotions" else claim
                sims = patient.similarities([probe])
                i = int(np.argmax(sims))
                if sims[i] >= threshold:
                    quote = Quote(turn=patient.lines[i][0], text=patient.lines[i][1],
                                  similarity=round(float(sims[i]), 3), source="similarity")
            out.append(ClaimSupport(field=name, claim=claim, supported=quote is not None, quote=quote))
    return out


def _restricted_reference(reference: Formulation, elements: list[ElementEvidence]) -> Formulation:
    """The reference cut down to what surfaced in the interview."""
    kept: dict[str, list[str]] = {f: [] for f in FIELD_ORDER}
    for e in elements:
        if e.surfaced:
            kept[e.field].append(e.reference)
    data = {f: (kept[f] if f in LIST_FIELDS else " ".join(kept[f])) for f in FIELD_ORDER}
    return Formulation.model_construct(**data)


def build_evidence(trainee: Formulation, reference: Formulation, score: FormulationScore,
                   interview: Interview, rubric: Rubric) -> EvidenceReport:
    t = rubric.thresholds
    patient = _Patient(interview.turns)
    record, beliefs_voiced = disclosure_record(interview)
    elements: list[ElementEvidence] = []
    for el in reference_elements(interview.case, interview.situation_index):
        if el.field == "core_beliefs":
            record_turn = beliefs_voiced.get(el.text)
        elif el.field == "emotions":
            record_turn = record.get("emotions")
        else:
            record_turn = record.get(el.element)
        quotes = _element_quotes(el, patient, record_turn, t.evidence)
        surfaced = bool(quotes)
        have = _in_formulation(el, trainee, t.free_text.partial)
        status = ("captured" if surfaced else "inferred") if have else (
            "missed" if surfaced else "never_surfaced")
        elements.append(ElementEvidence(
            element=el.element, field=el.field, reference=el.text, surfaced=surfaced,
            first_turn=quotes[0].turn if quotes else None, quotes=quotes, status=status,
            ask_next=None if surfaced else rubric.fields[el.field].ask_next,
        ))

    field_status: dict[str, str] = {}
    for fs in score.fields:
        mine = [e for e in elements if e.field == fs.field]
        if fs.level >= 2:
            field_status[fs.field] = "captured"
        elif any(e.status == "missed" for e in mine):
            field_status[fs.field] = "formulation_error"
        elif any(e.status == "never_surfaced" for e in mine):
            field_status[fs.field] = "interview_gap"
        else:
            field_status[fs.field] = "formulation_error"
    gap_points = sum(fs.weight - fs.points for fs in score.fields
                     if field_status[fs.field] == "interview_gap") * 100 / rubric.total_weight

    surfaced_fields = {e.field for e in elements if e.surfaced}
    total_on_surfaced = None
    if surfaced_fields:
        restricted = score_fields(trainee, _restricted_reference(reference, elements), rubric)
        kept = [f for f in restricted if f.field in surfaced_fields]
        total_on_surfaced = round(100 * sum(f.points for f in kept) / sum(f.weight for f in kept), 1)

    suggestions = []
    for name in FIELD_ORDER:
        if any(e.field == name and e.status == "never_surfaced" for e in elements):
            suggestions.append(f"{rubric.fields[name].label} never came up: next time ask about "
                               f"{rubric.fields[name].ask_next}")
    claims = _claims(trainee, patient, beliefs_voiced, t.support)
    return EvidenceReport(elements=elements, claims=claims, field_status=field_status,
                          gap_points=round(gap_points, 1), total_on_surfaced=total_on_surfaced,
                          suggestions=suggestions)


def score_with_evidence(trainee: Formulation, reference: Formulation, interview: Interview,
                        rubric: Rubric | None = None) -> FormulationScore:
    """Score `trainee`, and link every reference element and every trainee claim to the interview."""
    rubric = rubric or load_rubric()
    score = score_formulation(trainee, reference, rubric)
    score.evidence = build_evidence(trainee, reference, score, interview, rubric)
    return score
