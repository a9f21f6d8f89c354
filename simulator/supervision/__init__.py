"""Supervision: comments on single turns, competence grades, assignments, and authoring of cases and
DEAR MAN scenarios as versioned records.
"""
