"""Feedback page: the trainee's formulation beside the reference, field by field, with scores,
the patient's words linked to their turns, and questions for the next interview.

Shown only after submission (simulator.formulation_store.submission refuses before it).
"""

from __future__ import annotations

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.formulation.errors import NotSubmitted
from simulator.core.errors import SessionNotFound
from views.common import as_text, chosen_session, services
from views.rubric_view import show_field_comments, show_formulation_rubric

STATUS = {
    "captured": ("Captured", "green"),
    "formulation_error": ("Came up, missed in the formulation", "orange"),
    "interview_gap": ("Never came up: an interview gap", "blue"),
}


def _value(value) -> str:
    if isinstance(value, list):
        return "  \n".join(f"- {as_text(v)}" for v in value) if value else "_(empty)_"
    return as_text(value) if value else "_(empty)_"


def _turn_link(turn: int) -> str:
    return f"[turn {turn + 1}](#turn-{turn})"


def summary(sub) -> None:
    ev = sub.score.evidence
    c1, c2, c3 = st.columns(3)
    c1.metric("Total", f"{sub.score.total:g} / 100")
    if ev is not None:
        c2.metric("On what came up", "-" if ev.total_on_surfaced is None else f"{ev.total_on_surfaced:g} / 100",
                  help="Your score against only the parts of the case the patient disclosed.")
        c3.metric("Lost to interview gaps", f"{ev.gap_points:g} points",
                  help="Points missed on fields that never came up in the interview.")
    for result in sub.narratives:
        label = "Offline feedback" if result.engine == "offline" else f"Feedback from {result.engine[4:]}"
        with st.container(border=True):
            st.caption(label)
            st.markdown(as_text(result.narrative.summary))
            if result.narrative.strengths:
                st.markdown("**Strengths**  \n" + "  \n".join(f"- {as_text(s)}" for s in result.narrative.strengths))
            if result.narrative.next_interview:
                st.markdown("**Next interview**  \n" + "  \n".join(
                    f"- {as_text(s)}" for s in result.narrative.next_interview))
            if result.fallback_reason:
                st.caption(f"The model judge was not used: {as_text(result.fallback_reason)}")


def field_section(sub, fs) -> None:
    ev = sub.score.evidence
    status = ev.field_status.get(fs.field) if ev else None
    with st.container(border=True):
        head, badge = st.columns([3, 2])
        head.subheader(f"{fs.label}: {fs.level:g} / 2")
        if status:
            text, color = STATUS[status]
            badge.badge(text, color=color)
        st.caption(f"Weight {fs.weight:g} · {fs.points:.1f} points · {as_text(fs.descriptor)}")
        mine, ref = st.columns(2)
        mine.markdown("**You wrote**  \n" + _value(getattr(sub.formulation, fs.field)))
        ref.markdown("**Reference**  \n" + _value(getattr(sub.reference, fs.field)))
        if fs.closed:
            st.markdown(f"Precision {fs.closed.precision:.2f} · recall {fs.closed.recall:.2f} · "
                        f"F1 {fs.closed.f1:.2f}")
            if fs.closed.misses:
                st.markdown("Missed: " + "; ".join(as_text(m) for m in fs.closed.misses))
            if fs.closed.extras:
                st.markdown("Not the patient's: " + "; ".join(as_text(x) for x in fs.closed.extras))
        for m in fs.matches:
            st.markdown(f"- {as_text(m.trainee)} → closest reference sentence: "
                        f"_{as_text(m.reference)}_ (similarity {m.similarity:.2f})")
        if ev is None:
            show_field_comments(sub.narratives, fs.field)
            return
        for e in (e for e in ev.elements if e.field == fs.field):
            name = as_text(e.element) if fs.closed else ""
            if e.surfaced:
                quotes = "; ".join(f"{_turn_link(q.turn)}: “{as_text(q.text)}”" for q in e.quotes)
                verb = "you have it" if e.status == "captured" else "missing from your formulation"
                st.markdown(f"{name} Came up: {quotes} ({verb}).")
            else:
                st.markdown(f"{name} This never came up: next time ask about {as_text(e.ask_next or '')}")
        unsupported = [c for c in ev.claims if c.field == fs.field and not c.supported]
        for c in unsupported:
            st.markdown(f"Nothing the patient said supports “{as_text(c.claim)}”: check it with them next time.")
        show_field_comments(sub.narratives, fs.field)


def transcript(session_id: str) -> None:
    st.subheader("Transcript")
    for t in services().interviews.transcript(session_id):
        # The anchor id is built from an integer only, so this HTML carries no user text.
        st.markdown(f'<div id="turn-{int(t.index)}"></div>', unsafe_allow_html=True)
        who = "You" if t.role == "therapist" else "Patient"
        st.markdown(f"**{t.index + 1}. {who}:** {as_text(t.text)}")


def page() -> None:
    st.title("Formulation feedback")
    session_id = chosen_session("Session")
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
    summary(sub)
    with st.expander("How this is scored (the rubric)"):
        show_formulation_rubric()
    for fs in sub.score.fields:
        field_section(sub, fs)
    transcript(session_id)


page()
