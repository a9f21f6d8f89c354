"""Every schema change, numbered, in the order it is applied; applied at start by `migrate`.

Each feature keeps its table definitions beside its own storage code; this list fixes the order.
A migration, once released, is never edited: a change is a new numbered step.
"""

from __future__ import annotations

import sqlite_utils

from simulator.accounts import setup, signin, users
from simulator.cbt import sessions
from simulator.cbt.formulation import reveal
from simulator.cbt.formulation import store as formulation_store
from simulator.cbt.report import store as report_store
from simulator.core import dblock
from simulator.core.db import Store, applied
from simulator.dearman import store as dearman_store
from simulator.llm import usage as llm_usage
from simulator.modeluse import access as llm_access
from simulator.supervision import authoring, corrections, reviews
from simulator.traps import store as traps_store
from simulator.traps.restructuring import store as restructuring_store

migrations = sqlite_utils.Migrations("practicum")


def _signin_security(db: sqlite_utils.Database) -> None:
    signin.create_tables(db)
    setup.create_tables(db)


STEPS = [
    ("m001_sessions_and_turns", sessions.create_sessions_and_turns),
    ("m002_accounts", users.create_tables),
    ("m003_formulations", formulation_store.create_formulation_tables),
    ("m004_dearman", dearman_store.create_tables),
    ("m005_thinking_traps", traps_store.create_tables),
    ("m006_reviews", reviews.create_tables),
    ("m007_authoring", authoring.create_tables),
    ("m008_signin_security", _signin_security),
    ("m009_formulation_reveals", reveal.create_tables),
    ("m010_restructuring_turns", restructuring_store.carry_over),
    ("m011_turn_risk_aspects_and_session_assignment", sessions.add_risk_aspects_and_assignment),
    ("m012_grade_versions_and_live_counts", reviews.add_versions_and_live_counts),
    ("m013_interview_reports", report_store.create_tables),
    ("m014_corrections", corrections.create_tables),
    ("m015_model_usage", llm_usage.create_tables),
    ("m016_llm_access", llm_access.create_tables),
    ("m017_last_seen", users.add_last_seen),
    ("m018_feedback_seen", reviews.create_seen_table),
]

for _name, _fn in STEPS:
    migrations(name=_name)(_fn)


def migrate(store: Store) -> list[str]:
    """Create the file if needed, switch to WAL once, apply pending migrations; return their names.

    Processes starting together (several app processes on one host) migrate one after another.
    """
    store.path.parent.mkdir(parents=True, exist_ok=True)
    with dblock.migrating(store.path), store.db() as db:
        return apply_migrations(db)


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Switch `db` to WAL and apply what is pending; the caller makes sure no one else migrates it."""
    db.enable_wal()
    before = set(applied(db))
    migrations.apply(db)
    return [name for name in applied(db) if name not in before]


def known(names: list[str]) -> tuple[list[str], list[str]]:
    """(pending, unknown) for a database whose applied migrations are `names`.

    `unknown` are migrations this code does not have: the database is newer than the code.
    """
    ours = [name for name, _ in STEPS]
    return [n for n in ours if n not in names], [n for n in names if n not in ours]
