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
    last = points[-1]
    c1, c2 = st.columns(2)
    c1.metric("Latest total", f"{last.total:g} / 100",
              delta=None if len(points) < 2 else f"{last.total - points[-2].total:+g}")
    c2.metric("Formulations submitted", len(points))
    when = [p.submitted_at for p in points]
    st.caption("Total score (0-100)")
    st.line_chart(pd.DataFrame({"total": [p.total for p in points]}, index=when))
    st.caption("Per field (% of the rubric's top level)")
    per_field = {LABELS[f]: [50 * p.fields.get(f, 0) for p in points] for f in LABELS}
    st.line_chart(pd.DataFrame(per_field, index=when))


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
