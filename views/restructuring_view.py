"""A restructuring dialogue on screen, shared by the exercise page and Review: the thought, the
stages, every turn and, once closed, the feedback by stage."""

from __future__ import annotations

import streamlit as st

from simulator.traps.restructuring.state import (
    STAGE_NAMES,
    STAGES,
    Dialogue,
    DialogueSummary,
    RestructuringState,
)
from views.common import as_text, settings

STATUS = {"active": "in progress", "ended": "finished", "abandoned": "closed unfinished"}


def status_label(status: str) -> str:
    return STATUS.get(status, status)


def summary_line(d: DialogueSummary) -> str:
    """One line naming a dialogue in lists: patient, thought, messages, status."""
    return (f"{d.case_name} · \u201c{d.thought}\u201d · {d.messages} messages · {status_label(d.status)} · "
            f"last activity {d.updated_at:%Y-%m-%d %H:%M} UTC")


def stage_bar(state: RestructuringState) -> None:
    cols = st.columns(len(STAGES))
    for col, stage in zip(cols, STAGES, strict=True):
        status = state.mark(stage).status
        icon = {"done": ":material/check_circle:", "skipped": ":material/remove_circle:"}.get(
            status, ":material/radio_button_unchecked:")
        here = " **(now)**" if stage == state.stage and not state.finished else ""
        col.markdown(f"{icon} {STAGE_NAMES[stage]}{here}")


def show_dialogue(dialogue: Dialogue) -> None:
    """The dialogue as stored, read-only."""
    state = dialogue.state
    work = state.current
    st.markdown(f"**{as_text(dialogue.case.name)}**, thought {len(state.thoughts)}: \u201c{as_text(work.text)}\u201d")
    st.caption(f"Belief at the start: {work.belief_start}% · started {dialogue.created_at:%Y-%m-%d %H:%M} UTC · "
               f"{status_label(dialogue.status)}")
    stage_bar(state)
    for turn in state.turns:
        with st.chat_message("user" if turn.role == "therapist" else "assistant"):
            st.markdown(as_text(turn.text))
    if dialogue.status == "abandoned":
        st.info(f"This dialogue was closed after {settings().restructuring_idle_days} days without a message. "
                "The feedback below covers what was done.")
    if state.finished:
        st.subheader("Feedback by stage")
        for fb in state.feedback:
            st.markdown(f"**{as_text(fb.title)}** ({fb.status}): {as_text(fb.text)}")
