"""Guided cognitive restructuring: lead a simulated patient from a thought to a balanced alternative."""

from __future__ import annotations

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.services.traps import RestructuringLocked
from simulator.traps import restructuring as rs
from simulator.traps.patterns import name_of
from views.common import (
    as_text,
    ensure_database,
    library,
    services,
)

ensure_database()
st.title("Cognitive restructuring")


@st.cache_data(show_spinner=False, max_entries=64)
def _distorted(case_id: str, version: int, _case) -> list:
    return rs.distorted_thoughts(_case)


def choose() -> None:
    st.caption("Pick a patient and one of their automatic thoughts. Lead identification (thought, rule, core "
               "belief), then restructuring (evidence for, evidence against, a balanced alternative).")
    lib = library()
    cards = lib.cards()
    card = st.selectbox("Patient", cards, format_func=lambda c: f"{c.name}, {c.age}: {c.presenting_problem}")
    if card is None:
        return
    case = lib.get(card.id)
    locks = services().traps.restructuring_locks(case)
    for reason in dict.fromkeys(locks.values()):
        st.warning(as_text(reason), icon=":material/lock:")
    if len(locks) == len(case.situations):
        return
    # Finding the traps loads the embedding model: only when asked, never on the page's first paint.
    if st.session_state.get("rs_case") != (card.id, lib.version(card.id)):
        if st.button("See this patient's automatic thoughts"):
            st.session_state.rs_case = (card.id, lib.version(card.id))
            st.rerun()
        return
    with st.spinner("Finding the thinking traps in this patient's thoughts…"):
        # Thoughts of a situation the trainee still owes a formulation on are not listed.
        thoughts = [t for t in _distorted(card.id, lib.version(card.id), case) if t.situation_index not in locks]
    if not thoughts:
        st.info("This case has no automatic thought with a clear thinking trap.")
        return
    labels = [as_text(f"{t.text} ({', '.join(name_of(p).lower() for p in t.patterns)})") for t in thoughts]
    choice = st.radio("Automatic thought", range(len(thoughts)), format_func=lambda i: labels[i])
    if st.button("Start", type="primary"):
        try:
            sid = services().traps.start_restructuring(case, thoughts[choice], seed=len(labels[choice]))
        except RestructuringLocked as err:
            st.error(as_text(str(err)))
            return
        st.session_state.rs_session = sid
        st.rerun()


def stage_bar(state: rs.RestructuringState) -> None:
    cols = st.columns(len(rs.STAGES))
    for col, stage in zip(cols, rs.STAGES):
        status = state.mark(stage).status
        icon = {"done": ":material/check_circle:", "skipped": ":material/remove_circle:"}.get(status, ":material/radio_button_unchecked:")
        here = " **(now)**" if stage == state.stage else ""
        col.markdown(f"{icon} {rs.STAGE_NAMES[stage]}{here}")


def exercise(session_id: str) -> None:
    case, state = services().traps.restructuring(session_id)
    work = state.current
    st.markdown(f"**{as_text(case.name)}**, thought {len(state.thoughts)}: \u201c{as_text(work.text)}\u201d")
    st.caption(f"Belief at the start: {work.belief_start}%")
    stage_bar(state)
    for turn in state.turns:
        with st.chat_message("user" if turn.role == "therapist" else "assistant"):
            st.markdown(as_text(turn.text))
    if state.finished:
        st.subheader("Feedback by stage")
        for fb in state.feedback:
            st.markdown(f"**{fb.title}** ({fb.status}): {as_text(fb.text)}")
        if st.button("New exercise"):
            st.session_state.pop("rs_session", None)
            st.rerun()
        return
    nxt = state.next_stage()
    if nxt:
        st.caption(f"Next step not yet done: {rs.STAGE_NAMES[nxt]}")
    if st.button("Finish and get feedback"):
        services().traps.restructuring_finish(session_id)
        st.rerun()
    problem = st.session_state.pop("rs_problem", None)
    if problem:
        st.warning(problem)
    message = st.chat_input("Your next message to the patient")
    if message:
        try:
            with st.spinner("The patient is answering…"):
                services().traps.restructuring_say(session_id, message)
        except ValueError as err:  # empty, too long, or already finished: nothing was stored
            st.session_state.rs_problem = str(err)
        st.rerun()


if st.session_state.get("rs_session"):
    try:
        exercise(st.session_state.rs_session)
    except (AccessDenied, KeyError):
        st.session_state.pop("rs_session", None)
        st.error("That exercise is not available to you. Start a new one.")
else:
    choose()
