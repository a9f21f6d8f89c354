"""Assignments: supervisors set exercises with due dates; trainees see what is assigned to them."""

from datetime import date, timedelta

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.supervision import reviews
from views.common import as_text, current_actor, library, scenarios, services

actor = current_actor()
supervision = services().supervision
st.title("Assignments")
cases = {c.id: c for c in library()}
talks = {s.id: s for s in scenarios()}


def describe(a: reviews.Assignment) -> str:
    if a.kind == "cbt":
        what = cases[a.target_id].name if a.target_id in cases else a.target_id
    else:
        what = talks[a.target_id].title if a.target_id in talks else a.target_id
    kind = "CBT interview" if a.kind == "cbt" else "DEAR MAN"
    style = f" ({a.style} style)" if a.style else ""
    overdue = " · **overdue**" if a.due < date.today() else ""
    return f"{kind}: {as_text(what)}{style} · due {a.due:%Y-%m-%d}{overdue}" + (f" · {as_text(a.note)}" if a.note else "")


mine = supervision.my_assignments()
st.subheader("Assigned to me")
if not mine:
    st.write("Nothing assigned to you.")
for a in mine:
    st.markdown(f"- {describe(a)}")

if actor.role in ("supervisor", "admin"):
    st.subheader("Set an exercise")
    groups = supervision.cohorts()
    trainees = supervision.trainees()
    kind = st.radio("Exercise", ["CBT interview", "DEAR MAN conversation"], horizontal=True)
    if kind == "CBT interview":
        target = st.selectbox("Case", list(cases), format_func=lambda i: cases[i].name)
        style = st.selectbox("Style", cases[target].styles)  # only the styles this case is written for
    else:
        target = st.selectbox("Scenario", list(talks),
                              format_func=lambda i: f"{talks[i].title} (difficulty {talks[i].difficulty})")
        style = None
    with st.form("assign"):
        who = st.radio("For", ["A cohort", "One trainee"], horizontal=True)
        cohort = st.selectbox("Cohort", [g["id"] for g in groups],
                              format_func=lambda i: next(g["name"] for g in groups if g["id"] == i))
        trainee = st.selectbox("Trainee", [t["id"] for t in trainees],
                               format_func=lambda i: next(t["username"] for t in trainees if t["id"] == i))
        due = st.date_input("Due", date.today() + timedelta(days=7))
        note = st.text_area("Note")
        if st.form_submit_button("Assign", type="primary"):
            try:
                supervision.assign("cbt" if kind == "CBT interview" else "dearman", target, due,
                                   style=style, note=note,
                               cohort_id=cohort if who == "A cohort" else None,
                               trainee_id=trainee if who == "One trainee" else None)
                st.success("Assigned.")
            except (ValueError, AccessDenied) as err:
                st.error(str(err))
    st.subheader("Set by me")
    for a in supervision.assignments_set():
        st.markdown(f"- {describe(a)}")
