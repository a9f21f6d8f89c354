"""Progress page: one function per section, so later features add theirs beside this one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.formulation.scoring import LABELS
from views.common import services


def formulation_section(owner: str | None = None) -> None:
    """Formulation scores over time, overall and per field (as % of the field's 2 points)."""
    st.subheader("Case formulation")
    try:
        points = services().formulations.history(owner)
    except AccessDenied as err:
        st.error(str(err))
        return
    if not points:
        st.caption("No submitted formulations yet.")
        return
    graded = [p for p in points if p.attempt == "graded"]
    repeat = [p for p in points if p.attempt == "repeat"]
    c1, c2, c3 = st.columns(3)
    if graded:
        c1.metric("Latest graded attempt", f"{graded[-1].total:g} / 100",
                  delta=None if len(graded) < 2 else f"{graded[-1].total - graded[-2].total:+g}")
    c2.metric("Formulations submitted", len(points))
    c3.metric("Repeat practice", len(repeat), help="Sessions on a case and situation whose reference "
              "you had already seen; charted apart from graded attempts.")
    if graded:
        st.caption("Graded attempts: total score (0-100)")
        st.line_chart(pd.DataFrame({"graded attempt": [p.total for p in graded]},
                                   index=[p.submitted_at for p in graded]))
        st.caption("Graded attempts, per field (% of the rubric's top level)")
        st.line_chart(pd.DataFrame({LABELS[f]: [50 * p.fields.get(f, 0) for p in graded] for f in LABELS},
                                   index=[p.submitted_at for p in graded]))
    if repeat:
        st.caption("Repeat practice: total score (0-100), after the reference had been seen")
        st.line_chart(pd.DataFrame({"repeat practice": [p.total for p in repeat]},
                                   index=[p.submitted_at for p in repeat]), color="#ff9f1c")


def page() -> None:
    from views.progress_dearman import dearman_progress
    from views.progress_traps import traps_progress

    st.title("My progress")
    tab_cbt, tab_dbt, tab_traps = st.tabs(["Case formulations", "DEAR MAN", "Thinking traps"])
    with tab_cbt:
        formulation_section()
    with tab_dbt:
        dearman_progress()
    with tab_traps:
        traps_progress()


page()
