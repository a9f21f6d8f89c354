"""How strongly the patient believes the thought (0-100%), and what moves it: only restructuring
steps done well lower it, and judging or arguing with the patient raises it a little."""

from __future__ import annotations

from simulator.traps.restructuring.state import ThoughtWork

# How far belief in the thought falls for each restructuring step done well (percentage points).
DROP_FACTS_ONLY = 10
DROP_PER_COUNTER = 12
MAX_COUNTERS = 2
DROP_ALTERNATIVE = 20
RISE_PER_SETBACK = 5  # judging or arguing with the patient undoes some of the work


def belief_now(work: ThoughtWork) -> int:
    drop = 0
    if work.stages["evidence_for"].status == "done" and work.facts_only:
        drop += DROP_FACTS_ONLY
    drop += DROP_PER_COUNTER * min(len(work.evidence_against), MAX_COUNTERS)
    if work.alternative_ok and work.evidence_against:
        drop += DROP_ALTERNATIVE
    drop -= RISE_PER_SETBACK * work.setbacks
    return max(0, min(100, work.belief_start - max(drop, -10)))


def start_belief(seed: int, n: int) -> int:
    """The rating of the n-th thought at the start: 70-90%, the thought feels true."""
    return 70 + 5 * ((seed + 3 * n) % 5)


def belief_end(work: ThoughtWork) -> int:
    """The last rating given, or the rating the patient would give now."""
    return work.belief_end if work.belief_end is not None else belief_now(work)
