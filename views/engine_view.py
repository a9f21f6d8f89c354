"""The engine an exercise uses now, shown the same way on every exercise page: a badge, the plain
reason when the model is configured but not used, and the notice about where text goes, which a
trainee confirms once per model server before their text is sent to another machine."""

from __future__ import annotations

import logging

import streamlit as st

from simulator.accounts.policy import AccessDenied
from views.common import as_text, services

log = logging.getLogger("simulator.views")


def engine_status(exercise: str) -> None:
    clinic = services().clinic
    decision = clinic.engine_for(exercise)
    if decision.engine == "llm":
        st.badge(f"Model: {decision.label}", icon=":material/cloud:", color="blue")
        if decision.destination is not None and not decision.destination.local:
            st.caption(f"What you type here is sent to {as_text(decision.destination.host)}.")
        return
    st.badge("Offline engine", icon=":material/wifi_off:", color="gray")
    if decision.reason == "needs_acknowledgement" and decision.destination is not None:
        with st.container(border=True):
            st.markdown("**Before you use the language model**")
            st.markdown(as_text(decision.destination.notice))
            st.caption(as_text(decision.message or ""))
            if st.button("I have read this: use the model", key=f"ack-{exercise}", type="primary"):
                try:
                    clinic.acknowledge()
                except AccessDenied as err:
                    log.warning("acknowledgement refused: %s", err)
                    st.error(as_text(str(err)))
                    return
                st.rerun()
    elif decision.message:
        st.caption(as_text(decision.message))
