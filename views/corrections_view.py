"""Supervisors' corrections shown beside the automatic score they correct (Review, the trainee's
feedback pages), and the form a supervisor corrects a score with."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from simulator.accounts.policy import AccessDenied
from views.common import as_text, form_round, next_form_round


def newest(corrections, kind: str, item: str, turn: int | None = None):
    """The newest supervisor verdict on one automatic score, or None."""
    found = [c for c in corrections if c.kind == kind and c.item == item and c.turn == turn]
    return found[-1] if found else None


def corrected_score(verdict, automatic):
    """The score to show: a supervisor's correction replaces the automatic one; an agreement keeps it."""
    return verdict.corrected if verdict is not None and not verdict.agrees else automatic


def show_corrections(corrections, kind: str, item: str, turn: int | None = None,
                     shown_as: Callable[[object], str] = str) -> None:
    """The newest supervisor verdict on one automatic score, if any."""
    c = newest(corrections, kind, item, turn)
    if c is None:
        return
    when = f"{c.created_at:%Y-%m-%d}"
    if c.agrees:
        note = f": {as_text(c.reason)}" if c.reason else "."
        st.caption(f":material/verified: {as_text(c.author)} checked this score and agrees ({when}){note}")
    else:
        reason = f": {as_text(c.reason)}" if c.reason else ""
        st.warning(f"**{as_text(c.author)} corrected this** ({when}): the automatic score was "
                   f"{as_text(shown_as(c.automatic))}; the right one is {as_text(shown_as(c.corrected))}{reason}",
                   icon=":material/edit_note:")


def score_row():
    """A score's text and, beside it, the place for its Correct button. The button keeps its whole
    label: in a narrow window it moves under the text instead of being squeezed into a column."""
    row = st.container(horizontal=True, vertical_alignment="center")
    return row.container(width="stretch"), row.container(width="content")


def correction_form(key: str, options: list, current, save: Callable[[object, str], object],
                    label: str = "Right score", shown_as: Callable[[object], str] = str) -> None:
    """A popover to mark an automatic score right or give the right one with a reason."""
    # The form keeps what was entered when the save is refused (a missing reason), so that the
    # corrected score is not quietly put back to the automatic one and saved as agreement; after a
    # save, a new round starts it afresh.
    version = form_round(f"correct-{key}")
    with st.popover("Correct", icon=":material/edit_note:"):
        with st.form(f"correct-{key}-{version}"):
            index = options.index(current) if current in options else 0
            value = st.selectbox(label, options, index=index, format_func=shown_as, key=f"cv-{key}-{version}")
            reason = st.text_input("Why (needed when you change the score)", key=f"cr-{key}-{version}",
                                   max_chars=500)
            if st.form_submit_button("Save"):
                try:
                    save(value, reason)
                except (ValueError, AccessDenied) as err:
                    st.error(str(err))
                else:
                    next_form_round(f"correct-{key}")
                    st.rerun()
