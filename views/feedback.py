"""Feedback page: the trainee's formulation beside the reference, field by field, with scores,
the patient's words linked to their turns, and questions for the next interview.

Shown only after submission (the formulation service refuses before it). Every badge, sentence
and point comes from the evidence's one verdict per element (simulator/cbt/formulation/evidence.py);
this page only lays them out.
"""

from __future__ import annotations

from collections import Counter

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.formulation.errors import NotSubmitted
from simulator.cbt.interview import turn_number
from simulator.core.errors import SessionNotFound
from views.common import as_text, chosen_session, services
from views.corrections_view import show_corrections
from views.rubric_view import show_field_comments, show_formulation_rubric

BADGES = {
    "captured": ("Captured", "green"),
    "partly": ("Partly captured", "orange"),
    "missed": ("Came up, missed in the formulation", "red"),
    "never_surfaced": ("Never came up: an interview gap", "blue"),
    "extra": ("Not the patient's", "violet"),
    # Version-1 evidence (before one verdict per element) is rebuilt on read; these never show.
    "formulation_error": ("Came up, missed in the formulation", "red"),
    "interview_gap": ("Never came up: an interview gap", "blue"),
}


def _value(value) -> str:
    if isinstance(value, list):
        return "  \n".join(f"- {as_text(v)}" for v in value) if value else "_(empty)_"
    return as_text(value) if value else "_(empty)_"


def _link(turn: int) -> str:
    """A link to the transcript line of turn number `turn` (the number shown beside it)."""
    return f"[turn {turn}](#turn-{int(turn)})"


def _with_links(sentence: str) -> str:
    """The sentence, escaped, with "turn N" made a link to that turn."""
    import re

    escaped = as_text(sentence)
    return re.sub(r"turn (\d+)", lambda m: _link(int(m.group(1))), escaped)


def summary(sub) -> None:
    ev = sub.score.evidence
    c1, c2, c3 = st.columns(3)
    c1.metric("Total", f"{sub.score.total:g} / 100")
    if ev is not None:
        c2.metric("On what came up", "-" if ev.total_on_surfaced is None else f"{ev.total_on_surfaced:g} / 100",
                  help="Your score against only the parts of the case the patient disclosed.")
        c3.metric("Points lost to gaps", f"{ev.gap_points:g}",
                  help="Points lost on elements that never came up in the interview.")
    for result in sub.narratives:
        label = "Offline feedback" if result.engine == "offline" else f"Feedback from {result.engine[4:]}"
        with st.container(border=True):
            st.caption(label)
            st.markdown(as_text(result.narrative.summary))
            if result.narrative.strengths:
                st.markdown("**Strengths**  \n" + "  \n".join(f"- {as_text(s)}" for s in result.narrative.strengths))
            if result.fallback_reason:
                st.caption(f"The model judge was not used: {as_text(result.fallback_reason)}")
    if ev is not None:
        with st.container(border=True):
            st.markdown("**Next interview**")
            if ev.advice:
                for a in ev.advice:
                    st.markdown(f"- {as_text(a.text)}")
            else:
                st.markdown("Every area behind the formulation was asked about in this interview.")


def field_section(sub, fs, corrections) -> None:
    ev = sub.score.evidence
    fb = next((f for f in ev.fields if f.field == fs.field), None) if ev else None
    with st.container(border=True):
        head, badges = st.columns([3, 2])
        head.subheader(f"{fs.label}: {round(fs.level, 1):g} / 2")
        if fb is not None:
            # A field of several elements (two core beliefs) can hold several verdicts: each badge
            # says how many of the field's elements it is for.
            counts = Counter(e.status for e in ev.elements if e.field == fs.field)
            whole = sum(counts.values())
            for status in fb.statuses:
                text, color = BADGES[status]
                badges.badge(f"{text} ({counts[status]} of {whole})" if whole > 1 and status in counts else text,
                             color=color)
        gap = f" · {fb.gap_points:g} lost to interview gaps" if fb is not None and fb.gap_points else ""
        st.caption(f"Weight {fs.weight:g} · {fs.points:.1f} points{gap} · {as_text(fs.descriptor)}")
        show_corrections(corrections, "formulation_field", fs.field, shown_as=lambda v: f"level {v}")
        mine, ref = st.columns(2)
        mine.markdown("**You wrote**  \n" + _value(getattr(sub.formulation, fs.field)))
        ref.markdown("**Reference**  \n" + _value(getattr(sub.reference, fs.field)))
        if fs.closed:
            st.markdown(f"Precision {fs.closed.precision:.2f} · recall {fs.closed.recall:.2f} · "
                        f"F1 {fs.closed.f1:.2f}")
        for m in fs.matches:
            st.markdown(f"- {as_text(m.trainee)} → closest reference sentence: "
                        f"_{as_text(m.reference)}_ (similarity {m.similarity:.2f})")
        if ev is None:
            show_field_comments(sub.narratives, fs.field)
            return
        for e in (e for e in ev.elements if e.field == fs.field):
            name = f"**{as_text(e.element)}**: " if fs.closed else ""
            st.markdown(name + _with_links(e.sentence))
        for x in (x for x in ev.extras if x.field == fs.field):
            st.markdown(_with_links(x.sentence))
        show_field_comments(sub.narratives, fs.field)


def transcript(session_id: str) -> None:
    st.subheader("Transcript")
    for t in services().interviews.transcript(session_id):
        n = turn_number(t.index)
        # The anchor id is built from an integer only, so this HTML carries no user text.
        st.markdown(f'<div id="turn-{int(n)}"></div>', unsafe_allow_html=True)
        who = "You" if t.role == "therapist" else "Patient"
        st.markdown(f"**{n}. {who}:** {as_text(t.text)}")


def page() -> None:
    st.title("Formulation feedback")
    session_id = chosen_session("Session", "Pick an interview whose formulation you have submitted to see how it scored, "
                                "with the patient's words behind each part.")
    if not session_id:
        return
    try:
        sub = services().formulations.submission(session_id)
    except NotSubmitted as err:
        st.info(str(err))
        return
    except SessionNotFound:
        st.error("There is no such session.")
        return
    except AccessDenied as err:
        st.error(str(err))
        return
    if sub.attempt == "repeat":
        st.badge("Repeat practice", icon=":material/replay:", color="orange")
        st.caption("You had seen the reference for this case and situation before: this score is charted "
                   "apart from your graded attempt.")
    else:
        st.badge("Graded attempt", icon=":material/verified:", color="green")
    corrections = services().supervision.corrections_of(sub.owner, record_id=session_id)
    summary(sub)
    with st.expander("How this is scored (the rubric)"):
        show_formulation_rubric()
    for fs in sub.score.fields:
        field_section(sub, fs, corrections)
    transcript(session_id)


page()
