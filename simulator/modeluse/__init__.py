"""Who may use the model, for which exercise, and how much: the admin's per-exercise choice, the
trainee's acknowledgement of where their text goes, the daily token cap, and usage summaries.

It sits between the platform (simulator.accounts, simulator.llm) and the exercises, which build
their `Caller` here (`access.caller_for`) so that the model client admits and records every call.
"""
