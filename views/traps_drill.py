"""Thinking traps drill: spot the pattern(s) in a thought, write a reframe, read the feedback."""

from __future__ import annotations

import streamlit as st

from simulator.traps import drill
from views.common import as_text, ensure_database, services
from views.engine_view import engine_status

ensure_database()
st.title("Thinking traps drill")
engine_status("traps")
st.caption("Spot the unhelpful pattern(s) in the thought, then write a realistic reframe.")

names = {pid: name for pid, name, _ in drill.definitions()}
result = st.session_state.get("drill_result")
progress = services().traps.drill_round()
# The feedback of the answer just given stays until "Next thought"; otherwise the round's next
# thought, the same one after a reload or a new sign-in until it is answered.
item = result.item if result is not None else progress.next
st.caption(f"Round {progress.number}: {len(progress.answered)} of {progress.total} thoughts answered.")
if result is None and progress.last:
    last = progress.last
    with st.expander("Your last answer"):
        st.markdown(f"**{as_text(last['thought'])}**")
        st.markdown("You picked: " + (", ".join(names.get(p, p) for p in last["picked"]) or "no pattern")
                    + " · the thought's patterns: " + ", ".join(names.get(p, p) for p in last["correct"]))
        st.markdown(f"Your reframe: {as_text(last['reframe'])} ({last['criteria_met']} of 4 checks met)")

with st.container(border=True):
    st.caption(as_text(item.context))
    st.markdown(f"### {as_text(item.thought)}")

with st.expander("The ten patterns"):
    for pid, name, definition in drill.definitions():
        st.markdown(f"**{name}**: {as_text(definition)}")

if result is None:
    with st.form("drill"):
        picked = st.multiselect("Which pattern(s) does this thought show?", list(names),
                                format_func=names.get, key="drill_picked")
        reframe = st.text_area("Your reframe", key="drill_reframe", max_chars=600,
                               placeholder="Write what the person could tell themselves instead.")
        submitted = st.form_submit_button("Check", type="primary")
    if submitted:
        if not picked:
            st.warning("Pick at least one pattern.")
        elif not reframe.strip():
            st.warning("Write a reframe before checking.")
        else:
            with st.spinner("Checking your reframe..."):
                st.session_state.drill_result = services().traps.drill_submit(item.id, picked, reframe)
            st.rerun()
else:
    grade, fb = result.grade, result.feedback
    st.subheader("Patterns")
    (st.success if grade.credit else st.error)(as_text(drill.explain(grade, item)))
    st.subheader(f"Your reframe: {fb.verdict}")
    st.markdown(f"> {as_text(fb.reframe)}")
    for label, crit in (("Addresses the thought", fb.addresses_thought), ("Realistic, not merely positive", fb.realistic),
                        ("Keeps the person's context", fb.keeps_context), ("Does not dismiss the feeling", fb.honours_feeling)):
        st.markdown(f"{':material/check_circle:' if crit.ok else ':material/cancel:'} **{label}**: {as_text(crit.detail)}")
    st.markdown(f"**Strategy:** {fb.strategy_name}")
    if fb.note:
        st.caption(fb.note)
    st.subheader("Example reframes")
    for e in fb.examples:
        st.markdown(f"- {as_text(e)}")
    if st.button("Next thought", type="primary"):
        st.session_state.drill_result = None
        for key in ("drill_picked", "drill_reframe"):
            st.session_state.pop(key, None)
        st.rerun()
