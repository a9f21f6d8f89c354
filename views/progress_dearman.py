"""The DEAR MAN section of a progress page: skills over sessions, and emotion changes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulator.dearman.schema import EMOTIONS, SKILL_TITLES, SKILLS
from views.common import as_text, services


def dearman_progress(owner: str | None = ...) -> None:
    """Render the section for `owner`'s sessions (default: the actor's own)."""
    st.subheader("DEAR MAN skills")
    rows = services().dearman.skill_rows(owner)
    if not rows:
        st.info("No DEAR MAN messages yet. Practise a conversation to see your skills here.")
        return
    frame = pd.DataFrame(rows)
    chart = frame.set_index("session")[list(SKILLS)].rename(columns=SKILL_TITLES)
    st.caption("Average rating of each skill per conversation: 1 = strong (or yes), 0.5 = weak, 0 = none (or no).")
    st.line_chart(chart, x_label="Conversation", y_label="Rating")
    st.dataframe(frame[["session", "date", "scenario", "messages", "outcome"]], hide_index=True)

    st.subheader("How you felt, before and after")
    emotions = services().dearman.emotion_rows(owner)
    if not emotions:
        st.caption("Finish a conversation with the after ratings to see changes here.")
        return
    changes = pd.DataFrame(emotions).set_index("session")[[f"{e} change" for e in EMOTIONS]]
    changes.columns = [e.capitalize() for e in EMOTIONS]
    st.caption("Change from before to after each conversation (1 to 7 scale; negative means it eased).")
    st.bar_chart(changes, stack=False, x_label="Conversation", y_label="Change")
    for row in emotions:
        parts = ", ".join(f"{e} {row[f'{e} before']}→{row[f'{e} after']}" for e in EMOTIONS)
        st.markdown(f"**{row['session']}. {as_text(row['scenario'])}**: {as_text(parts)}")
