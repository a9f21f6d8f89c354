"""Practice page: choose a patient, interview them, end the session. Thin: logic is in simulator/."""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.case import CARD_RISKS, CASE_SOURCES
from simulator.cbt.interview import turn_number
from simulator.cbt.practice import needs_reply
from simulator.core.errors import EngineError, SessionNotFound
from simulator.core.messages import MessageRejected
from views.common import as_text, current_actor, services, settings
from views.engine_view import engine_status
from views.report_view import live_counts, show_report
from views.transcript import show_grades, show_transcript, show_turn


def case_matches(card, query: str, difficulties: list[str], sources: list[str] = (),
                 risks: list[str] = ()) -> bool:
    """Whether a card passes the search and the filters (an empty filter passes everything)."""
    text = " ".join((card.name, card.occupation, card.presenting_problem)).casefold()
    return (query.casefold() in text and (not difficulties or card.difficulty in difficulties)
            and (not sources or card.source in sources) and (not risks or card.risk in risks))


def start_form(card) -> None:
    """The setup of a session with the chosen patient, drawn at the top where the trainee is looking."""
    seen = services().interviews.seen_situations(card.id)
    with st.form("start", border=True):
        st.subheader(f"Session with {as_text(card.name)}")
        if seen:
            st.caption("You have seen the reference for situation " + ", ".join(str(i + 1) for i in seen)
                       + ": a session on it is repeat practice, shown and charted apart from your graded attempt.")
        if card.content_note:
            st.caption(f":material/warning: Content note: {as_text(card.content_note)}")
        options = ["Random"] + [f"Situation {n}" for n in range(1, card.situation_count + 1)]
        situation = st.selectbox("Situation", options)
        style = st.selectbox("Conversational style", card.styles)
        if st.form_submit_button("Start session", type="primary"):
            index = None if situation == "Random" else options.index(situation) - 1
            info = services().interviews.start(card.id, style, situation_index=index)
            services().interviews.warm()  # in the background: the first reply need not wait for the model
            st.session_state.pop("chosen_case", None)
            st.query_params["session"] = info.id
            st.rerun()
    if st.button("Choose another patient", icon=":material/arrow_back:"):
        st.session_state.pop("chosen_case", None)
        st.rerun()


def choose_case() -> None:
    st.title("Practice a CBT interview")
    engine_status("interview")
    interviews = services().interviews
    for err in interviews.library.errors:
        st.warning(f"A case file could not be loaded: {err}")
    cards = interviews.cards()
    chosen = next((c for c in cards if c.id == st.session_state.get("chosen_case")), None)
    if chosen:
        start_form(chosen)
        return
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    query = c1.text_input("Search patients", placeholder="Name, occupation or problem", key="case_query")
    difficulties = c2.multiselect("Difficulty", ["beginner", "intermediate", "advanced"], key="case_difficulty")
    sources = c3.multiselect("Source", CASE_SOURCES, key="case_source",
                             help="Library: shipped with Practicum. Imported: from a case file. "
                                  "Authored: written here.")
    risks = c4.multiselect("Risk", list(CARD_RISKS), format_func=CARD_RISKS.get, key="case_risk",
                           help="Whether risk comes up in the interview, as the content note says; "
                                "imported cases do not record it.")
    shown = [c for c in cards if case_matches(c, query.strip(), difficulties, sources, risks)]
    st.caption(f"{len(shown)} of {len(cards)} patients")
    with st.container(height=560, border=False):
        for card in shown:
            with st.container(border=True):
                # The button under the text, as on DEAR MAN: in a column of its own it was cut to "C…"
                # in a narrow window.
                st.markdown(f"**{as_text(card.name)}**, {card.age} · {as_text(card.pronouns)} · "
                            f"{as_text(card.occupation)} · {card.difficulty} · {card.source}  \n"
                            f"{as_text(card.presenting_problem)}")
                if card.content_note:
                    st.caption(f":material/warning: Content note: {as_text(card.content_note)}")
                if not card.has_risk_profile:
                    st.caption("No risk profile: this case says nothing about risk.")
                if st.button("Choose", key=f"choose-{card.id}"):
                    st.session_state.chosen_case = card.id
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


def stream_reply(session_id: str, name: str) -> None:
    with st.chat_message("assistant"):
        # One slot for "typing…" and then the words: the rerun below draws the stored reply in its
        # place, where a second element would have shown the reply twice until the rerun ended.
        slot = st.empty()
        slot.caption(f"{as_text(name)} is typing…")  # until the first words arrive

        def words():
            for chunk in services().interviews.respond(session_id):
                yield as_text(chunk)

        try:
            slot.write_stream(words())
        except EngineError as err:
            # Shown on the rerun, beside the Ask again button that only then exists.
            st.session_state.engine_error = err.user_message
    st.rerun()


def session_view(session_id: str) -> None:
    try:
        info, case, transcript = services().interviews.open(session_id)
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
    engine_status("interview")
    if services().interviews.attempts([session_id]).get(session_id) == "repeat":
        st.badge("Repeat practice", icon=":material/replay:", color="orange")
    turns = sum(1 for t in transcript if t.role == "therapist")
    c1, c2, c3 = st.columns([1, 1, 2])
    c1.metric("Your turns", turns)
    with c2:
        timer(info.created_at, info.ended_at)
    with c3:
        if info.status == "active" and st.button("End session", icon=":material/stop_circle:"):
            services().interviews.end(session_id)
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
        with st.spinner("Preparing your interview report…"):
            report = services().reports.report(session_id)
        corrections = services().supervision.corrections_of(info.owner, record_id=session_id)
        rubric = services().supervision.rubric()
        show_report(report, corrections, rubric_titles={i.id: i.title for i in rubric.items})
        show_grades(session_id)
        return

    services().interviews.warm()  # an active session reopened in a fresh server process
    if services().reports.live_counts_allowed(session_id):
        with st.sidebar:
            if st.toggle("Show live counts", value=info.assignment_id is None, key=f"live-{session_id}",
                         help="Your questions, reflections and what you have asked about so far."):
                live_counts(services().reports.report(session_id))

    rejected = st.session_state.pop("rejected", None)
    if rejected:
        st.warning(rejected[0])
        st.text_area("Your message (not sent)", rejected[1], height=150)
    failed = st.session_state.pop("engine_error", None)
    if failed:
        st.error(f"{as_text(failed)} Your message is saved: press **Ask again**.")
    if needs_reply(transcript):
        if st.button("Ask again", icon=":material/refresh:"):
            stream_reply(session_id, case.name)
    message = st.chat_input(f"Say something to {case.name}…", submit_mode="disable")
    if message is not None:
        try:
            services().interviews.say(session_id, message)
        except MessageRejected as err:
            st.session_state.rejected = (str(err), message)
            st.rerun()
        show_turn("therapist", message.strip(), number=turn_number(len(transcript)))
        stream_reply(session_id, case.name)


session_id = st.query_params.get("session")
if session_id:
    session_view(session_id)
else:
    choose_case()
