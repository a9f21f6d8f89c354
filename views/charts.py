"""Charts that read at a glance: every point drawn and labelled (one attempt is a point, not empty
axes), dates in the reader's time zone, legends below the plot, and a one-line reading above it.

Marks are hidden from screen readers (`aria=False`); the chart's description and the reading say
what it shows.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import altair as alt
import pandas as pd
import streamlit as st

from views.common import as_text

log = logging.getLogger(__name__)


def local_time(when: datetime) -> datetime:
    """`when` in the browser's time zone (UTC when the browser does not say)."""
    return when.astimezone(_zone(st.context.timezone or "UTC"))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    """The zone a browser names; UTC for one this machine does not know (logged once per name)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        log.warning("the browser's time zone %r is unknown here (%s); times are shown in UTC", name, err)
        return ZoneInfo("UTC")


def reading(values: list[float], what: str, unit: str = "", count_noun: str = "attempt") -> str:
    """One sentence on how `values` (oldest first) moved: "Your total rose from 52 to 79 over three cases."."""
    def fmt(v: float) -> str:
        return f"{v:g}{unit}"

    if not values:
        return ""
    if len(values) == 1:
        return f"Your {what} was {fmt(values[0])} on your first {count_noun}."
    first, last = values[0], values[-1]
    span = f"over {len(values)} {count_noun}s"
    if last > first:
        return f"Your {what} rose from {fmt(first)} to {fmt(last)} {span}."
    if last < first:
        return f"Your {what} fell from {fmt(first)} to {fmt(last)} {span}."
    return f"Your {what} stayed at {fmt(last)} {span}."


def over_time(frame: pd.DataFrame, *, x: str, y: str, series: str | None = None, y_title: str,
              domain: tuple[float, float] | None = None, description: str, x_title: str = "",
              x_type: str = "T", label_format: str = ".1~f") -> None:
    """Lines with a labelled point at every value. Several series are drawn as small panels, three to a
    row and each named above it: on one plot, series with equal values (a field's levels are only 0, 50
    or 100) hid one another's points. The panels are page columns, each as wide as its column, so they
    shrink with the window and stack on a phone (fixed-width panels ran off a narrow screen)."""
    if not series:
        st.altair_chart(_lines(frame, x, y, y_title, domain, x_title, x_type, label_format)
                        .properties(height=280, description=description), width="stretch")
        return
    # One scale for every panel, so that panels compare.
    if not domain:  # whole numbers around every value and zero, so that a small change looks small
        lo, hi = min(float(frame[y].min()), 0.0), max(float(frame[y].max()), 0.0)
        domain = (math.floor(lo) - (lo == math.floor(lo)), math.ceil(hi) + (hi == math.ceil(hi)))
    names = list(dict.fromkeys(frame[series]))
    for start in range(0, len(names), 3):
        for column, name in zip(st.columns(3), names[start:start + 3]):
            part = frame[frame[series] == name]
            with column:
                # The name above the panel as text, which wraps (a chart title is cut to the panel's
                # width); the caller's caption above the panels says the unit, not every narrow axis.
                st.markdown(f"**{as_text(str(name))}**")
                st.altair_chart(_lines(part, x, y, "", domain, x_title, x_type, label_format, series)
                                .properties(height=140, description=f"{description} ({y_title}): {name}"),
                                width="stretch")


def _lines(frame: pd.DataFrame, x: str, y: str, y_title: str, domain: tuple[float, float] | None,
           x_title: str, x_type: str, label_format: str, series: str | None = None) -> alt.LayerChart:
    encode_x = alt.X(f"{x}:{x_type}", title=x_title or None,
                     axis=alt.Axis(format="%d %b %H:%M", labelAngle=0) if x_type == "T" else alt.Axis(labelAngle=0))
    scale = alt.Scale(domain=list(domain)) if domain else alt.Undefined
    encode_y = alt.Y(f"{y}:Q", title=y_title or None, scale=scale)
    base = alt.Chart(frame).encode(x=encode_x, y=encode_y, color=alt.value("#1f77b4"))
    tooltip = [alt.Tooltip(f"{c}", title=c) for c in (series, x, y) if c]
    # A value's label sits above its point, or below it near the top of the plot, where above it would
    # leave the plot (and push a panel's name out of line with its neighbours').
    lo, hi = domain or (float(frame[y].min()), float(frame[y].max()))
    near_top = hi - 0.15 * (hi - lo)
    text = alt.Text(f"{y}:Q", format=label_format)
    return (base.mark_line(aria=False) + base.mark_point(filled=True, size=70, aria=False).encode(tooltip=tooltip)
            + base.transform_filter(alt.datum[y] <= near_top).mark_text(dy=-12, aria=False).encode(text=text)
            + base.transform_filter(alt.datum[y] > near_top).mark_text(dy=14, aria=False).encode(text=text))
