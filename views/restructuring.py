"""Guided cognitive restructuring: lead a simulated patient from a thought to a balanced alternative.

The dialogue's id is in the address (?rs=ID), so a reload or a new sign-in finds it again; open
dialogues are offered to resume before a new one is chosen.
"""

from __future__ import annotations

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.core.errors import SessionNotFound
from simulator.services.traps import RestructuringLocked
from simulator.traps.patterns import name_of
from simulator.traps.restructuring.state import STAGE_NAMES
from views.common import as_text, ensure_database, services
from views.engine_view import engine_status
from views.restructuring_view import show_dialogue, summary_line

ensure_database()
st.title("Cognitive restructuring")
engine_status("restructuring")


@st.cache_data(show_spinner=False, max_entries=64)
def _distorted(case_id: str, version: int) -> list:
    return services().traps.restructuring_thoughts(case_id)


def open_dialogue(session_id: str) -> None:
    st.query_params["rs"] = session_id
    st.rerun()


def resume_list() -> None:
    """The trainee's dialogues still in progress, to pick up where they left off."""
    open_ones = [d for d in services().traps.my_restructuring() if d.status == "active"]
    if not open_ones:
        return
    st.subheader("Continue a dialogue")
    for d in open_ones:
        with st.container(border=True):
            st.markdown(as_text(summary_line(d)))
            if st.button("Resume", key=f"rs-resume-{d.id}"):
                open_dialogue(d.id)
    st.subheader("Start a new dialogue")


def choose() -> None:
    resume_list()
    st.caption("Pick a patient and one of their automatic thoughts. Lead identification (thought, rule, core "
               "belief), then restructuring (evidence for, evidence against, a balanced alternative).")
    interviews = services().interviews
    cards = interviews.cards()
    card = st.selectbox("Patient", cards, format_func=lambda c: f"{c.name}, {c.age}: {c.presenting_problem}")
    if card is None:
        return
    version = interviews.library.version(card.id)
    locks = services().traps.restructuring_locks(interviews.case(card.id))
    for reason in dict.fromkeys(locks.values()):
        st.warning(as_text(reason), icon=":material/lock:")
    if len(locks) == card.situation_count:
        return
    # Finding the traps loads the embedding model: only when asked, never on the page's first paint.
    if st.session_state.get("rs_case") != (card.id, version):
        if st.button("See this patient's automatic thoughts"):
            st.session_state.rs_case = (card.id, version)
            st.rerun()
        return
    with st.spinner("Finding the thinking traps in this patient's thoughts…"):
        # Thoughts of a situation the trainee still owes a formulation on are not listed.
        thoughts = [t for t in _distorted(card.id, version) if t.situation_index not in locks]
    if not thoughts:
        st.info("This case has no automatic thought with a clear thinking trap.")
        return
    labels = [as_text(f"{t.text} ({', '.join(name_of(p).lower() for p in t.patterns)})") for t in thoughts]
    choice = st.radio("Automatic thought", range(len(thoughts)), format_func=lambda i: labels[i])
    if st.button("Start", type="primary"):
        try:
            session_id = services().traps.start_restructuring(card.id, thoughts[choice], seed=len(labels[choice]))
        except RestructuringLocked as err:
            st.error(as_text(str(err)))
            return
        open_dialogue(session_id)


def leave() -> None:
    del st.query_params["rs"]
    st.rerun()


def exercise(session_id: str) -> None:
    traps = services().traps
    dialogue = traps.restructuring(session_id)
    show_dialogue(dialogue)
    if not traps.can_continue(dialogue):
        if dialogue.is_open:
            st.caption("Read-only: this dialogue is someone else's.")
        if st.button("New exercise"):
            leave()
        return
    nxt = dialogue.state.next_stage()
    if nxt:
        st.caption(f"Next step not yet done: {STAGE_NAMES[nxt]}")
    cols = st.columns(2)
    if cols[0].button("Finish and get feedback"):
        traps.restructuring_finish(session_id)
        st.rerun()
    if cols[1].button("Leave for now", help="The dialogue stays open: resume it here or from My sessions."):
        leave()
    problem = st.session_state.pop("rs_problem", None)
    if problem:
        st.warning(problem)
    message = st.chat_input("Your next message to the patient")
    if message:
        try:
            with st.spinner("The patient is answering…"):
                traps.restructuring_say(session_id, message)
        except ValueError as err:  # empty, too long, or closed meanwhile: nothing was stored
            st.session_state.rs_problem = str(err)
        st.rerun()


if st.query_params.get("rs"):
    try:
        exercise(st.query_params["rs"])
    except SessionNotFound:
        st.error("That dialogue does not exist. Start a new one below.")
        del st.query_params["rs"]
        choose()
    except AccessDenied as err:
        st.error(str(err))
        del st.query_params["rs"]
        choose()
else:
    choose()
