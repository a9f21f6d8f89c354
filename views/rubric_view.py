"""The formulation rubric as a reader sees it: fields, weights, levels, and how text is judged."""

import streamlit as st

from simulator.cbt.formulation.rubric import FIELD_ORDER, load_rubric
from views.common import as_text


def show_formulation_rubric() -> None:
    rubric = load_rubric()
    t = rubric.thresholds.free_text
    st.caption(
        f"Rubric version {rubric.version}. Each field scores 0, 1 or 2 and counts with its weight; the "
        f"total is out of 100. Free text is judged by meaning: its similarity to this case's reference "
        f"minus its similarity to the same field of other cases must reach {t.partial:g} for level 1 and "
        f"{t.full:g} for level 2. Core beliefs and emotions score 2 × F1 against the reference.")
    rows = {"field": [], "weight": [], "0": [], "1": [], "2": []}
    for name in FIELD_ORDER:
        f = rubric.fields[name]
        rows["field"].append(f.label)
        rows["weight"].append(f.weight)
        for level, text in zip("012", (f.descriptors.zero, f.descriptors.one, f.descriptors.two)):
            rows[level].append(text)
    st.dataframe(rows, hide_index=True)


def show_field_comments(narratives, field: str) -> None:
    """The judges' comments on one field, each labelled with the engine that wrote it."""
    for result in narratives:
        for c in result.narrative.improvements:
            if c.field == field:
                who = "Offline feedback" if result.engine == "offline" else "Model feedback"
                st.markdown(f"_{who}:_ {as_text(c.comment)}")
