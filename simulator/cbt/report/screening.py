"""Where risk screening starts in a transcript with no disclosure state: which trainee turn read as a
risk question a supervisor counts as the first risk question, learned from supervisors' own marks.

The screening rule (coverage._screens) was written turn by turn from the development transcripts and
still disagreed with supervisors on a few in a hundred: "do you feel safe driving" after a panic
patient's "I thought I was dying" counted, "What keeps you going when it's like that" after "what's
the point" did not. This decision learns from the graded transcripts instead: a logistic regression
(scikit-learn) over each trainee turn read as `ask_risk` — its ask_risk probability, whether that
reading is sure on the text alone, whether it names death or being safe, whether it asks a screening
aspect, whether the patient has spoken of death before it, whether the answer is about risk, the
rule's own decision, and the risk-statement reader's label probabilities for the patient's turns
before and after it. It learns from every such turn up to each transcript's first supervisor-marked
risk question (the turns after it are not marked either way). The settings were chosen by leaving one
set out at a time (tuned on; `python -m simulator.cbt.report.screening_training choose`).

Training reads the sets through the report, so it is a developer step like the cue reader's:
`python -m simulator.cbt.report.screening_training train` writes MODEL_FILE, named by what it learned
from; a model trained on other data is not used (logged once) and the rule decides. Simulated
sessions and turns whose moves were stored keep the rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from simulator.cbt.interview import turn_index, turn_number
from simulator.cbt.moves import RISK_SURE, SCREENING_ASPECTS, names_risk
from simulator.cbt.report import risk_text
from simulator.cbt.report.record import InterviewRecord
from simulator.cbt.report.stored_model import Installed, StoredLogistic, fingerprint_of
from simulator.core.settings import DATA_DIR

log = logging.getLogger(__name__)

GRADED = DATA_DIR / "graded"
TRAINING_SETS = ("interviews", *(f"interviews_{c}" for c in "bcdefghijklmnopqrstuvwxyz"), "interviews_aa",
                 "interviews_ab")
MODEL_FILE = DATA_DIR / "report" / "screening_model.npz"
FEATURE_VERSION = 1
C = 0.1
BAR = 0.5
# Which trainee turns count as risk screening (coverage._screens, record.from_plain, and this decision).
# The risk-cue reader and this decision learn through it (an answer to a risk question is never a cue),
# so their files name it: change the number when the rule changes, and train both again.
SCREENING_RULE = 3  # 3: unsure risk questions need context (2026-12-05)


def training_folders() -> list[Path]:
    return [GRADED / name for name in TRAINING_SETS]


def fingerprint() -> str:
    """The graded sets, the risk statements, the recognisers and the screening rule it learns from
    (with the rule's bar for a risk question that stands on its text alone)."""
    from simulator.cbt import move_encoder, move_model
    from simulator.core import embeddings

    return fingerprint_of([FEATURE_VERSION, C, embeddings.onnx_path().name, move_encoder.model_path().name,
                           move_model.training_key(), SCREENING_RULE, RISK_SURE], training_folders())


def candidates(record: InterviewRecord) -> list[int]:
    """Transcript indices of the trainee turns read as risk questions here (with a probability)."""
    return [t.index for t in record.therapist if "ask_risk" in t.moves and t.index in record.risk_scores]


def features(record: InterviewRecord, indices: list[int], rule_turns: set[int],
             first_risk_words: int | None) -> np.ndarray:
    """One row per candidate turn (see the module's docstring)."""
    if not indices:
        return np.zeros((0, 8 + 2 * len(risk_text.LABELS)))
    before = [record.previous_patient(i) for i in indices]
    after = [record.next_patient(i) for i in indices]
    # Each patient turn read once: one candidate's answer is often the next one's previous reply.
    texts = list(dict.fromkeys(t.text if t else "" for t in [*before, *after]))
    readings, probabilities = risk_text.read_with_probabilities(texts)
    at = {text: k for k, text in enumerate(texts)}
    p_before = probabilities[[at[t.text if t else ""] for t in before]]
    p_after = probabilities[[at[t.text if t else ""] for t in after]]
    rows = []
    for k, i in enumerate(indices):
        t = record.turns[i]
        rows.append([record.risk_scores[i], i not in record.unsure_risk, names_risk(t.text, safety=False),
                     names_risk(t.text), bool(SCREENING_ASPECTS.intersection(t.risk_aspects or ["ideation"])),
                     first_risk_words is not None and first_risk_words < i,
                     after[k] is not None and risk_text.answers_risk(readings[at[after[k].text]]),
                     turn_number(i) in rule_turns])
    return np.hstack([np.array(rows, dtype=float), p_before, p_after])


class ScreeningModel(StoredLogistic):
    def screens(self, x: np.ndarray) -> np.ndarray:
        return self.probabilities(x) >= BAR

    def save(self, path: Path | None = None) -> None:
        super().save(path or MODEL_FILE)

    @classmethod
    def load(cls, path: Path | None = None) -> ScreeningModel:
        return super().load(path or MODEL_FILE)


def decide(record: InterviewRecord, rule_turns: list[int],
           first_risk_words: Callable[[], int | None]) -> list[int]:
    """The turn numbers that ask about risk. The learned decision finds where screening starts (it
    learned from supervisors' first risk questions); from there every risk question counts, as under
    the rule. Turns whose moves were stored keep the rule's decision."""
    model = installed()
    indices = candidates(record)
    if model is None or not indices:
        return rule_turns
    said = model.screens(features(record, indices, set(rule_turns), first_risk_words()))
    learned_first = next((turn_number(i) for i, yes in zip(indices, said) if yes), None)
    kept = [n for n in rule_turns if turn_index(n) not in record.risk_scores]
    starts = [n for n in (learned_first, *kept) if n is not None]
    if not starts:
        return []
    return sorted({turn_number(i) for i in indices if turn_number(i) >= min(starts)} | set(kept))


# -- the installed model --

_installed = Installed(ScreeningModel, lambda: MODEL_FILE, fingerprint, what="learned screening decision",
                       train="python -m simulator.cbt.report.screening_training train",
                       fallback="the screening rule decides", log=log)
installed = _installed.get
reset = _installed.reset


def state() -> str:
    """What decides screening now, for the fingerprints of what learns through it (the cue reader)."""
    model = installed()
    return model.fingerprint if model is not None else "rule"
