"""The CBT interview: patient cases (schema, library, import), the simulated patient (move
recognition, gradual disclosure, styles, offline and LLM engines), practice sessions and their
storage, and the case formulation trainer (`formulation/`).
"""
