"""Practicum's domain: everything but the pages. It never imports Streamlit.

Platform, beneath every feature:
- `core/`: settings, the database, shared errors, text utilities, data files, the clock, logging.
- `accounts/`: who someone is (sign-in, users, cohorts, audit) and the one access policy.
- `llm/`: talking to any OpenAI-compatible endpoint, prompt templates, the fallback helper.

Features:
- `cbt/`: patient cases, the simulated patient (moves, disclosure, engines), interviews, formulations.
- `dearman/`: DEAR MAN practice with a counterpart and per-message skill ratings.
- `traps/`: the thinking-trap detector, the spotting and reframing drill, cognitive restructuring.
- `supervision/`: comments, grades, assignments, case and scenario authoring.
- `research/`: the de-identified export.

On top: `services/` (what pages call, bound to the signed-in actor), `migrations.py` (every
schema change in order) and `cli/` (`python -m simulator`).
"""
