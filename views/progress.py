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
    graded = [p for p in points if p.attempt != "repeat"]
    repeat = [p for p in points if p.attempt == "repeat"]
    c1, c2, c3 = st.columns(3)
    if graded:
        change = None if len(graded) < 2 else round(graded[-1].total - graded[-2].total, 1)
        c1.metric("Latest graded attempt", f"{graded[-1].total:g} / 100",
                  delta=f"{change:+g} since the one before" if change else None)
    c2.metric("Formulations charted", len(points))
    c3.metric("Repeat practice", len(repeat), help="Sessions on a case and situation whose reference "
              "you had already seen; charted apart from graded attempts.")
    if graded:
        st.markdown(reading([p.total for p in graded], "formulation total", count_noun="graded attempt"))
        st.caption("Graded attempts: total score (0-100)")
        totals = pd.DataFrame({"submitted": [local_time(p.submitted_at) for p in graded],
                               "total": [p.total for p in graded]})
        over_time(totals, x="submitted", y="total", y_title="Total (0-100)", domain=(0, 100),
                  description="Formulation total per graded attempt, oldest first")
        st.caption("Graded attempts, per field (% of the rubric's top level)")
        per_field = pd.DataFrame([{"submitted": local_time(p.submitted_at), "field": LABELS[f],
                                   "score": 50 * p.fields.get(f, 0)} for p in graded for f in LABELS])
        over_time(per_field, x="submitted", y="score", series="field", y_title="% of top level", domain=(0, 100),
                  description="Each formulation field's level per graded attempt")
    if repeat:
        st.caption("Repeat practice: total score (0-100), after the reference had been seen")
        again = pd.DataFrame({"submitted": [local_time(p.submitted_at) for p in repeat],
                              "total": [p.total for p in repeat]})
        over_time(again, x="submitted", y="total", y_title="Total (0-100)", domain=(0, 100),
                  description="Formulation total per repeat-practice session, oldest first")


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
