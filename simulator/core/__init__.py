"""The platform beneath every feature: settings, the database and its connection pool, shared
errors, text utilities, data-file loading, the clock, sentence embeddings and logging.

Nothing here knows about patients, skills or accounts; every feature package builds on it.
"""
