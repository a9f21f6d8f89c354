"""Thinking traps: the pattern detector, the spotting and reframing drill, and guided cognitive
restructuring with a simulated patient (DESIGN.md sections 4 and 5)."""
