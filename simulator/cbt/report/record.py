"""One shape for every transcript the interview report reads.

A stored session gives its turns, the moves recognised in each message (stored on the trainee's
turn, or on the patient's reply in sessions stored before that) and the disclosure state left by
every patient turn. What `simulate --json` prints gives the same. A transcript from elsewhere (a
graded or real one) has only text: each of the trainee's messages is then recognised here, with
`simulator.cbt.moves.recognise`, against the patient's previous reply, and a long one not read as a risk
question is read in parts for one (`simulator.cbt.moves.risk_in_parts`): transcribed trainees often screen
at the tail of a summary or a run of questions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from simulator.cbt.case import PatientCase
from simulator.cbt.interview import DisclosureState, Turn, turn_number
from simulator.cbt.moves import (
    SCREENING_ASPECTS,
    as_risk_question,
    recognise,
    risk_in_parts,
    sure_risk_question,
)

log = logging.getLogger(__name__)


@dataclass
class InterviewRecord:
    """A transcript whose trainee turns carry their moves (and risk aspects), with the disclosure
    state after each patient turn when the session was simulated (empty for outside transcripts)."""

    turns: list[Turn]
    states: dict[int, DisclosureState] = field(default_factory=dict)
    case: PatientCase | None = None
    first_session: bool = True
    # Trainee turns recognised here as risk questions on a reading not sure on the text alone
    # (moves.sure_risk_question): they count as screening only in context (report/coverage.py).
    unsure_risk: set[int] = field(default_factory=set)
    # The classifiers' ask_risk probability for each trainee turn recognised here (the whole turn's
    # reading): the learned screening decision reads it (report/screening.py).
    risk_scores: dict[int, float] = field(default_factory=dict)

    @property
    def recognised(self) -> int:
        """Trainee messages whose moves were recognised here, not read from storage."""
        return len(self.risk_scores)

    @property
    def therapist(self) -> list[Turn]:
        return [t for t in self.turns if t.role == "therapist"]

    @property
    def patient(self) -> list[Turn]:
        return [t for t in self.turns if t.role == "patient"]

    def previous_patient(self, index: int) -> Turn | None:
        """The patient's last turn before transcript index `index`."""
        for t in reversed(self.turns[:index]):
            if t.role == "patient":
                return t
        return None

    def next_patient(self, index: int) -> Turn | None:
        """The patient's answer to the trainee's turn at `index` (None if there is none)."""
        if index + 1 < len(self.turns) and self.turns[index + 1].role == "patient":
            return self.turns[index + 1]
        return None

    def superseded(self, index: int) -> bool:
        """A cut patient reply that was answered again (the next turn is the patient's too)."""
        t = self.turns[index]
        return (t.role == "patient" and index + 1 < len(self.turns)
                and self.turns[index + 1].role == "patient")


def _with_moves(turns: list[Turn]) -> tuple[list[Turn], set[int], dict[int, float]]:
    """Every trainee turn with its moves: stored on it, else on the patient's reply to it (sessions
    stored before moves moved onto the trainee's turn), else recognised now (a long turn read in
    parts for a risk question when the whole is not read as one). Also which of those recognised now
    are risk questions on an unsure reading, and each one's ask_risk probability."""
    out: list[Turn] = []
    unsure: set[int] = set()
    scores: dict[int, float] = {}
    for i, t in enumerate(turns):
        if t.role != "therapist" or t.moves:
            out.append(t)
            continue
        reply = next((r for r in turns[i + 1:i + 2] if r.role == "patient" and r.moves), None)
        if reply is not None:
            aspects = list(t.risk_aspects) or (["ideation"] if "ask_risk" in reply.moves else [])
            out.append(t.model_copy(update={"moves": list(reply.moves), "risk_aspects": aspects}))
            continue
        previous = next((p.text for p in reversed(turns[:i]) if p.role == "patient"), "")
        found = recognise(t.text, previous)
        scores[i] = found.scores.get("ask_risk", 0.0)
        moves, aspects = list(found.moves), list(found.risk_aspects)
        part = None if "ask_risk" in moves else risk_in_parts(t.text, previous, read=recognise)
        if part is not None:
            log.info("turn %d counted as a risk question: one of its parts asks about risk", turn_number(i))
            moves, aspects = as_risk_question(moves, part.moves), list(part.risk_aspects)
        if "ask_risk" in moves and not sure_risk_question(found if part is None else part, t.text):
            unsure.add(i)  # the reading that made it a risk question: the part's, else the whole's
        out.append(t.model_copy(update={"moves": moves, "risk_aspects": aspects}))
    return out, unsure, scores


def from_session(turns: list[Turn], states: dict[int, DisclosureState], case: PatientCase | None,
                 first_session: bool = True) -> InterviewRecord:
    """A stored session: its transcript and the state stored with each patient turn."""
    with_moves, unsure, scores = _with_moves(turns)
    return InterviewRecord(turns=with_moves, states=states, case=case, first_session=first_session,
                           unsure_risk=unsure, risk_scores=scores)


def from_simulation(data: dict[str, Any], case: PatientCase | None = None) -> InterviewRecord:
    """What `python -m simulator simulate --json` prints: the transcript with each trainee turn's
    moves, and (from this version on) the state after each patient turn."""
    turns = [Turn.model_validate({**t, "index": t.get("index", i)}) for i, t in enumerate(data["transcript"])]
    states = {int(k): DisclosureState.model_validate(v) for k, v in (data.get("states") or {}).items()}
    if not states and data.get("state"):
        log.info("simulation output has no per-turn states (printed by an older version): "
                 "disclosure turns are not known, only what was recognised in the messages")
    return from_session(turns, states, case, first_session=data.get("first_session", True))


def from_plain(turns: list[dict[str, Any]], first_session: bool = True) -> InterviewRecord:
    """A transcript with text only ({"role": "therapist"|"patient", "text": ...} per turn).

    Besides the recogniser, a trainee turn counts as asking about risk when the patient's answer
    shows it did: a denial that names suicide or self-harm (risk_text.answers_risk_question).
    """
    from simulator.cbt.report.risk_text import answers_risk_question

    plain = [Turn(index=i, role=t["role"], text=t["text"]) for i, t in enumerate(turns)]
    record = from_session(plain, {}, None, first_session)
    for i, t in enumerate(record.turns):
        # A question read as asking about protective factors or means alone, or read as a risk
        # question unsurely, screens only in context (coverage._screens): an answer about suicide
        # gives it that.
        if t.role != "therapist" or ("ask_risk" in t.moves and i not in record.unsure_risk
                                     and SCREENING_ASPECTS.intersection(t.risk_aspects or ["ideation"])):
            continue
        answer = record.next_patient(i)
        if answer is not None and answers_risk_question(answer.text):
            log.info("turn %d counted as a risk question: the patient's answer is about risk", turn_number(i))
            record.unsure_risk.discard(i)
            moves = t.moves if "ask_risk" in t.moves else as_risk_question(t.moves, [])
            record.turns[i] = t.model_copy(update={"moves": moves,
                                                   "risk_aspects": [*t.risk_aspects, "ideation"]})
    return record


def read_transcript(data: Any, case_lookup=None) -> InterviewRecord:
    """Any of the three shapes: simulate's output ("transcript"), a graded or plain transcript
    ("turns"), or a bare list of turns. `case_lookup(case_id)` finds a simulation's case."""
    if isinstance(data, list):
        return from_plain(data)
    if not isinstance(data, dict):
        raise ValueError("A transcript is a JSON object with 'transcript' (from simulate --json) "
                         "or 'turns' (role and text per turn), or a list of turns.")
    if "transcript" in data:
        case = case_lookup(data["case"]) if case_lookup and data.get("case") else None
        return from_simulation(data, case)
    if "turns" in data:
        return from_plain(data["turns"], data.get("first_session", True))
    raise ValueError("No turns found: expected 'transcript' (from simulate --json) or 'turns'.")
