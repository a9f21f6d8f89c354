"""The interview report as trainees (after a session) and supervisors (on Review) see it, and the
live counts panel. Layout only: every figure and sentence comes from simulator/cbt/report/."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from views.common import as_text
from views.corrections_view import corrected_score, correction_form, newest, score_row, show_corrections


def _turns(turns: list[int]) -> str:
    return ", ".join(str(t) for t in turns) if turns else "none"


def risk_banner(report) -> None:
    """The risk flag, shown first and prominently when the patient gave cues nobody asked about."""
    r = report.risk
    if r.flag:
        st.error("**Risk was not asked about after the patient gave a cue.** " + as_text(r.next_steps[0]),
                 icon=":material/warning:")


def show_report(report, corrections=(), *, correct=None, rubric_titles: dict[str, str] | None = None,
                trainee: str | None = None, banner: bool = True) -> None:
    """The whole report. `correct(item, score, reason)`, when given, lets a supervisor correct a
    rubric item; corrections are shown beside the item they correct."""
    c, r = report.counts, report.risk
    if banner:  # Review shows it above the transcript already
        risk_banner(report)
    st.subheader(f"How {as_text(trainee)} interviewed" if trainee else "How you interviewed")
    ratio = c.reflection_to_question_ratio
    with st.container(horizontal=True):  # wraps to a second row in a narrow window instead of cutting labels
        st.metric("Open questions", c.open_questions.count)
        st.metric("Closed questions", c.closed_questions.count)
        st.metric("Reflections", c.reflections.count,
                  help=f"{c.simple_reflections.count} simple, {c.complex_reflections.count} complex")
        st.metric("Reflections per question", "-" if ratio is None else f"{ratio:.2f}",
                  help="At least 1 is fair and 2 is good (motivational-interviewing fidelity coding).")
    rows = [("Open questions", c.open_questions), ("Closed questions", c.closed_questions),
            ("Simple reflections", c.simple_reflections), ("Complex reflections", c.complex_reflections),
            ("Validations", c.validations), ("Summaries", c.summaries), ("Psychoeducation", c.psychoeducation),
            ("Judgemental or abrupt", c.judgemental_or_abrupt), ("Off topic", c.off_topic)]
    st.dataframe({"what": [n for n, _ in rows], "count": [v.count for _, v in rows],
                  "turns": [_turns(v.turns) for _, v in rows]}, hide_index=True)

    st.markdown("**Assessment coverage**")
    # A static table: its cells wrap, so a suggested question is read whole.
    st.table(pd.DataFrame({"area": [row.label for row in report.coverage_rows],
                           "first asked": ["never" if row.first_turn is None else f"turn {row.first_turn}"
                                           for row in report.coverage_rows],
                           "note, or a question to try next time": [row.text for row in report.coverage_rows]}
                          ).set_index("area"))

    st.markdown("**Guided discovery**")
    for line in report.guided_discovery.lines:
        st.markdown(f"- {as_text(line)}")

    st.markdown("**Risk**")
    cues = "; ".join(f"turn {cue.turn}: “{as_text(cue.quote)}”" for cue in r.cues) or "none"
    asked = ", ".join(f"{a.replace('_', ' ')} (turn {t})" for a, t in r.aspects.items()) or "nothing"
    st.markdown(f"- Cues from the patient: {cues}  \n"
                f"- Asked about: {asked}  \n"
                f"- The patient disclosed: {as_text(r.disclosed_level.replace('_', ' '))}")
    for step in r.next_steps:
        st.markdown(f"- {as_text(step)}")

    rubric = report.rubric
    who = "offline scorer" if rubric.engine == "offline" else rubric.engine.removeprefix("llm:")
    # A supervisor's correction replaces the automatic score wherever the score is shown.
    shown = {item: corrected_score(newest(corrections, "interview_item", item), s.score)
             for item, s in rubric.items.items()}
    total = sum(shown.values())
    after = "" if total == rubric.total else f" after supervisor corrections; automatic {rubric.total}"
    st.markdown(f"**Competence rubric** ({total} of {rubric.max_total}{after}, scored by the {as_text(who)}, "
                f"rubric version {rubric.rubric_version})")
    if rubric.fallback_reason:
        st.caption(f"The model judge was not used: {as_text(rubric.fallback_reason)}")
    titles = rubric_titles or {}
    for item, score in rubric.items.items():
        with st.container(border=True):
            left, right = score_row()
            was = f" (automatic {score.score})" if shown[item] != score.score else ""
            left.markdown(f"**{as_text(titles.get(item, item))}: {shown[item]} / 6**{was}  \n{as_text(score.reason)}"
                          + (f"  \nTurns: {_turns(score.evidence_turns)}" if score.evidence_turns else ""))
            show_corrections(corrections, "interview_item", item)
            if correct is not None:
                with right:
                    correction_form(f"ii-{item}", list(range(7)), score.score,
                                    lambda value, reason, item=item: correct(item, value, reason))


def live_counts(report) -> None:
    """The counts so far, for the side panel during a session."""
    c = report.counts
    st.markdown("**Live counts**")
    st.markdown(f"Open questions: {c.open_questions.count}  \nClosed questions: {c.closed_questions.count}  \n"
                f"Reflections: {c.reflections.count} ({c.complex_reflections.count} complex)  \n"
                f"Validations: {c.validations.count}  \nSummaries: {c.summaries.count}")
    ratio = c.reflection_to_question_ratio
    st.markdown(f"Reflections per question: {'-' if ratio is None else f'{ratio:.2f}'}")
    asked = [row.label for row in report.coverage_rows if row.first_turn is not None]
    never = [row.label for row in report.coverage_rows if row.first_turn is None]
    st.caption(f"Asked about: {', '.join(asked) or 'nothing yet'}. Not yet: {', '.join(never) or 'nothing'}.")
    st.caption("Risk: " + ("asked" if report.risk.asked else "not asked yet"))
