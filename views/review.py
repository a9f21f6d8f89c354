"""Review page for supervisors: a trainee's CBT sessions (turn comments, scores, the grade form) and
their cognitive-restructuring dialogues (read-only)."""

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.formulation.errors import NotSubmitted
from views.common import as_text, services
from views.restructuring_view import show_dialogue, summary_line
from views.rubric_view import show_formulation_rubric
from views.transcript import show_grades, show_transcript


def cbt_review(svc, trainee: str) -> None:
    rows = svc.interviews.sessions_of(trainee)
    if not rows:
        st.write("No CBT sessions yet.")
        return
    labels = {r.info.id: f"{r.info.created_at:%Y-%m-%d %H:%M} · {r.info.case_name} · situation "
                         f"{r.info.situation_index + 1} · {r.info.style} · {r.info.status}"
                         + (f" · {r.attempt_label}" if r.attempt_label else "") for r in rows}
    session_id = st.selectbox("Session", list(labels), format_func=labels.get)
    chosen = next(r for r in rows if r.info.id == session_id)
    if chosen.attempt == "repeat":
        st.badge("Repeat practice", icon=":material/replay:", color="orange")
        st.caption("The trainee had seen the reference for this case and situation: judge this session as practice.")
    elif chosen.attempt == "graded":
        st.badge("Graded attempt", icon=":material/verified:", color="green")
    try:
        turns = svc.interviews.transcript(session_id)  # checks that this reviewer may read it
        show_transcript(session_id, turns, can_comment=True)
    except AccessDenied as err:
        st.error(str(err))
        return
    st.divider()
    st.subheader("Automatic scores")
    with st.expander("How formulations are scored (the rubric)"):
        show_formulation_rubric()
    try:
        sub = svc.formulations.submission(session_id)
    except NotSubmitted:
        st.write("No formulation submitted for this session yet.")
    else:
        ev = sub.score.evidence
        c1, c2 = st.columns(2)
        c1.metric("Formulation total", f"{sub.score.total:g} / 100")
        if ev is not None:
            c2.metric("Lost to interview gaps", f"{ev.gap_points:g} points")
        st.dataframe({"field": [f.label for f in sub.score.fields],
                      "level (0-2)": [round(f.level, 2) for f in sub.score.fields],
                      "points": [round(f.points, 1) for f in sub.score.fields]}, hide_index=True)
        if st.button("Open the full formulation feedback"):
            st.switch_page("views/feedback.py", query_params={"session": session_id})
    with st.popover("Reset the reference for this case", icon=":material/restart_alt:"):
        st.write(f"The trainee's next formulation on {as_text(chosen.info.case_name)} will count as a graded "
                 "attempt again (for every situation). Earlier sessions keep their labels. This is logged.")
        if st.button("Reset", key="reveal-reset"):
            try:
                n = svc.supervision.reset_reveal(trainee, chosen.info.case_id)
                st.success(f"Reset ({n} reveal(s))." if n else "There was nothing to reset for this case.")
            except AccessDenied as err:
                st.error(str(err))
    st.divider()
    st.subheader("Grades")
    show_grades(session_id)
    rubric = svc.supervision.rubric()
    with st.form("grade"):
        st.caption(f"{rubric.name}: {rubric.scale['min']}–{rubric.scale['max']} per item")
        scores = {}
        for item in rubric.items:
            scores[item.id] = st.slider(item.title, rubric.scale["min"], rubric.scale["max"], 3, key=f"g-{item.id}")
            st.caption(" · ".join(f"{k}: {as_text(v)}" for k, v in item.anchors.items()))
        note = st.text_area("Note to the trainee")
        if st.form_submit_button("Save grade", type="primary"):
            try:
                g = svc.supervision.grade(session_id, scores, note)
                st.success(f"Saved: {g.total:.0f}/100.")
            except (ValueError, AccessDenied) as err:
                st.error(str(err))


def restructuring_review(svc, trainee: str) -> None:
    try:
        dialogues = svc.traps.restructuring_of(trainee)
    except AccessDenied as err:
        st.error(str(err))
        return
    if not dialogues:
        st.write("No cognitive-restructuring dialogues yet.")
        return
    labels = {d.id: summary_line(d) for d in dialogues}
    picked = st.selectbox("Dialogue", list(labels), format_func=labels.get, key="review-rs")
    try:
        show_dialogue(svc.traps.restructuring(picked))  # checks that this reviewer may read it
    except AccessDenied as err:
        st.error(str(err))


svc = services()
st.title("Review")
trainees = svc.supervision.trainees()
if not trainees:
    st.info("You supervise no trainees yet. An admin adds you to a cohort as its supervisor.")
    st.stop()

names = {t["id"]: t["username"] for t in trainees}
trainee = st.selectbox("Trainee", list(names), format_func=names.get)
tab_cbt, tab_rs = st.tabs(["CBT interviews", "Cognitive restructuring"])
with tab_cbt:
    cbt_review(svc, trainee)
with tab_rs:
    restructuring_review(svc, trainee)
