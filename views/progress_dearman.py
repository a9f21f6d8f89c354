"""The DEAR MAN section of a progress page: skills over sessions, and emotion changes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulator.dearman.schema import EMOTIONS, SKILL_TITLES, SKILLS
from views.charts import over_time, reading
from views.common import as_text, services
from views.dearman_words import OUTCOME


def dearman_progress(owner: str | None = ...) -> None:
    """Render the section for `owner`'s sessions (default: the actor's own)."""
    st.subheader("DEAR MAN skills")
    rows = services().dearman.skill_rows(owner)
    if not rows:
        st.info("No DEAR MAN messages yet. Practise a conversation to see your skills here.")
        return
    frame = pd.DataFrame(rows)
    overall = [round(100 * sum(r[s] for s in SKILLS) / len(SKILLS)) for r in rows]
    st.markdown(reading(overall, "average skill rating", "%", count_noun="conversation"))
    st.caption("Average rating of each skill per conversation: 100% = strong (or yes), 50% = weak, 0 = none (or no).")
    long = pd.DataFrame([{"conversation": r["session"], "skill": SKILL_TITLES[s], "rating": round(100 * r[s])}
                         for r in rows for s in SKILLS])
    over_time(long, x="conversation", y="rating", series="skill", y_title="Rating (%)", domain=(0, 100),
              x_title="Conversation", x_type="O", description="Each DEAR MAN skill's average rating per conversation")
    frame["outcome"] = frame["outcome"].map(lambda o: OUTCOME.get(o, o))
    st.dataframe(frame[["session", "date", "scenario", "messages", "outcome"]], hide_index=True)

    st.subheader("How you felt, before and after")
    emotions = services().dearman.emotion_rows(owner)
    if not emotions:
        st.caption("Finish a conversation with the after ratings to see changes here.")
        return
    st.caption("Change from before to after each conversation (1 to 7 scale; negative means it eased).")
    changes = pd.DataFrame([{"conversation": row["session"], "emotion": e.capitalize(), "change": row[f"{e} change"]}
                            for row in emotions for e in EMOTIONS])
    over_time(changes, x="conversation", y="change", series="emotion", y_title="Change", x_title="Conversation",
              x_type="O", description="Change in each emotion from before to after each conversation")
    for row in emotions:
        parts = ", ".join(f"{e} {row[f'{e} before']}→{row[f'{e} after']}" for e in EMOTIONS)
        st.markdown(f"**{row['session']}. {as_text(row['scenario'])}**: {as_text(parts)}")
