"""DEAR MAN practice: a counterpart with an emotional state, and feedback on every skill (DESIGN.md §3)."""
