"""Practicum's Streamlit entry: navigation only; pages live in views/, logic in simulator/."""

import streamlit as st

from views.common import ensure_database

st.set_page_config(page_title="Practicum", page_icon="🗣️", layout="wide")
ensure_database()

page = st.navigation(
    [
        st.Page("views/practice.py", title="Practice", icon=":material/forum:", default=True),
        st.Page("views/sessions.py", title="My sessions", icon=":material/history:"),
    ]
)
page.run()
