"""The case formulation trainer: the trainee's diagram, its rubric score, evidence from the
interview, narrative feedback (offline or an LLM judge), and drafts and submissions in the database.
"""
