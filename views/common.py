"""What every page needs: settings, the case library, the engine, the services, safe text."""

from __future__ import annotations

import re

import streamlit as st

from simulator.accounts.actor import Actor
from simulator.cbt.engine import PatientEngine
from simulator.cbt.engines import get_engine
from simulator.cbt.library import CaseLibrary
from simulator.core.settings import Settings, load_settings
from simulator.services import (
    Services,
    SignIn,
    case_library,
    scenario_library,
)



def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def _migrated(db_path: str) -> bool:
    # serve.py does this at start; under a bare `streamlit run app.py` the first page does it.
    from views.server import startup

    startup(settings())
    return True


def ensure_database() -> None:
    _migrated(str(settings().db_path))


@st.cache_resource(show_spinner=False)
def _library(cases_dir: str, db_path: str) -> CaseLibrary:
    # Immutable once loaded, so safe to share across sessions and threads; cleared on a save.
    return case_library(settings())


def library() -> CaseLibrary:
    return _library(str(settings().cases_dir), str(settings().db_path))


@st.cache_resource(show_spinner=False)
def _scenarios(db_path: str):
    return scenario_library(settings())


def scenarios():
    """DEAR MAN scenarios: the files plus authored versions."""
    return _scenarios(str(settings().db_path))


def library_changed() -> None:
    _library.clear()
    _scenarios.clear()


@st.cache_resource(show_spinner=False)
def _engine(config_json: str) -> PatientEngine:
    # Engines hold only thread-safe things (an HTTP client at most).
    return get_engine(Settings.model_validate_json(config_json))


def engine() -> PatientEngine:
    return _engine(settings().model_dump_json())


def current_actor() -> Actor | None:
    """The signed-in account (set by the sign-in gate in app.py on every run)."""
    return st.session_state.get("actor")


def services() -> Services:
    """Everything a page reads or writes, bound to the signed-in actor and checked for access."""
    return Services.for_actor(settings(), current_actor(), library(), scenarios(), engine())


def sign_in() -> SignIn:
    return SignIn.for_settings(settings())


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$:])")


def as_text(text: str) -> str:
    """Markdown that displays `text` literally: nothing typed is rendered as markup or HTML."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;")
    # Keep the trainee's line breaks without turning them into markdown structure.
    return escaped.replace("\n", "  \n")


def form_round(name: str) -> int:
    """Which round of form `name` to draw. A form that must start empty after a save takes its widget
    keys from this and calls next_form_round(): dropping the old keys' state resets them on the server,
    but the browser keeps showing, and sends back, what a widget of the same key held."""
    return st.session_state.get(f"form-round-{name}", 0)


def next_form_round(name: str) -> None:
    st.session_state[f"form-round-{name}"] = form_round(name) + 1


def chosen_session(prompt: str, guide: str = "") -> str | None:
    """The session named in the address (?session=ID), or one picked from the user's own sessions;
    `guide` says what picking one leads to."""
    session_id = st.query_params.get("session")
    if session_id:
        return session_id
    mine = services().interviews.my_sessions()
    if not mine:
        st.info("You have no sessions yet: start one on the Practice page.")
        return None
    labels = {s.id: f"{s.created_at:%Y-%m-%d %H:%M} · {s.case_name} · "
                    f"situation {s.situation_index + 1} · {s.status}" for s in mine}
    if guide:
        st.markdown(guide)
    picked = st.selectbox(prompt, [None, *labels], format_func=lambda i: "Choose…" if i is None else labels[i])
    if picked:
        st.query_params["session"] = picked
        st.rerun()
    return None


def save_authored(kind: str, save) -> tuple | None:
    """Run an authoring save (a case or a scenario) and show every problem it reports.

    On success the libraries reload and the editor's version moves on to the one just saved.
    """
    from simulator.accounts.policy import AccessDenied
    from simulator.core.datafiles import DataFileError

    try:
        item, version = save()
    except DataFileError as err:
        for problem in err.all:
            st.error(f"{problem.field}: {as_text(problem.problem)}")
        return None
    except (ValueError, AccessDenied) as err:
        st.error(as_text(str(err)))
        return None
    library_changed()
    st.session_state[f"opened-{kind}-{item.id}"] = version
    return item, version


def open_tab_only(tabs: dict, key: str) -> None:
    """Tabs whose bodies (label -> function) run only when open. Streamlit runs every tab's body on
    every rerun unless the tabs track which one is open, so a hidden tab would read and compute on
    every click elsewhere on the page."""
    for tab, body in zip(st.tabs(list(tabs), key=key, on_change="rerun"), tabs.values()):
        if tab.open:
            with tab:
                body()
