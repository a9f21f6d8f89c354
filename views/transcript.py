"""A transcript with supervisors' comments under their turns, shared by Practice and Review."""

from __future__ import annotations

import streamlit as st

from simulator.cbt.interview import Turn
from views.common import as_text, current_actor, services

ROLE_AVATAR = {"therapist": "user", "patient": "assistant"}


def show_turn(role: str, text: str, complete: bool = True) -> None:
    with st.chat_message(ROLE_AVATAR[role]):
        st.markdown(as_text(text))
        if not complete:
            st.caption("This reply was cut off before it finished.")


@st.cache_data(show_spinner="Looking for thinking traps…", max_entries=64)
def _traps(session_id: str, turn_count: int, _turns: list[Turn]) -> dict[int, str]:
    # Keyed on the session and its length: a transcript only ever grows.
    return {i: ", ".join(f"{p.name} ({p.score:.0%})" for p in found)
            for i, found in services().traps.annotate(_turns)}


def show_transcript(session_id: str, turns: list[Turn], *, can_comment: bool = False) -> None:
    by_turn: dict[int, list] = {}
    if current_actor() is not None:
        for c in services().supervision.comments(session_id):
            by_turn.setdefault(c.turn_index, []).append(c)
    traps = {}
    if turns and st.toggle("Show thinking traps", key=f"traps-{session_id}",
                           help="Mark the unhelpful thinking patterns in the patient's lines."):
        traps = _traps(session_id, len(turns), turns)
    for i, t in enumerate(turns):
        answered_again = t.role == "patient" and not t.complete and i + 1 < len(turns) and turns[i + 1].role == "patient"
        if answered_again:
            # Asked again after a cut: one question shows one answer; the cut one is folded away.
            with st.expander(f"Turn {t.index + 1}: a reply that was cut off, then asked again"):
                st.markdown(as_text(t.text))
            continue
        show_turn(t.role, t.text, t.complete)
        if t.index in traps:
            st.caption(f"Thinking traps: {traps[t.index]}")
        for c in by_turn.get(t.index, []):
            st.info(f"**{as_text(c.author)}** on turn {t.index + 1}: {as_text(c.text)}", icon=":material/comment:")
        if can_comment:
            with st.popover("Comment", icon=":material/add_comment:"):
                with st.form(f"comment-{t.index}", clear_on_submit=True):
                    text = st.text_area("Comment on this turn", key=f"ctext-{t.index}")
                    if st.form_submit_button("Save comment"):
                        try:
                            services().supervision.add_comment(session_id, t.index, text)
                            st.rerun()
                        except (ValueError, PermissionError) as err:
                            st.error(str(err))


def show_grades(session_id: str) -> None:
    if current_actor() is None:
        return
    rubric = {i.id: i.title for i in services().supervision.rubric().items}
    for g in services().supervision.grades(session_id):
        with st.container(border=True):
            st.markdown(f"**Grade by {as_text(g.author)}**: {g.total:.0f}/100 · {g.created_at:%Y-%m-%d}")
            st.write(" · ".join(f"{rubric.get(k, k)}: {v}" for k, v in g.scores.items()))
            if g.note:
                st.markdown(as_text(g.note))
