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


def done_line(a: reviews.Assignment) -> str:
    """The trainee's own progress on an assignment, in a few words."""
    mine = supervision.completions(a.id)
    done = mine[0].done_at if mine else None
    return f"done {done:%Y-%m-%d}" if done else "not done yet"


def start(a: reviews.Assignment) -> None:
    """Open the exercise an assignment asks for."""
    if a.kind == "dearman":
        st.session_state.dm_chosen = a.target_id  # the DEAR MAN page opens its start form for it
        st.switch_page("views/dearman.py")
    try:
        info = services().interviews.start_assignment(a.id)
    except (ValueError, AccessDenied) as err:
        st.error(str(err))
    else:
        st.switch_page("views/practice.py", query_params={"session": info.id})


mine = supervision.my_assignments()
if mine or actor.role == "trainee":  # staff see this part only when something is assigned to them
    st.subheader("Assigned to me")
if not mine and actor.role == "trainee":
    st.write("Nothing assigned to you.")
for a in mine:
    # The button under the line (in a column beside it, it was cut off in a narrow window).
    with st.container(border=True):
        st.markdown(f"{describe(a)} · {done_line(a)}")
        if st.button("Start", key=f"start-{a.id}", icon=":material/play_arrow:"):
            start(a)

ASSIGN_FIELDS = ("assign-target", "assign-style", "assign-cohort", "assign-trainee", "assign-due", "assign-note",
                 "assign-live")

if actor.role in ("supervisor", "admin"):
    st.subheader("Set an exercise")
    if st.session_state.pop("assign-saved", False):
        # A saved assignment leaves an empty form, so the next one is never set with the last one's choices.
        for key in ASSIGN_FIELDS:
            st.session_state.pop(key, None)
        st.success("Assigned.")
    groups = supervision.cohorts()
    group_names = {g["id"]: g["name"] for g in groups}
    trainees = supervision.trainees()
    trainee_names = {t["id"]: t["username"] for t in trainees}
    kind = st.radio("Exercise", ["CBT interview", "DEAR MAN conversation"], horizontal=True, key="assign-kind")
    if kind == "CBT interview":
        target = st.selectbox("Case", list(cases), format_func=lambda i: cases[i].name, key="assign-target")
        style = st.selectbox("Style", cases[target].styles, key="assign-style")  # only this case's styles
    else:
        target = st.selectbox("Scenario", list(talks), key="assign-target",
                              format_func=lambda i: f"{talks[i].title} (difficulty {talks[i].difficulty})")
        style = None
    who = st.radio("For", ["A cohort", "One trainee"], horizontal=True, key="assign-who")
    with st.form("assign"):
        if who == "A cohort":
            cohort = st.selectbox("Cohort", list(group_names), format_func=group_names.get, key="assign-cohort")
            trainee = None
        else:
            trainee = st.selectbox("Trainee", list(trainee_names), format_func=trainee_names.get,
                                   key="assign-trainee")
            cohort = None
        due = st.date_input("Due", date.today() + timedelta(days=7), key="assign-due")
        note = st.text_area("Note", key="assign-note")
        live = st.checkbox("Show live interview counts while the trainee practises", value=False, key="assign-live",
                           help="Off by default for assigned sessions: the trainee sees the counts in the "
                                "report afterwards either way.") if kind == "CBT interview" else False
        if st.form_submit_button("Assign", type="primary"):
            try:
                supervision.assign("cbt" if kind == "CBT interview" else "dearman", target, due,
                                   style=style, note=note, live_counts=live, cohort_id=cohort, trainee_id=trainee)
            except (ValueError, AccessDenied) as err:
                st.error(str(err))  # the form keeps what was chosen
            else:
                st.session_state["assign-saved"] = True
                st.rerun()
    st.subheader("Set by me")
    for a in supervision.assignments_set():
        whom = (f"cohort {group_names.get(a.cohort_id, a.cohort_id)}" if a.cohort_id
                else trainee_names.get(a.trainee_id, a.trainee_id))
        progress = supervision.completions(a.id)
        finished = [c for c in progress if c.done_at]
        with st.container(border=True):
            left, right = st.columns([5, 2], vertical_alignment="center")
            left.markdown(f"{describe(a)} · for **{as_text(whom or '')}** · done by {len(finished)} of {len(progress)}")
            with left.expander("Who has done it"):
                for c in progress:
                    st.markdown(f"- {as_text(c.username)}: "
                                + (f"done {c.done_at:%Y-%m-%d}" if c.done_at else "not done yet"))
            if a.kind == "cbt":
                on = right.toggle("Live counts", value=a.live_counts, key=f"live-{a.id}")
                if on != a.live_counts:
                    try:
                        supervision.set_live_counts(a.id, on)
                    except AccessDenied as err:
                        st.error(str(err))
