"""Thinking traps in the patient's lines of a transcript, for the "show thinking traps" toggle."""

from __future__ import annotations

from simulator.cbt.interview import Turn
from simulator.traps.detector import PatternScore
from simulator.traps.engine import detect


def annotate_patient_lines(turns: list[Turn], settings=None) -> list[tuple[int, list[PatternScore]]]:
    """(turn index, patterns found) for each patient line that shows at least one pattern.

    A line is judged sentence by sentence, so one trap in a long reply is not drowned out.
    """
    from simulator.core.text import split_sentences

    out = []
    for turn in turns:
        if turn.role != "patient" or not turn.text.strip():
            continue
        best: dict[str, PatternScore] = {}
        for sentence in split_sentences(turn.text):
            for p in detect(sentence, settings).found():
                if p.pattern not in best or p.score > best[p.pattern].score:
                    best[p.pattern] = p
        if best:
            out.append((turn.index, sorted(best.values(), key=lambda p: -p.score)))
    return out
