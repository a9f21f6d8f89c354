"""Practicum's Streamlit entry: sign-in and navigation only; pages live in views/, logic in simulator/."""

import streamlit as st

from views.auth import gate
from views.common import ensure_database

st.set_page_config(page_title="Practicum", page_icon="🗣️", layout="wide")
ensure_database()
actor = gate()

practice = [
    st.Page("views/practice.py", title="Practice", icon=":material/forum:", default=True),
    st.Page("views/sessions.py", title="My sessions", icon=":material/history:"),
    st.Page("views/formulation.py", title="Formulation", icon=":material/account_tree:"),
    st.Page("views/feedback.py", title="Formulation feedback", icon=":material/grading:"),
]
me = [
    st.Page("views/progress.py", title="My progress", icon=":material/trending_up:"),
    st.Page("views/assignments.py", title="Assignments", icon=":material/assignment:"),
    st.Page("views/account.py", title="Account", icon=":material/person:"),
]
skills = [
    st.Page("views/dearman.py", title="DEAR MAN practice", icon=":material/handshake:"),
    st.Page("views/traps_drill.py", title="Thinking traps drill", icon=":material/psychology:"),
    st.Page("views/restructuring.py", title="Cognitive restructuring", icon=":material/balance:"),
]
pages = {"Practice": practice, "Skills": skills, "Me": me}
if actor.role in ("supervisor", "admin"):
    pages["Supervision"] = [
        st.Page("views/review.py", title="Review", icon=":material/rate_review:"),
        st.Page("views/authoring.py", title="Author cases", icon=":material/edit_note:"),
        st.Page("views/authoring_scenarios.py", title="Author scenarios", icon=":material/edit_square:"),
    ]
if actor.role in ("researcher", "admin"):
    pages["Research"] = [st.Page("views/export.py", title="Export", icon=":material/download:")]
if actor.role == "admin":
    pages["Admin"] = [st.Page("views/admin.py", title="Accounts", icon=":material/manage_accounts:")]

st.navigation(pages).run()
