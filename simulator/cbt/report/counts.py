"""Counts and ratios of what the trainee did, each linked to its turns (turn numbers as shown).

Moves come from the record (recognised by simulator/cbt/moves.py). A reflection is called simple
when it mostly gives back the patient's own words and complex when it adds meaning or feeling
of its own (motivational-interviewing fidelity coding): read from how many of its content words
the patient's previous turn already had. The cut-off is fitted on data/report/reflections.jsonl
(`python -m bench report_calibrate`). A few things the rubric needs that are not moves
(checking understanding, asking for feedback, asking permission or offering a choice, telling
the patient what to do) are read with the patterns in data/report/signals.json.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import get_args

from pydantic import BaseModel

from simulator.cbt.interview import Move, turn_number
from simulator.cbt.report.record import InterviewRecord
from simulator.core.settings import DATA_DIR

MOVES: tuple[str, ...] = get_args(Move)
REPORT_DIR = DATA_DIR / "report"
# A reflection whose content words were at least this share in the patient's previous turn is
# simple (fitted on data/report/reflections.jsonl; see bench/report_calibrate.py).
SIMPLE_OVERLAP = 0.5
SIGNALS = ("check_understanding", "ask_feedback", "permission_or_choice", "direct")

_STOP = set("""a an the and or but so if then of to in on at for with from by about as into like
is am are was were be been being do does did done have has had having it its it's this that these
those there here i me my mine you your yours yourself he him his she her they them their we us our
what how when where who which why just really very quite bit little kind sort thing things feel
feels felt feeling sounds sound seems seem like maybe perhaps so yeah yes no not oh um uh mm okay
ok right well can could would should will shall might must get got go going gone say said tell
told know mean means meant think thought all some any more most much many lot lots too also
even still again one ever never always because""".split())


def _stem(word: str) -> str:
    for suffix in ("ing", "edly", "ed", "ly", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower().replace("\u2019", "'").replace("'", ""))
    return {_stem(w) for w in words if w not in _STOP and len(w) > 2}


def overlap(reflection: str, previous: str) -> float:
    """Share of the reflection's content words that the patient's previous turn already had."""
    mine = content_words(reflection)
    if not mine:
        return 1.0  # "Mm. Hard." gives nothing of its own
    return len(mine & content_words(previous)) / len(mine)


def reflection_kind(reflection: str, previous: str, cut: float = SIMPLE_OVERLAP) -> str:
    return "simple" if overlap(reflection, previous) >= cut else "complex"


@lru_cache(maxsize=1)
def signal_patterns() -> dict[str, list[re.Pattern[str]]]:
    raw = json.loads((REPORT_DIR / "signals.json").read_text(encoding="utf-8"))
    return {k: [re.compile(p, re.IGNORECASE) for p in raw[k]] for k in SIGNALS}


def signals(text: str) -> set[str]:
    plain = text.replace("\u2019", "'").replace("\u2018", "'")
    return {k for k, pats in signal_patterns().items() if any(p.search(plain) for p in pats)}


class Counted(BaseModel):
    count: int
    turns: list[int]


class Counts(BaseModel):
    therapist_turns: int
    moves: dict[str, Counted]  # every move, with the turns it was recognised in
    open_questions: Counted
    closed_questions: Counted
    reflections: Counted
    simple_reflections: Counted
    complex_reflections: Counted
    reflection_to_question_ratio: float | None  # None when no question was asked
    complex_share: float | None  # share of reflections that are complex; None without reflections
    validations: Counted
    summaries: Counted
    psychoeducation: Counted
    judgemental_or_abrupt: Counted
    off_topic: Counted
    # Signals the rubric reads that are not moves.
    checks_understanding: Counted
    asks_feedback: Counted
    permission_or_choice: Counted
    directs: Counted
    several_questions: Counted  # turns firing two or more questions at once


def _counted(turns: list[int]) -> Counted:
    return Counted(count=len(turns), turns=turns)


def count(record: InterviewRecord) -> Counts:
    by_move: dict[str, list[int]] = {m: [] for m in MOVES}
    simple: list[int] = []
    complex_: list[int] = []
    found: dict[str, list[int]] = {k: [] for k in SIGNALS}
    several: list[int] = []
    for t in record.therapist:
        n = turn_number(t.index)
        for m in dict.fromkeys(t.moves):
            by_move[m].append(n)
        if "reflect" in t.moves:
            previous = record.previous_patient(t.index)
            kind = reflection_kind(t.text, previous.text if previous else "")
            (simple if kind == "simple" else complex_).append(n)
        for k in signals(t.text):
            found[k].append(n)
        if t.text.count("?") >= 2:
            several.append(n)
    questions = len(by_move["open_question"]) + len(by_move["closed_question"])
    reflections = len(by_move["reflect"])
    return Counts(
        therapist_turns=len(record.therapist),
        moves={m: _counted(v) for m, v in by_move.items()},
        open_questions=_counted(by_move["open_question"]),
        closed_questions=_counted(by_move["closed_question"]),
        reflections=_counted(by_move["reflect"]),
        simple_reflections=_counted(simple), complex_reflections=_counted(complex_),
        reflection_to_question_ratio=round(reflections / questions, 2) if questions else None,
        complex_share=round(len(complex_) / reflections, 2) if reflections else None,
        validations=_counted(by_move["validate"]), summaries=_counted(by_move["summarise"]),
        psychoeducation=_counted(by_move["psychoeducation"]),
        judgemental_or_abrupt=_counted(sorted(set(by_move["judgmental"]) | set(by_move["abrupt"]))),
        off_topic=_counted(by_move["off_topic"]),
        checks_understanding=_counted(found["check_understanding"]),
        asks_feedback=_counted(found["ask_feedback"]),
        permission_or_choice=_counted(found["permission_or_choice"]),
        directs=_counted(found["direct"]),
        several_questions=_counted(several),
    )
