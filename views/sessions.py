"""My sessions: earlier sessions to resume or read."""

import streamlit as st

from simulator.cbt.sessions import SessionStore
from views.common import as_text, practice, store

st.title("My sessions")
sessions = practice().my_sessions()
if not sessions:
    st.info("No sessions yet. Start one on the Practice page.")
counts = SessionStore(store()).turn_counts([s.id for s in sessions])
for info in sessions:
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.markdown(
            f"**{as_text(info.case_name)}** · situation {info.situation_index + 1} · {info.style} style · "
            f"{counts.get(info.id, 0)} messages · {'active' if info.status == 'active' else 'ended'}"
        )
        left.caption(f"Started {info.created_at:%Y-%m-%d %H:%M} UTC · engine: {info.engine}")
        label = "Resume" if info.status == "active" else "Read"
        if right.button(label, key=f"open-{info.id}"):
            st.switch_page("views/practice.py", query_params={"session": info.id})
        if right.button("Formulation", key=f"form-{info.id}"):
            st.switch_page("views/formulation.py", query_params={"session": info.id})
