"""The thinking-traps section of a trainee's progress page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulator.core.text import agreeing
from views.charts import over_time, reading
from views.common import as_text, services
from views.restructuring_view import status_label


def traps_progress(owner: str | None = None) -> None:
    """Render drill and restructuring progress for `owner` (default: the actor's own work)."""
    data = services().traps.summary(owner)
    st.subheader("Thinking traps")
    if not data["drill_attempts"] and not data["restructuring"]:
        st.caption("No thinking-traps exercises yet.")
        return
    if data["drill_attempts"]:
        c1, c2, c3 = st.columns(3)
        c1.metric("Drill attempts", data["drill_attempts"])
        c2.metric("Patterns exactly right", f"{data['pattern_exact']:.0%}")
        c3.metric("Reframe checks", f"{round(data['reframe_criteria'], 1):g} of 4",
                  help="How many of the four reframe checks your reframes met, on average.")
        timeline = data["timeline"]
        st.markdown(reading([round(100 * t["criteria_met"] / 4) for t in timeline], "reframes' checks met", "%",
                            count_noun="drill attempt"))
        points = pd.DataFrame([{"attempt": n, "measure": label, "score": round(100 * value)}
                               for n, t in enumerate(timeline, 1)
                               for label, value in (("Patterns spotted", t["pattern_score"]),
                                                    ("Reframe checks met", t["criteria_met"] / 4))])
        st.caption("Per drill attempt: % of the patterns spotted, and % of the four reframe checks met.")
        over_time(points, x="attempt", y="score", series="measure", y_title="%", domain=(0, 100),
                  x_title="Drill attempt", x_type="O", description="Pattern score and reframe checks per drill attempt")
        if data["most_missed"]:
            st.caption("Patterns missed most often: " + ", ".join(data["most_missed"]))
        if data["strategies"]:
            st.caption("Reframing strategies used: " + ", ".join(f"{k.replace('_', ' ')} ({v})"
                                                              for k, v in data["strategies"].items()))
    if data["restructuring"]:
        st.markdown("**Cognitive restructuring**")
        for ex in data["restructuring"]:
            stages = agreeing("{n} stage(s)", n=ex.stages_done)
            st.markdown(f"- \u201c{as_text(ex.thought)}\u201d \u2014 belief {ex.belief_start}% \u2192 {ex.belief_end}%, "
                        f"{stages} done, {status_label(ex.status)}")
