"""Links between a formulation and the interview it came from, with one verdict per element.

Each element of the reference gets one status, derived once here and read by everything that
shows it (the badge, the sentences, the points lost to interview gaps, the advice): captured,
partly captured, missed although it came up, or never came up (an interview gap); what the
trainee added that is not the patient's is listed as extra. Free-text fields are judged as a
whole (the field's level is every element's level); closed lists label by label.

Where an element came up is the disclosure state stored with each patient turn (through the one
coverage computation, simulator/cbt/report/coverage.py), so the evidence quoted for an element is
always a line from the turn where that element surfaced. Whether the interview ever asked about
an area comes from the same coverage: advice for the next interview names only areas never asked.
Turns are turn numbers, as shown beside each message.

The headline score stays the score against the whole reference; `total_on_surfaced` scores the
formulation against only what came up, so interviewing and formulating can be told apart.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from simulator.cbt.case import PatientCase
from simulator.cbt.formulation.rubric import FIELD_ORDER, Rubric, load_rubric
from simulator.cbt.formulation.scoring import (
    LIST_FIELDS,
    TEXT_FIELDS,
    Advice,
    ClaimSupport,
    ElementEvidence,
    EvidenceReport,
    ExtraItem,
    FieldFeedback,
    Formulation,
    FormulationScore,
    Quote,
    embed,
    score_fields,
    score_formulation,
    sentences,
)
from simulator.cbt.interview import DisclosureState, Turn, turn_number
from simulator.cbt.report.coverage import FIELD_AREAS, Coverage, coverage
from simulator.cbt.report.record import from_session
from simulator.cbt.report.wording import area_label, area_question
from simulator.core.settings import DATA_DIR

log = logging.getLogger(__name__)

EVIDENCE_VERSION = 2  # 2: one status per element, turn numbers, advice from the coverage
# Words too common to count as naming an emotion on their own ("sit down", "mad rush").
_AMBIGUOUS = {"down", "mad"}
_MARKS = " \"'\u201c\u201d\u2018\u2019"
# The order a field's badges are shown in.
STATUS_ORDER = ("captured", "partly", "missed", "never_surfaced", "extra")


@lru_cache(maxsize=1)
def wording() -> dict:
    return json.loads((DATA_DIR / "report" / "formulation_wording.json").read_text(encoding="utf-8"))


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


def _label_words(label: str) -> list[str]:
    return [w for w in re.split(r"[,\s]+", label.lower()) if w and w not in _AMBIGUOUS]


def _names_emotion(sentence: str, label: str) -> bool:
    words = set(re.findall(r"[a-z]+", sentence.lower()))
    return any(w in words for w in _label_words(label))


class _Patient:
    """The patient's sentences, each with its turn number, embedded once."""

    def __init__(self, turns: list[Turn]) -> None:
        # Sentences without the speech marks around them (a quoted thought keeps its words).
        self.lines: list[tuple[int, str]] = [(turn_number(t.index), s.strip(_MARKS)) for t in turns
                                             if t.role == "patient" for s in sentences(t.text) if s.strip(_MARKS)]
        self.vectors = embed([s for _, s in self.lines])

    def similarities(self, texts: list[str]) -> np.ndarray:
        """For each patient sentence, its best similarity to any of `texts`."""
        if not self.lines or not texts:
            return np.zeros(len(self.lines))
        return (embed(texts) @ self.vectors.T).max(axis=0)

    def best_in_turn(self, turn: int, sims: np.ndarray, source: str = "disclosure") -> Quote | None:
        rows = [i for i, (t, _) in enumerate(self.lines) if t == turn]
        if not rows:
            return None
        i = max(rows, key=lambda r: sims[r])
        return Quote(turn=turn, text=self.lines[i][1], similarity=round(float(sims[i]), 3), source=source)


def _probe(el: _Element) -> list[str]:
    return [f"I feel {el.text}."] if el.field == "emotions" else sentences(el.text) or [el.text]


def _surfaced_turn(el: _Element, cov: Coverage) -> int | None:
    """The turn where the element first came up, from the disclosure state."""
    if el.field == "core_beliefs":
        return cov.core_beliefs.get(el.text)
    if el.field == "emotions":
        return cov.surfaced.get("emotions")
    return cov.surfaced.get(el.element)


def _quote(el: _Element, turn: int, patient: _Patient) -> Quote:
    """The line of the surfacing turn that says this element (for an emotion, one naming it)."""
    if el.field == "emotions":
        named = [s for t, s in patient.lines if t == turn and _names_emotion(s, el.text)]
        if named:
            return Quote(turn=turn, text=named[0], source="disclosure")
    q = patient.best_in_turn(turn, patient.similarities(_probe(el)))
    return q or Quote(turn=turn, text="", source="disclosure")


def _by_similarity(el: _Element, patient: _Patient, threshold: float) -> Quote | None:
    """Without a disclosure record (a transcript from elsewhere): the patient's closest sentence."""
    sims = patient.similarities(_probe(el))
    if not len(sims):
        return None
    i = int(np.argmax(sims))
    if sims[i] < threshold:
        return None
    return Quote(turn=patient.lines[i][0], text=patient.lines[i][1], similarity=round(float(sims[i]), 3),
                 source="similarity")


def _element_sentence(status: str, quote: Quote | None, el: _Element, cov: Coverage) -> tuple[str, int | None]:
    """(the one line shown for an element, the turn that asked about its area if it never came up)."""
    w = wording()["element"]
    if quote is not None:
        key = {"captured": "captured", "partly": "partly", "missed": "missed"}[status]
        return w[key].format(turn=quote.turn, quote=quote.text), None
    if status == "captured":
        return w["captured_unsaid"], None
    if status == "partly":
        return w["partly_unsaid"], None
    asked = cov.field_asked(el.field)
    area = area_label(FIELD_AREAS[el.field][0])
    if asked is None:
        return w["gap_not_asked"].format(area=area), None
    return w["gap_asked"].format(area=area, asked=asked), asked


def _claims(trainee: Formulation, patient: _Patient, cov: Coverage, threshold: float) -> list[ClaimSupport]:
    """Whether anything the patient said backs each thing the trainee wrote or ticked."""
    out: list[ClaimSupport] = []
    for name in FIELD_ORDER:
        claims = sentences(getattr(trainee, name)) if name in TEXT_FIELDS else list(getattr(trainee, name))
        for claim in claims:
            quote = None
            if name == "core_beliefs" and claim in cov.core_beliefs:
                turn = cov.core_beliefs[claim]
                quote = patient.best_in_turn(turn, patient.similarities([claim]))
            elif name == "emotions":
                named = [(t, s) for t, s in patient.lines if _names_emotion(s, claim)]
                if named:
                    quote = Quote(turn=named[0][0], text=named[0][1], source="words")
            if quote is None and patient.lines and name in TEXT_FIELDS:
                sims = patient.similarities([claim])
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
    record = from_session(interview.turns, interview.states, interview.case)
    cov = coverage(record)
    patient = _Patient(interview.turns)
    if not cov.has_states:
        log.info("no disclosure state stored with this transcript: elements are placed by similarity")
    levels = {fs.field: fs.level for fs in score.fields}

    elements: list[ElementEvidence] = []
    for el in reference_elements(interview.case, interview.situation_index):
        if cov.has_states:
            turn = _surfaced_turn(el, cov)
            quote = _quote(el, turn, patient) if turn is not None else None
        else:
            quote = _by_similarity(el, patient, t.evidence)
        if el.field in LIST_FIELDS:
            have = 2 if el.text in getattr(trainee, el.field) else 0
        else:
            have = levels[el.field]
        status = "captured" if have >= 2 else "partly" if have >= 1 else (
            "missed" if quote is not None else "never_surfaced")
        sentence, asked = _element_sentence(status, quote, el, cov)
        area = FIELD_AREAS[el.field][0]
        elements.append(ElementEvidence(
            element=el.element, field=el.field, reference=el.text, surfaced=quote is not None,
            first_turn=quote.turn if quote else None, quotes=[quote] if quote else [], status=status,
            asked_turn=asked,
            ask_next=area_question(area) if quote is None and cov.field_asked(el.field) is None else None,
            sentence=sentence,
        ))

    claims = _claims(trainee, patient, cov, t.support)
    extras: list[ExtraItem] = []
    for fs in score.fields:
        if fs.closed:
            extras += [ExtraItem(field=fs.field, claim=x, kind="label",
                                 sentence=wording()["extra"]["label"].format(claim=x)) for x in fs.closed.extras]
    # A written sentence is extra when nothing the patient said backs it and it is not the reference's
    # either (a close paraphrase of the reference is the patient's, however the patient worded it).
    close = {(fs.field, m.trainee) for fs in score.fields for m in fs.matches if m.similarity >= t.support}
    for c in claims:
        if c.field in TEXT_FIELDS and not c.supported and (c.field, c.claim) not in close:
            extras.append(ExtraItem(field=c.field, claim=c.claim, kind="unsupported",
                                    sentence=wording()["extra"]["unsupported"].format(claim=c.claim)))

    fields: list[FieldFeedback] = []
    gap_total = 0.0
    for fs in score.fields:
        mine = [e for e in elements if e.field == fs.field]
        labels = [x for x in extras if x.field == fs.field and x.kind == "label"]
        present = {e.status for e in mine} | ({"extra"} if [x for x in extras if x.field == fs.field] else set())
        lost = fs.weight - fs.points
        reasons = [e for e in mine if e.status != "captured"] + labels
        never = [e for e in mine if e.status == "never_surfaced"]
        gap = lost * len(never) / len(reasons) if reasons and never else 0.0
        gap_total += gap
        fields.append(FieldFeedback(
            field=fs.field, label=fs.label, statuses=[s for s in STATUS_ORDER if s in present],
            level=fs.level, points=round(fs.points, 2), weight=fs.weight,
            gap_points=round(gap * 100 / rubric.total_weight, 1)))

    surfaced_fields = {e.field for e in elements if e.surfaced}
    total_on_surfaced = None
    if surfaced_fields:
        restricted = score_fields(trainee, _restricted_reference(reference, elements), rubric)
        kept = [f for f in restricted if f.field in surfaced_fields]
        total_on_surfaced = round(100 * sum(f.points for f in kept) / sum(f.weight for f in kept), 1)

    # Advice: every area behind an element that never came up, if the interview never asked about it
    # (an element the trainee guessed right still needs asking about).
    advice: list[Advice] = []
    for name in FIELD_ORDER:
        if not any(e.field == name and not e.surfaced for e in elements):
            continue
        for area in FIELD_AREAS[name]:
            if not cov.asked(area) and all(a.area != area for a in advice):
                advice.append(Advice(area=area, text=wording()["advice"].format(
                    area=area_label(area).capitalize(), ask=area_question(area))))
    return EvidenceReport(
        version=EVIDENCE_VERSION, elements=elements, claims=claims, fields=fields, extras=extras,
        field_status={f.field: (f.statuses[0] if f.statuses else "captured") for f in fields},
        gap_points=round(gap_total * 100 / rubric.total_weight, 1), total_on_surfaced=total_on_surfaced,
        advice=advice, suggestions=[a.text for a in advice],
        asked={area: cov.first(area) for area in cov.areas},
    )


def score_with_evidence(trainee: Formulation, reference: Formulation, interview: Interview,
                        rubric: Rubric | None = None) -> FormulationScore:
    """Score `trainee`, and link every reference element and every trainee claim to the interview."""
    rubric = rubric or load_rubric()
    score = score_formulation(trainee, reference, rubric)
    score.evidence = build_evidence(trainee, reference, score, interview, rubric)
    return score
