"""The interview report: how the trainee interviewed one CBT session.

`record` turns any transcript (a stored session, what `simulate --json` prints, a graded or real
transcript) into one `InterviewRecord`; `coverage` is the one computation of which assessment
areas were asked about and at which turn (the formulation feedback's advice reads it too);
`counts`, `risk` and `rubric` build the rest of the report; `build.interview_report` puts it
together; `judge` is the LLM judge of the rubric; `store` keeps reports; `evaluate` measures
the report against the graded transcripts.
"""
