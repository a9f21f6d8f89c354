"""Every schema change, numbered, in the order it is applied. Applied at start (Store.migrate).

Each feature keeps its table definitions beside its own storage code; this list fixes the order.
A migration, once released, is never edited: a change is a new numbered step.
"""

import sqlite_utils

from . import accounts, authoring, formulation_store, reviews, store
from .dearman import store as dearman_store
from .traps import store as traps_store

migrations = sqlite_utils.Migrations("practicum")

STEPS = [
    ("m001_sessions_and_turns", store.create_sessions_and_turns),
    ("m002_accounts", accounts.create_tables),
    ("m003_formulations", formulation_store.create_formulation_tables),
    ("m004_dearman", dearman_store.create_tables),
    ("m005_thinking_traps", traps_store.create_tables),
    ("m006_reviews", reviews.create_tables),
    ("m007_authoring", authoring.create_tables),
]

for _name, _fn in STEPS:
    migrations(name=_name)(_fn)
