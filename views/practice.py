"""Practice page: choose a patient, interview them, end the session. Thin: logic is in simulator/."""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.moves import warm as warm_recogniser
from simulator.cbt.practice import needs_reply
from simulator.core.errors import EngineError, SessionNotFound
from simulator.core.messages import MessageRejected
from views.common import as_text, current_actor, engine, library, practice, settings
from views.transcript import show_grades, show_transcript, show_turn


def engine_badge() -> None:
    label = engine().label
    if label == "offline":
        st.badge("Offline engine", icon=":material/wifi_off:", color="gray")
    else:
        st.badge(f"Model: {label}", icon=":material/cloud:", color="blue")


def choose_case() -> None:
    st.title("Practice a CBT interview")
    engine_badge()
    lib = library()
    for err in lib.errors:
        st.warning(f"A case file could not be loaded: {err}")
    chosen = st.session_state.get("chosen_case")
    cards = lib.cards()
    cols = st.columns(3)
    for i, card in enumerate(cards):
        with cols[i % 3].container(border=True):
            st.markdown(f"**{as_text(card.name)}**, {card.age} · {as_text(card.pronouns)}")
            st.caption(f"{as_text(card.occupation)} · {card.difficulty}")
            st.write(as_text(card.presenting_problem))
            if card.content_note:
                st.caption(f":material/warning: Content note: {as_text(card.content_note)}")
            if st.button("Choose", key=f"choose-{card.id}", type="primary" if chosen == card.id else "secondary"):
                st.session_state.chosen_case = card.id
                st.rerun()
    if not chosen:
        return
    card = next(c for c in cards if c.id == chosen)
    with st.form("start"):
        st.subheader(f"Session with {as_text(card.name)}")
        options = ["Random"] + [f"Situation {n}" for n in range(1, card.situation_count + 1)]
        situation = st.selectbox("Situation", options)
        style = st.selectbox("Conversational style", card.styles)
        if st.form_submit_button("Start session", type="primary"):
            index = None if situation == "Random" else options.index(situation) - 1
            info = practice().start(card.id, style, situation_index=index)
            warm_recogniser()  # background thread: the first reply need not wait for the model
            st.session_state.pop("chosen_case", None)
            st.query_params["session"] = info.id
            st.rerun()


@st.fragment(run_every="1s")
def timer(started: datetime, ended: datetime | None) -> None:
    # A fragment, so the ticking clock never reruns (and interrupts) the chat.
    elapsed = ((ended or datetime.now(timezone.utc)) - started).total_seconds()
    minutes, seconds = divmod(int(elapsed), 60)
    limit = settings().soft_limit_minutes
    st.metric("Time", f"{minutes:02d}:{seconds:02d}", help=f"Soft limit: {limit} minutes")
    if elapsed > limit * 60 and ended is None:
        st.caption(f"Past the {limit}-minute mark: time to summarise and close.")


def stream_reply(session_id: str) -> None:
    with st.chat_message("assistant"):
        try:
            st.write_stream(as_text(chunk) for chunk in practice().respond(session_id))
        except EngineError as err:
            # Shown on the rerun, beside the Ask again button that only then exists.
            st.session_state.engine_error = err.user_message
    st.rerun()


def session_view(session_id: str) -> None:
    try:
        info, case, transcript = practice().open(session_id)
    except (SessionNotFound, AccessDenied) as err:
        missing = isinstance(err, SessionNotFound)
        st.error("That session does not exist." if missing else str(err))
        if st.button("Start a new session"):
            del st.query_params["session"]
            st.rerun()
        return
    actor = current_actor()
    if info.owner != (actor.id if actor else None):
        st.info("You are reading someone else's session: it is read-only here.")
        show_transcript(session_id, transcript)
        return
    st.title(f"{as_text(case.name)}, {case.age}")
    st.caption(as_text(case.presenting_problem))
    engine_badge()
    turns = sum(1 for t in transcript if t.role == "therapist")
    c1, c2, c3 = st.columns([1, 1, 2])
    c1.metric("Your turns", turns)
    with c2:
        timer(info.created_at, info.ended_at)
    with c3:
        if info.status == "active" and st.button("End session", icon=":material/stop_circle:"):
            practice().end(session_id)
            st.rerun()
        if st.button("Formulation", icon=":material/account_tree:",
                     help="Fill in the case diagram for this situation, during or after the interview."):
            st.switch_page("views/formulation.py", query_params={"session": session_id})
        if st.button("New session", icon=":material/add:"):
            del st.query_params["session"]
            st.rerun()

    show_transcript(session_id, transcript)

    if info.status == "ended":
        st.info("This session has ended. You can read it here or in My sessions.")
        if st.button("Write or read the case formulation", type="primary", icon=":material/account_tree:"):
            st.switch_page("views/formulation.py", query_params={"session": session_id})
        show_grades(session_id)
        return

    warm_recogniser()  # an active session reopened in a fresh server process
    rejected = st.session_state.pop("rejected", None)
    if rejected:
        st.warning(rejected[0])
        st.text_area("Your message (not sent)", rejected[1], height=150)
    failed = st.session_state.pop("engine_error", None)
    if failed:
        st.error(f"{as_text(failed)} Your message is saved: press **Ask again** to retry.")
    if needs_reply(transcript):
        if st.button("Ask again", icon=":material/refresh:"):
            stream_reply(session_id)
    message = st.chat_input(f"Say something to {case.name}…", submit_mode="disable")
    if message is not None:
        try:
            practice().say(session_id, message)
        except MessageRejected as err:
            st.session_state.rejected = (str(err), message)
            st.rerun()
        show_turn("therapist", message.strip())
        stream_reply(session_id)


session_id = st.query_params.get("session")
if session_id:
    session_view(session_id)
else:
    choose_case()
