"""Accounts: who is asking (the actor), users and passwords (`passwords`: hashing in a bounded
pool, strength), sign-in (`signin`, slowed by `throttle`, never locked), first start (`setup`),
cohorts, the audit log, and `policy`, the one module that answers every "may this actor do this"
question.
"""
