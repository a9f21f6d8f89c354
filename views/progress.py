"""Progress page: one function per section, so later features add theirs beside this one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.formulation.scoring import LABELS
from views.charts import local_time, over_time, reading
from views.common import services


def formulation_section(owner: str | None = None) -> None:
    """Formulation totals over time, overall and per field (as % of the field's top level)."""
    st.subheader("Case formulation")
    try:
        points = services().formulations.history(owner)
    except AccessDenied as err:
        st.error(str(err))
        return
    # A blank submission says nothing about skill: it is not charted.
    points = [p for p in points if p.total > 0 or any(p.fields.values())]
    if not points:
        st.caption("No submitted formulations yet.")
        return
    last = points[-1]
    change = None if len(points) < 2 else round(last.total - points[-2].total, 1)
    c1, c2 = st.columns(2)
    c1.metric("Latest total", f"{last.total:g} / 100", delta=f"{change:+g} since the one before" if change else None)
    c2.metric("Formulations charted", len(points))
    st.markdown(reading([p.total for p in points], "formulation total", count_noun="formulation"))
    totals = pd.DataFrame({"submitted": [local_time(p.submitted_at) for p in points],
                           "total": [p.total for p in points]})
    over_time(totals, x="submitted", y="total", y_title="Total (0-100)", domain=(0, 100),
              description="Formulation total per submission, oldest first")
    st.caption("Per field, as % of the rubric's top level")
    per_field = pd.DataFrame([{"submitted": local_time(p.submitted_at), "field": LABELS[f],
                               "score": 50 * p.fields.get(f, 0)} for p in points for f in LABELS])
    over_time(per_field, x="submitted", y="score", series="field", y_title="% of top level", domain=(0, 100),
              description="Each formulation field's level per submission")


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
