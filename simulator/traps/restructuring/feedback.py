"""Per-stage feedback when a dialogue ends: what was done at each stage and how the belief moved.

Every sentence comes from the 'feedback' section of data/traps/restructuring.json.
"""

from __future__ import annotations

from simulator.core.text import agreeing
from simulator.traps.patterns import name_of
from simulator.traps.restructuring.belief import MAX_COUNTERS, belief_end
from simulator.traps.restructuring.state import (
    IDENTIFICATION,
    STAGE_NAMES,
    RestructuringState,
    StageFeedback,
    ThoughtWork,
)
from simulator.traps.restructuring.texts import Feedback, texts


def stage_feedback(state: RestructuringState) -> list[StageFeedback]:
    fb = texts().feedback
    out = []
    for s in IDENTIFICATION:
        mark = state.identification[s]
        text = getattr(getattr(fb.identification, s), mark.status)
        if s == "core_belief" and mark.status != "done" and mark.attempts:
            text += " " + fb.core_asked_early
        out.append(StageFeedback(stage=s, title=STAGE_NAMES[s], status=mark.status, text=text))
    for n, work in enumerate(state.thoughts, start=1):
        label = fb.thought_label.format(n=n) if len(state.thoughts) > 1 else ""
        out += _thought_feedback(fb, work, label)
    if state.judgmental:
        out.append(StageFeedback(stage="process", title=fb.manner.title, status="note",
                                 text=agreeing(fb.manner.text, count=state.judgmental)))
    if state.supportive:
        out.append(StageFeedback(stage="process", title=fb.support.title, status="note",
                                 text=agreeing(fb.support.text, count=state.supportive)))
    return out


def _thought_feedback(fb: Feedback, work: ThoughtWork, label: str) -> list[StageFeedback]:
    out = []
    ev = work.stages["evidence_for"].status
    text = (fb.evidence_for.facts_only if ev == "done" and work.facts_only
            else fb.evidence_for.interpretations if ev == "done" else fb.evidence_for.missing)
    out.append(StageFeedback(stage="evidence_for", title=STAGE_NAMES["evidence_for"] + label, status=ev, text=text))

    k = len(work.evidence_against)
    against = fb.evidence_against
    text = (against.missing if not k else against.enough if k >= MAX_COUNTERS
            else against.one if k == 1 else against.some).format(count=k)
    out.append(StageFeedback(stage="evidence_against", title=STAGE_NAMES["evidence_against"] + label,
                             status=work.stages["evidence_against"].status, text=text))

    alt = work.stages["alternative"].status
    if alt != "done":
        text = fb.alternative.missing
    elif work.alternative_ok and work.evidence_against:
        good = fb.alternative.trainee_good if work.alternative_by == "trainee" else fb.alternative.patient_good
        text = good.format(alternative=work.alternative)
    elif work.alternative_by == "trainee":
        notes = " ".join(work.alternative_notes)
        text = fb.alternative.trainee_missed.format(notes=notes) if notes else fb.alternative.trainee_missed_no_notes
    else:
        text = fb.alternative.too_early
    out.append(StageFeedback(stage="alternative", title=STAGE_NAMES["alternative"] + label, status=alt, text=text))

    end = belief_end(work)
    moved = work.belief_start - end
    patterns = ", ".join(name_of(p).lower() for p in work.patterns) or fb.belief.no_pattern
    sentence = fb.belief.down if moved > 0 else fb.belief.unchanged if moved == 0 else fb.belief.up
    out.append(StageFeedback(stage="belief", title=fb.belief.title + label, status="done",
                             text=sentence.format(thought=work.text, patterns=patterns, start=work.belief_start,
                                                  end=end, moved=abs(moved))))
    return out
