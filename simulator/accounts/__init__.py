"""Accounts: who is asking (the actor), users and passwords, sign-in, cohorts, the audit log, and
`policy`, the one module that answers every "may this actor do this" question.
"""
