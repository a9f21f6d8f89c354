"""Review page for supervisors: a trainee's sessions, turn comments, the interview report with its
risk flag, automatic scores with corrections, grades, repeat practice and the reference reset, the
trainee's cognitive-restructuring dialogues (read-only), and how each automatic scorer agrees with
supervisors."""

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.formulation.errors import NotSubmitted
from simulator.cbt.interview import turn_number
from simulator.core.text import agreeing
from simulator.traps.patterns import name_of
from views.common import as_text, open_tab_only, services
from views.corrections_view import correction_form, score_row, show_corrections
from views.report_view import risk_banner, show_report
from views.restructuring_view import show_dialogue, summary_line
from views.rubric_view import show_formulation_rubric
from views.transcript import show_grades, show_transcript

svc = services()
st.title("Review")
trainees = svc.supervision.trainees()
if not trainees:
    st.info("You supervise no trainees yet. An admin adds you to a cohort as its supervisor.")
    st.stop()

names = {t["id"]: t["username"] for t in trainees}
trainee = st.selectbox("Trainee", list(names), format_func=names.get)
rubric = svc.supervision.rubric()
titles = {i.id: i.title for i in rubric.items}
corrections = svc.supervision.corrections_of(trainee)


def interviews_tab() -> None:
    rows = svc.interviews.sessions_of(trainee)
    if not rows:
        st.write("No CBT sessions yet.")
        return
    empty = sum(1 for r in rows if r.messages == 0)
    if empty and not st.toggle(f"Show sessions with no messages ({empty})", value=False, key="review-empty"):
        rows = [r for r in rows if r.messages]
        if not rows:
            st.write("Every session of this trainee is still empty.")
            return
    sessions = [row.info for row in rows]
    flags = svc.reports.risk_flags([s.id for s in sessions])
    labels = {r.info.id: f"{'⚠ risk cues not asked about · ' if flags.get(r.info.id) else ''}"
                         f"{r.info.created_at:%Y-%m-%d %H:%M} · {r.info.case_name} · situation "
                         f"{r.info.situation_index + 1} · {r.info.style} · {r.messages} messages · {r.info.status}"
                         + (f" · {r.attempt_label}" if r.attempt_label else "") for r in rows}
    # Nothing is opened until the reviewer picks it: opening a transcript is what the audit log records.
    session_id = st.selectbox("Session", list(labels), format_func=labels.get, index=None, key="review-session",
                              placeholder="Choose a session to read")
    if session_id is None:
        return
    chosen = next(r for r in rows if r.info.id == session_id)
    info = chosen.info
    if chosen.attempt == "repeat":
        st.badge("Repeat practice", icon=":material/replay:", color="orange")
        st.caption("The trainee had seen the reference for this case and situation: judge this session as practice.")
    elif chosen.attempt == "graded":
        st.badge("Graded attempt", icon=":material/verified:", color="green")
    try:
        turns = svc.interviews.transcript(session_id)  # checks that this reviewer may read it
    except AccessDenied as err:
        st.error(str(err))
        return
    report = svc.reports.report(session_id)
    risk_banner(report)
    show_transcript(session_id, turns, can_comment=True, corrections=corrections,
                    correct_traps=lambda turn, patterns, reason: svc.supervision.correct_trap_label(
                        session_id, turn, patterns, reason))

    st.divider()
    if info.status == "ended":
        show_report(report, corrections, rubric_titles=titles, trainee=names[trainee], banner=False,
                    correct=lambda item, score, reason: svc.supervision.correct_interview_item(
                        session_id, item, score, reason))
    else:
        st.info("The session is still active: the report so far is below; it is kept, and can be "
                "corrected, once the session ends.")
        show_report(report, corrections, rubric_titles=titles, trainee=names[trainee], banner=False)

    st.divider()
    st.subheader("Formulation")
    with st.expander("How formulations are scored (the rubric)"):
        show_formulation_rubric()
    try:
        sub = svc.formulations.submission(session_id)
    except NotSubmitted:
        st.write("No formulation submitted for this session yet.")
    else:
        ev = sub.score.evidence
        c1, c2 = st.columns(2)
        c1.metric("Formulation total", f"{sub.score.total:g} / 100")
        if ev is not None:
            c2.metric("Points lost to gaps", f"{ev.gap_points:g}",
                      help="Points lost on elements that never came up in the interview.")
        for fs in sub.score.fields:
            left, right = score_row()
            left.markdown(f"**{fs.label}**: level {fs.level:g} of 2 · {fs.points:.1f} of {fs.weight:g} points")
            with left:
                show_corrections(corrections, "formulation_field", fs.field, shown_as=lambda v: f"level {v}")
            with right:
                correction_form(f"ff-{fs.field}", [0, 1, 2], int(round(fs.level)),
                                lambda value, reason, f=fs.field: svc.supervision.correct_formulation_field(
                                    session_id, f, value, reason), label="Right level")
        if st.button("Open the full formulation feedback"):
            st.switch_page("views/feedback.py", query_params={"session": session_id})
    with st.popover("Reset the reference for this case", icon=":material/restart_alt:"):
        st.write(f"The trainee's next formulation on {as_text(info.case_name)} will count as a graded "
                 "attempt again (for every situation). Earlier sessions keep their labels. This is logged.")
        if st.button("Reset", key="reveal-reset"):
            try:
                n = svc.supervision.reset_reveal(trainee, info.case_id)
                st.success(agreeing("Reset ({n} reveal(s)).", n=n) if n
                           else "There was nothing to reset for this case.")
            except AccessDenied as err:
                st.error(str(err))

    st.divider()
    st.subheader("Grades")
    show_grades(session_id)
    with st.form("grade"):
        st.caption(f"{rubric.name}, version {rubric.version}: {rubric.scale['min']}–{rubric.scale['max']} per item")
        st.caption("Items start unset; an item left unset is not graded, and the total is over the items you score.")
        picked = {}
        levels = list(range(rubric.scale["min"], rubric.scale["max"] + 1))
        for item in rubric.items_of():
            picked[item.id] = st.radio(item.title, levels, index=None, horizontal=True, key=f"g-{item.id}")
            st.caption(" · ".join(f"{k}: {as_text(v)}" for k, v in item.anchors.items()))
        note = st.text_area("Note to the trainee")
        scores = {k: v for k, v in picked.items() if v is not None}
        if st.form_submit_button("Save grade", type="primary"):
            try:
                g = svc.supervision.grade(session_id, scores, note)
                st.success(f"Saved: {g.total:.0f}/100.")
            except (ValueError, AccessDenied) as err:
                st.error(str(err))


SKILL_LEVELS = {"mindful": ["yes", "no"], "confident": ["yes", "no"]}


def dearman_tab() -> None:
    talks = svc.supervision.dearman_sessions_of(trainee)
    if not talks:
        st.write("No DEAR MAN conversations yet.")
        return
    labels = {t.id: f"{t.created_at:%Y-%m-%d %H:%M} · {t.scenario.title} · {t.status}" for t in talks}
    talk_id = st.selectbox("Conversation", list(labels), format_func=labels.get)
    for turn in svc.supervision.dearman_turns(talk_id):
        n = turn_number(turn.index)
        who = "Trainee" if turn.role == "trainee" else "Counterpart"
        st.markdown(f"**{n}. {who}:** {as_text(turn.text)}")
        if turn.role != "trainee" or turn.ratings is None:
            continue
        with st.container(border=True):
            for skill, level in turn.ratings.levels().items():
                left, right = score_row()
                left.markdown(f"{skill.capitalize()}: **{level}** ({as_text(turn.rater or 'offline')})")
                with left:
                    show_corrections(corrections, "dearman_skill", skill, turn=n)
                with right:
                    correction_form(f"dm-{talk_id}-{n}-{skill}", SKILL_LEVELS.get(skill, ["strong", "weak", "none"]),
                                    level, lambda value, reason, s=skill, t=n: svc.supervision.correct_dearman_skill(
                                        talk_id, t, s, value, reason), label="Right rating")


CHECKS = {"addresses_thought": "Addresses the thought", "realistic": "Realistic, not merely positive",
          "keeps_context": "Keeps the person's context", "honours_feeling": "Does not dismiss the feeling"}


def drill_tab() -> None:
    attempts = svc.supervision.drill_attempts_of(trainee)
    if not attempts:
        st.write("No thinking-trap drill attempts yet.")
        return
    for a in reversed(attempts[-20:]):
        with st.container(border=True):
            st.markdown(f"**{as_text(a['thought'])}**  \nPicked: {', '.join(name_of(p) for p in a['picked'])} · "
                        f"expected: {', '.join(name_of(p) for p in a['correct'])}  \nReframe: {as_text(a['reframe'])}")
            for check, title in CHECKS.items():
                ok = bool(a["feedback"][check]["ok"])
                left, right = score_row()
                left.markdown(f"{title}: **{'yes' if ok else 'no'}** ({as_text(a['engine'])})")
                with left:
                    show_corrections([c for c in corrections if c.record_id == a["id"]], "reframe_check", check,
                                     shown_as=lambda v: "yes" if v else "no")
                with right:
                    correction_form(f"rc-{a['id']}-{check}", [True, False], ok,
                                    lambda value, reason, c=check, i=a["id"]: svc.supervision.correct_reframe_check(
                                        i, c, value, reason), label="Right answer",
                                    shown_as=lambda v: "yes" if v else "no")


def restructuring_tab() -> None:
    try:
        dialogues = svc.traps.restructuring_of(trainee)
    except AccessDenied as err:
        st.error(str(err))
        return
    if not dialogues:
        st.write("No cognitive-restructuring dialogues yet.")
        return
    labels = {d.id: summary_line(d) for d in dialogues}
    picked = st.selectbox("Dialogue", list(labels), format_func=labels.get, key="review-rs", index=None,
                          placeholder="Choose a dialogue to read")
    if picked is None:
        return
    try:
        show_dialogue(svc.traps.restructuring(picked))  # checks that this reviewer may read it
    except AccessDenied as err:
        st.error(str(err))


def agreement_tab() -> None:
    st.caption("How often supervisors agreed with each automatic scorer, over every score a supervisor "
               "corrected or confirmed and every graded interview-report item of the trainees you review. "
               "Corrections never change the scorers: they are a growing set to check them against.")
    rows = svc.supervision.agreement()
    if not rows:
        st.write("No corrections or graded sessions yet.")
        return
    st.dataframe({
        "score": [r.kind.replace("_", " ") for r in rows], "scorer": [r.scorer for r in rows],
        "item": [titles.get(r.item, r.item) for r in rows], "judged": [r.judged for r in rows],
        "agreed": [f"{r.agreed} ({r.share:.0%})" for r in rows],
        "within one point": ["-" if r.within_one is None else str(r.within_one) for r in rows],
    }, hide_index=True)


TABS = {"Interviews": interviews_tab, "DEAR MAN": dearman_tab, "Thinking-traps drill": drill_tab,
        "Cognitive restructuring": restructuring_tab, "Agreement with supervisors": agreement_tab}
open_tab_only(TABS, "review-tab")  # a hidden tab neither reads anyone's work nor does its work
