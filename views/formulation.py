"""Formulation page: fill in the diagram for a session's situation. The draft saves on every change.

Thin: validation, storage and scoring are in simulator/. This page never asks for the reference:
it only reads and writes the trainee's own draft, and submits it.
"""

from __future__ import annotations

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.formulation.errors import AlreadySubmitted
from simulator.cbt.formulation.scoring import (
    LABELS,
    MAX_FIELD_CHARS,
    TEXT_FIELDS,
    FormulationRejected,
)
from simulator.cbt.vocab import CORE_BELIEF_GROUPS, EMOTIONS
from simulator.core.errors import SessionNotFound
from views.common import as_text, chosen_session, services
from views.engine_view import engine_status

HELP = {
    "situation": "What happened, where and when, who was there.",
    "automatic_thoughts": "What went through the patient's mind, in their words.",
    "behavior": "What the patient did.",
    "intermediate_beliefs": "Rules, attitudes and assumptions (if..., then...; I should...).",
    "coping_strategies": "How the patient habitually copes.",
    "history": "Life events that shaped the beliefs.",
}


def _key(session_id: str, name: str) -> str:
    return f"fm-{session_id}-{name}"


def _collect(session_id: str) -> dict:
    ss = st.session_state
    data: dict = {f: ss.get(_key(session_id, f), "") for f in TEXT_FIELDS}
    data["emotions"] = [e for i, e in enumerate(EMOTIONS) if ss.get(_key(session_id, f"emo{i}"))]
    data["core_beliefs"] = [b for g, beliefs in CORE_BELIEF_GROUPS.items()
                            for i, b in enumerate(beliefs) if ss.get(_key(session_id, f"cb-{g}{i}"))]
    return data


def _autosave(session_id: str) -> None:
    try:
        services().formulations.save_draft(session_id, _collect(session_id))
        st.session_state[_key(session_id, "problems")] = []
        st.session_state[_key(session_id, "saved")] = True
    except FormulationRejected as err:
        st.session_state[_key(session_id, "problems")] = err.problems
    except (AlreadySubmitted, AccessDenied) as err:
        st.session_state[_key(session_id, "problems")] = [str(err)]


def _load_widgets(session_id: str) -> None:
    """Put the stored draft into the widgets once per browser session (a reload starts here)."""
    flag = _key(session_id, "loaded")
    if st.session_state.get(flag):
        return
    draft = services().formulations.load_draft(session_id)
    if draft is not None:
        for f in TEXT_FIELDS:
            st.session_state[_key(session_id, f)] = getattr(draft, f)
        for i, e in enumerate(EMOTIONS):
            st.session_state[_key(session_id, f"emo{i}")] = e in draft.emotions
        for g, beliefs in CORE_BELIEF_GROUPS.items():
            for i, b in enumerate(beliefs):
                st.session_state[_key(session_id, f"cb-{g}{i}")] = b in draft.core_beliefs
    st.session_state[flag] = True


def _text(session_id: str, name: str) -> None:
    st.text_area(LABELS[name], key=_key(session_id, name), help=HELP[name], height=90,
                 max_chars=MAX_FIELD_CHARS, on_change=_autosave, args=(session_id,))


def diagram_form(session_id: str) -> None:
    _load_widgets(session_id)
    _text(session_id, "history")
    st.markdown("**Core beliefs**")
    cols = st.columns(3)
    for col, (group, beliefs) in zip(cols, CORE_BELIEF_GROUPS.items()):
        col.caption(group.capitalize())
        for i, b in enumerate(beliefs):
            col.checkbox(b, key=_key(session_id, f"cb-{group}{i}"), on_change=_autosave, args=(session_id,))
    _text(session_id, "intermediate_beliefs")
    _text(session_id, "coping_strategies")
    st.divider()
    _text(session_id, "situation")
    _text(session_id, "automatic_thoughts")
    st.markdown("**Emotions**")
    cols = st.columns(3)
    for i, e in enumerate(EMOTIONS):
        cols[i % 3].checkbox(e, key=_key(session_id, f"emo{i}"), on_change=_autosave, args=(session_id,))
    _text(session_id, "behavior")
    problems = st.session_state.get(_key(session_id, "problems"), [])
    for problem in problems:
        st.error(problem)
    if st.session_state.get(_key(session_id, "saved")) and not problems:
        st.caption("Draft saved.")


def show_submitted(formulation) -> None:
    """What was submitted, read-only, in the diagram's order."""
    st.subheader("What you submitted")
    for name in ("history", "core_beliefs", "intermediate_beliefs", "coping_strategies", "situation",
                 "automatic_thoughts", "emotions", "behavior"):
        value = getattr(formulation, name)
        with st.container(border=True):
            st.markdown(f"**{LABELS[name]}**")
            if isinstance(value, list):
                st.markdown("  \n".join(f"- {as_text(v)}" for v in value) if value else "_(empty)_")
            else:
                st.markdown(as_text(value) if value else "_(empty)_")


def page() -> None:
    st.title("Case formulation")
    engine_status("formulation")
    session_id = chosen_session("Session", "Pick the interview you want to write the case formulation for. "
                            "Once you submit it, its feedback opens on the Formulation feedback page.")
    if not session_id:
        return
    formulations = services().formulations
    try:
        info = formulations.session(session_id)
        submitted = formulations.is_submitted(session_id)
    except SessionNotFound:
        st.error("There is no such session.")
        return
    except AccessDenied as err:
        st.error(str(err))
        return
    st.caption(f"{as_text(info.case_name)} · situation {info.situation_index + 1}. "
               "Fill in the diagram from what came up in your interview.")
    attempt = formulations.attempt(session_id)
    if attempt == "repeat":
        st.badge("Repeat practice", icon=":material/replay:", color="orange")
        st.caption("You have seen the reference for this case and situation, so this session is repeat "
                   "practice: it is shown and charted apart from your graded attempt.")
    if submitted:
        st.success("You have submitted this formulation. A submission is final.")
        if st.button("See feedback", type="primary"):
            st.switch_page("views/feedback.py", query_params={"session": session_id})
        show_submitted(formulations.submission(session_id).formulation)
        return
    diagram_form(session_id)
    st.divider()
    turns, needed = formulations.readiness(session_id)
    if turns < needed:
        st.info(f"Submitting opens after {needed} of your turns in the interview (you have {turns}): the "
                "reference is shown only after a real attempt.")
    graded_note = "" if attempt == "repeat" else " Your first submission on a case and situation is graded."
    st.caption("Submitting is final: it ends the session and shows the reference and your scores." + graded_note)
    if formulations.load_draft(session_id) is not None:
        with st.popover("Discard draft", icon=":material/delete:"):
            st.write("Throw away what you have written here? The interview stays.")
            if st.button("Discard", key="fm-discard"):
                formulations.discard_draft(session_id)
                for key in [k for k in st.session_state if str(k).startswith(f"fm-{session_id}-")]:
                    del st.session_state[key]
                st.rerun()
    if st.button("Submit formulation", type="primary", key="fm-submit"):
        try:
            with st.spinner("Scoring your formulation..."):
                formulations.submit(session_id, _collect(session_id))
        except FormulationRejected as err:
            for problem in err.problems:
                st.error(problem)
            return
        except (AlreadySubmitted, AccessDenied) as err:
            st.error(str(err))
            return
        st.rerun()


page()
