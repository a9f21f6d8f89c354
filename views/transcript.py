"""A transcript with supervisors' comments under their turns, shared by Practice and Review."""

from __future__ import annotations

import streamlit as st

from simulator.cbt.interview import Turn, turn_number
from views.common import as_text, current_actor, services

ROLE_AVATAR = {"therapist": "user", "patient": "assistant"}


def show_turn(role: str, text: str, complete: bool = True, number: int | None = None) -> None:
    """One line of a transcript; `number` is its turn number, the one the interview report, the
    formulation feedback's evidence and supervisors' comments cite."""
    with st.chat_message(ROLE_AVATAR[role]):
        st.markdown(as_text(text))
        if not complete:
            st.caption("This reply was cut off before it finished.")
        if number is not None:
            st.caption(f"Turn {number}")


@st.cache_data(show_spinner="Looking for thinking traps…", max_entries=64)
def _annotated(session_id: str, turn_count: int, _turns: list[Turn]) -> list:
    # Keyed on the session and its length: a transcript only ever grows. Run once for both views.
    return services().traps.annotate(_turns)


def _traps(session_id: str, turn_count: int, turns: list[Turn]) -> dict[int, str]:
    return {i: ", ".join(f"{p.name} ({p.score:.0%})" for p in found)
            for i, found in _annotated(session_id, turn_count, turns)}


def _trap_ids(session_id: str, turn_count: int, turns: list[Turn]) -> dict[int, list[str]]:
    return {i: [p.pattern for p in found] for i, found in _annotated(session_id, turn_count, turns)}


def show_transcript(session_id: str, turns: list[Turn], *, can_comment: bool = False, corrections=(),
                    correct_traps=None) -> None:
    """The transcript with comments; `correct_traps(turn, patterns, reason)`, when given, lets a
    supervisor correct the thinking traps marked on a patient line."""
    from simulator.traps.patterns import name_of, pattern_ids
    from views.corrections_view import show_corrections

    by_turn: dict[int, list] = {}
    if current_actor() is not None:
        for c in services().supervision.comments(session_id):
            by_turn.setdefault(c.turn_index, []).append(c)
    traps = {}
    if turns and st.toggle("Show thinking traps", key=f"traps-{session_id}",
                           help="Mark the unhelpful thinking patterns in the patient's lines."):
        traps = _traps(session_id, len(turns), turns)
    ids = _trap_ids(session_id, len(turns), turns) if traps else {}
    for i, t in enumerate(turns):
        answered_again = t.role == "patient" and not t.complete and i + 1 < len(turns) and turns[i + 1].role == "patient"
        if answered_again:
            # Asked again after a cut: one question shows one answer; the cut one is folded away.
            with st.expander(f"Turn {turn_number(t.index)}: a reply that was cut off, then asked again"):
                st.markdown(as_text(t.text))
            continue
        n = turn_number(t.index)
        show_turn(t.role, t.text, t.complete, number=n)
        if t.index in traps:
            st.caption(f"Thinking traps: {traps[t.index]}")
            show_corrections(corrections, "trap_label", "patterns", turn=n,
                             shown_as=lambda v: ", ".join(name_of(p) for p in v) or "none")
            if correct_traps is not None:
                _trap_form(n, ids.get(t.index, []), correct_traps, pattern_ids(), name_of)
        for c in by_turn.get(t.index, []):
            st.info(f"**{as_text(c.author)}** on turn {n}: {as_text(c.text)}", icon=":material/comment:")
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


def _trap_form(turn: int, found: list[str], correct, all_ids, name_of) -> None:
    with st.popover("Correct the traps", icon=":material/edit_note:"):
        with st.form(f"traps-{turn}", clear_on_submit=True):
            picked = st.multiselect("The thinking traps in this line", list(all_ids), default=found,
                                    format_func=name_of, key=f"tp-{turn}")
            reason = st.text_input("Why (needed when you change them)", key=f"tr-{turn}", max_chars=500)
            if st.form_submit_button("Save"):
                try:
                    correct(turn, picked, reason)
                    st.rerun()
                except (ValueError, PermissionError) as err:
                    st.error(str(err))


def show_grades(session_id: str) -> None:
    if current_actor() is None:
        return
    rubric = {i.id: i.title for i in services().supervision.rubric().items}
    for g in services().supervision.grades(session_id):
        with st.container(border=True):
            st.markdown(f"**Grade by {as_text(g.author)}**: {g.total:.0f}/100 · {g.created_at:%Y-%m-%d} · "
                        f"rubric version {g.rubric_version}")
            st.write(" · ".join(f"{rubric.get(k, k)}: {v}" for k, v in g.scores.items()))
            if g.note:
                st.markdown(as_text(g.note))
