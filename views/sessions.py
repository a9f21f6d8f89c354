"""My sessions: earlier sessions to resume or read."""

import streamlit as st

from views.common import as_text, services

st.title("My sessions")
rows = services().interviews.my_sessions_with_counts()
if not rows:
    st.info("No sessions yet. Start one on the Practice page.")
for row in rows:
    info = row.info
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.markdown(
            f"**{as_text(info.case_name)}** · situation {info.situation_index + 1} · {info.style} style · "
            f"{row.messages} messages · {'active' if info.status == 'active' else 'ended'}"
            + (f" · **{row.attempt_label}**" if row.attempt_label else "")
        )
        left.caption(f"Started {info.created_at:%Y-%m-%d %H:%M} UTC · engine: {info.engine}")
        label = "Resume" if info.status == "active" else "Read"
        if right.button(label, key=f"open-{info.id}"):
            st.switch_page("views/practice.py", query_params={"session": info.id})
        if right.button("Formulation", key=f"form-{info.id}"):
            st.switch_page("views/formulation.py", query_params={"session": info.id})
