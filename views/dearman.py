"""DEAR MAN practice page: pick or describe a scenario, rate feelings, talk, check drafts, finish.

Thin: the rules (ratings, the other person's state, what to suggest) are in simulator/dearman/.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.core.errors import SessionNotFound
from simulator.dearman.practice import DearmanPractice, awaiting_reply, exercise_of
from simulator.dearman.scenarios import custom_scenario
from simulator.dearman.wrapup import wrap_up
from simulator.dearman.schema import (
    DEARMAN_ORDER,
    EMOTIONS,
    SKILL_TITLES,
    STATES,
    EmotionRatings,
    InputRejected,
    Rating,
    Scenario,
)
from views.common import (
    as_text,
    ensure_database,
    scenarios,
    services,
)
from views.dearman_words import OUTCOME_SAID
from views.engine_view import engine_status

BADGE = {"strong": ("Strong", "green"), "weak": ("Weak", "orange"), "none": ("None", "red"),
         "yes": ("Yes", "green"), "no": ("No", "red")}


def practice() -> DearmanPractice:
    return services().dearman


def emotion_sliders(prefix: str) -> EmotionRatings:
    cols = st.columns(4)
    values = {e: cols[i].slider(e.capitalize(), 1, 7, 1, key=f"{prefix}-{e}") for i, e in enumerate(EMOTIONS)}
    return EmotionRatings(**values)


# -- choosing --

def choose() -> None:
    st.title("DEAR MAN practice")
    engine_status("dearman")
    st.caption("Ask for something, or say no, to someone who is hard to convince. "
               "Check each draft before you send it.")
    lib = scenarios()
    for err in lib.errors:
        st.warning(f"A scenario file could not be loaded: {err}")
    pick, own = st.tabs(["Pick a scenario", "Describe your own"])
    with pick:
        chosen = st.session_state.get("dm_chosen")
        for scenario in lib:
            with st.container(border=True):
                st.markdown(f"**{as_text(scenario.title)}** · {scenario.category} · difficulty {scenario.difficulty}/9")
                st.write(as_text(scenario.situation))
                st.caption(f"Your goal: {as_text(scenario.goal)}")
                if st.button("Choose", key=f"dm-choose-{scenario.id}",
                             type="primary" if chosen == scenario.id else "secondary"):
                    st.session_state.dm_chosen = scenario.id
                    st.rerun()
        if chosen in lib.scenarios:
            start_form(lib.get(chosen))
    with own:
        st.caption("Please don't use real names: write \"my flatmate\" or a made-up name, and leave out "
                   "addresses, phone numbers and emails. What you type is kept with your session.")
        with st.form("dm-own"):
            situation = st.text_area("The situation (1–2 sentences)", key="dm-own-situation")
            goal = st.text_area("Your goal (1–2 sentences)", key="dm-own-goal")
            who = st.text_input("Who is the other person?", key="dm-own-who",
                                placeholder="A role or a made-up name, e.g. my flatmate")
            difficulty = st.slider("How hard will they be to convince?", 1, 9, 5, key="dm-own-difficulty")
            st.markdown("**Before you start, how strongly do you feel each of these?** (1 = not at all, 7 = extremely)")
            before = emotion_sliders("dm-own-before")
            if st.form_submit_button("Start", type="primary", key="dm-own-submit"):
                try:
                    scenario = custom_scenario(situation, goal, who, difficulty)
                except InputRejected as err:
                    st.error(str(err))
                else:
                    begin(scenario, before)


def start_form(scenario: Scenario) -> None:
    with st.form("dm-start"):
        st.subheader(as_text(f"Talking to {scenario.counterpart.name}, {scenario.counterpart.relationship}"))
        st.markdown("**Before you start, how strongly do you feel each of these?** (1 = not at all, 7 = extremely)")
        before = emotion_sliders("dm-before")
        if st.form_submit_button("Start", type="primary", key="dm-start-submit"):
            begin(scenario, before)


def begin(scenario, before: EmotionRatings) -> None:
    info = practice().start(scenario, before)
    st.session_state.pop("dm_chosen", None)
    st.query_params["dm"] = info.id
    st.rerun()


# -- feedback --

def show_feedback(rating: Rating, rewrite: bool = True) -> None:
    if rating.fallback_reason:
        st.info(as_text(rating.fallback_reason))
    r = rating.ratings
    for skill in DEARMAN_ORDER:
        item = r.get(skill)
        label, color = BADGE[item.rating]
        cols = st.columns([1.2, 4])
        cols[0].badge(f"{SKILL_TITLES[skill]}: {label}", color=color)
        with cols[1]:
            st.markdown(as_text(item.reason))
            if item.suggestion:
                st.caption(f"Try: {as_text(item.suggestion)}")
    if rewrite:
        st.markdown("**A rewrite using every skill**")
        st.markdown(f"> {as_text(r.rewrite)}")
        if st.button("Use the rewrite as my draft", key="dm-use-rewrite"):
            st.session_state.dm_set_draft = r.rewrite
            st.rerun()


def show_state(state) -> None:
    c1, c2 = st.columns(2)
    c1.progress(state.irritation, text=f"Irritation {round(state.irritation * 100)}%")
    c2.progress(state.willingness, text=f"Willingness {round(state.willingness * 100)}% "
                                        f"(agrees at {round(state.threshold * 100)}%)")
    for change in state.changes:
        st.caption(as_text(change))


# -- the conversation --

def conversation(session_id: str) -> None:
    p = practice()
    try:
        info = p.session(session_id)
        turns = p.turns(session_id)
    except SessionNotFound:
        st.error("That conversation does not exist. Start a new one below.")
        del st.query_params["dm"]
        return
    except AccessDenied as err:
        st.error(str(err))
        return
    scenario = info.scenario
    st.title(as_text(scenario.title))
    engine_status(exercise_of(scenario))
    st.caption(f"Your goal: {as_text(scenario.goal)}")
    trainee_turns = sum(t.role == "trainee" for t in turns)
    top = st.columns([1, 1, 2])
    top[0].metric("Your turns", f"{trainee_turns}/{scenario.turn_limit}")
    see_state = top[1].toggle("Show their state", key="dm-see-state")
    if top[2].button("New conversation", icon=":material/add:"):
        del st.query_params["dm"]
        st.session_state.pop("dm_rating", None)
        st.rerun()
    if see_state:
        show_state(info.state)

    with st.chat_message("assistant"):
        st.markdown(as_text(scenario.counterpart.opening))
    sent = 0
    for turn in turns:
        with st.chat_message("user" if turn.role == "trainee" else "assistant"):
            st.markdown(as_text(turn.text))
            if turn.role == "trainee":
                sent += 1
                st.caption(f"Your message {sent}")  # the number the wrap-up at the end cites
            if not turn.complete:
                st.caption("This reply was cut off before it finished.")
            if turn.role == "trainee" and turn.ratings:
                with st.expander("Feedback on what you sent"):
                    show_feedback(Rating(ratings=turn.ratings, engine=turn.rater or "offline"), rewrite=False)

    if info.status == "ended":
        finished(info, turns)
        return
    if info.outcome:
        if info.outcome == "agreed":
            st.success(OUTCOME_SAID[info.outcome])
        else:
            st.info(OUTCOME_SAID[info.outcome])
        with st.form("dm-after"):
            st.markdown("**How strongly do you feel each of these now?** (1 = not at all, 7 = extremely)")
            after = emotion_sliders("dm-after")
            if st.form_submit_button("Finish", type="primary", key="dm-after-submit"):
                p.end(session_id, after)
                st.rerun()
        return
    if awaiting_reply(turns):
        if st.button("Ask for their reply again"):
            stream_reply(p, session_id)
        return
    compose(p, session_id)


def compose(p: DearmanPractice, session_id: str) -> None:
    tip = p.suggestion(session_id)
    st.info(f"**Suggested next skill: {tip.title}.** {tip.text}")
    if "dm_set_draft" in st.session_state:  # set before the widget exists, as Streamlit requires
        st.session_state.dm_draft = st.session_state.pop("dm_set_draft")
    draft = st.text_area("Your message", key="dm_draft", height=120)
    cols = st.columns(3)
    checked = st.session_state.get("dm_rating")
    if cols[0].button("Check my message", icon=":material/fact_check:"):
        try:
            rating = p.check(session_id, draft)
        except InputRejected as err:
            st.warning(str(err))
        else:
            checks = (checked[2] if checked else 0) + 1
            st.session_state.dm_rating = checked = (draft.strip(), rating, checks)
    if cols[1].button("Send", type="primary", icon=":material/send:"):
        same = checked and checked[0] == draft.strip()
        try:
            p.send(session_id, draft, rating=checked[1] if same else None,
                   checks=checked[2] if checked else 0)
        except InputRejected as err:
            st.warning(str(err))
        else:
            st.session_state.pop("dm_rating", None)
            st.session_state.dm_set_draft = ""
            stream_reply(p, session_id)
            return
    if cols[2].button("Give up", icon=":material/flag:"):
        p.give_up(session_id)
        st.session_state.pop("dm_rating", None)
        st.rerun()
    if checked:
        st.markdown("#### Feedback on your draft")
        if checked[0] != draft.strip():
            st.caption("You have changed the draft since this check: check again to see feedback on the new version.")
        show_feedback(checked[1])


def stream_reply(p: DearmanPractice, session_id: str) -> None:
    with st.chat_message("assistant"):
        st.write_stream(as_text(chunk) for chunk in p.respond(session_id))
    st.rerun()


def finished(info, turns) -> None:
    st.success(f"Conversation finished. {OUTCOME_SAID.get(info.outcome, '')}")
    skills_over_the_conversation(turns)
    if info.before and info.after:
        st.markdown("**How strongly you felt each emotion after the conversation** (1 to 7), and the change "
                    "from before it; a fall is shown in green.")
        cols = st.columns(4)
        for i, e in enumerate(EMOTIONS):
            before, after = getattr(info.before, e), getattr(info.after, e)
            # No chip for no change: a "0" beside a rating read as a second, unexplained number.
            change = f"{after - before:+d} from {before}" if after != before else None
            cols[i].metric(e.capitalize(), after, delta=change, delta_color="inverse")



def skills_over_the_conversation(turns) -> None:
    summary = wrap_up(turns)
    st.markdown("**How each skill went across your messages** (the automatic ratings shown with each message)")
    if summary.rated:
        st.table(pd.DataFrame({
            "Skill": [s.title for s in summary.skills],
            "Strong (or met)": [f"{s.strong} of {s.rated}" for s in summary.skills],
            "Weak": ["n/a" if s.skill in STATES else str(s.weak) for s in summary.skills],
            "First strong in your message": ["never" if s.first_strong is None else f"message {s.first_strong}"
                                             for s in summary.skills],
        }).set_index("Skill"))
    for line in summary.sentences():
        st.markdown(as_text(line))


ensure_database()
if st.query_params.get("dm"):
    conversation(st.query_params["dm"])
else:
    choose()
