"""My sessions: every CBT interview, DEAR MAN conversation and restructuring dialogue, to resume or read."""

import streamlit as st

from simulator.supervision.corrections import KINDS
from views.charts import local_time
from views.common import as_text, services
from views.dearman_words import OUTCOME, RATINGS_OWED
from views.restructuring_view import status_label

KIND = {"cbt": "CBT interview", "dearman": "DEAR MAN", "restructuring": "Cognitive restructuring"}
PAGE = {"cbt": ("views/practice.py", "session"), "dearman": ("views/dearman.py", "dm"),
        "restructuring": ("views/restructuring.py", "rs")}


def describe(item) -> str:
    if item.kind == "cbt":
        about = f"situation {item.situation} · {item.style} style"
    elif item.kind == "dearman":
        about = OUTCOME.get(item.outcome, "no outcome yet")
    else:
        about = f"\u201c{as_text(item.thought)}\u201d"
    status = RATINGS_OWED if item.kind == "dearman" and item.outcome and item.status == "active" \
        else status_label(item.status)
    return (f"**{as_text(item.subject)}** · {KIND[item.kind]} · {about} · {item.messages} messages · "
            f"{status}" + (f" · **{item.attempt_label}**" if item.attempt_label else ""))


st.title("My sessions")
items = services().work.mine()
if not items:
    st.info("No sessions yet. Start one on the Practice, DEAR MAN or Cognitive restructuring page.")
for item in items:
    with st.container(border=True):
        st.markdown(describe(item))
        if item.new_feedback:
            new = "a comment or grade" if item.new_feedback == 1 else f"{item.new_feedback} comments or grades"
            st.badge(f"New from your supervisor: {new}", icon=":material/mark_chat_unread:", color="violet")
        st.caption(f"Started {local_time(item.created_at):%Y-%m-%d %H:%M %Z} · last activity "
                   f"{local_time(item.updated_at):%Y-%m-%d %H:%M %Z} · engine: {item.engine}")
        page, param = PAGE[item.kind]
        # The buttons in a row under the text: in a column of their own they were cut ("Formu…") in a
        # narrow window.
        with st.container(horizontal=True):
            if st.button("Resume" if item.resumable else "Read", key=f"open-{item.kind}-{item.id}"):
                st.switch_page(page, query_params={param: item.id})
            if item.kind == "cbt" and st.button("Formulation", key=f"form-{item.id}"):
                st.switch_page("views/formulation.py", query_params={"session": item.id})

corrections = services().supervision.my_corrections()
if corrections:
    st.subheader("Corrections from your supervisors")
    st.caption("Where a supervisor checked one of the automatic scores of your work, and what they said.")
    for c in reversed(corrections):
        where = f" · turn {c.turn}" if c.turn else ""
        verdict = "agrees with the automatic score" if c.agrees else (
            f"corrected {c.automatic!r} to {c.corrected!r}: {c.reason}")
        st.markdown(f"- **{as_text(KINDS[c.kind])}** · {as_text(c.item.replace('_', ' '))}{where} · "
                    f"{as_text(c.author)} {as_text(verdict)} ({c.created_at:%Y-%m-%d})")
