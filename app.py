"""Practicum's Streamlit entry: sign-in and navigation only; pages live in views/, logic in simulator/."""

import streamlit as st

from views.auth import gate
from views.common import ensure_database

st.set_page_config(page_title="Practicum", page_icon="🗣️", layout="wide")
# Streamlit draws captions at 60% opacity, below the WCAG AA contrast ratio: draw them solid and grey.
st.markdown("<style>[data-testid='stCaptionContainer'] { opacity: 1 !important; color: #5c5e68 !important; }"
            "</style>", unsafe_allow_html=True)
ensure_database()
actor = gate()

SUPERVISORS = ("supervisor", "admin")
RESEARCHERS = ("researcher", "admin")
ADMINS = ("admin",)
ROLE_WORDS = {SUPERVISORS: "supervisors and admins", RESEARCHERS: "researchers and admins", ADMINS: "admins"}


def page(path: str, title: str, icon: str, roles: tuple[str, ...] | None = None, **kwargs) -> st.Page:
    """A page, or for a role that may not open it a hidden stand-in at the same address that says so."""
    if roles is None or actor.role in roles:
        return st.Page(path, title=title, icon=icon, **kwargs)

    def not_for_you() -> None:
        st.title(title)
        st.warning(f"This page is for {ROLE_WORDS[roles]}; you are signed in as a {actor.role}.")

    return st.Page(not_for_you, title=title, icon=icon, url_path=path.removeprefix("views/").removesuffix(".py"),
                   visibility="hidden")


# Practice is served at the app's root; Streamlit reserves (but does not serve) a default page's own
# path, so it gets one nobody types, and "/practice" is a hidden page that opens it.
practice_page = page("views/practice.py", "Practice", ":material/forum:", default=True, url_path="interview")


def practice_address() -> None:
    st.switch_page(practice_page, query_params=dict(st.query_params))


practice = [
    practice_page,
    st.Page(practice_address, title="Practice", url_path="practice", visibility="hidden"),
    page("views/sessions.py", "My sessions", ":material/history:"),
    page("views/formulation.py", "Formulation", ":material/account_tree:"),
    page("views/feedback.py", "Formulation feedback", ":material/grading:"),
]
me = [
    page("views/progress.py", "My progress", ":material/trending_up:"),
    page("views/assignments.py", "Assignments", ":material/assignment:"),
    page("views/account.py", "Account", ":material/person:"),
]
skills = [
    page("views/dearman.py", "DEAR MAN practice", ":material/handshake:"),
    page("views/traps_drill.py", "Thinking traps drill", ":material/psychology:"),
    page("views/restructuring.py", "Cognitive restructuring", ":material/balance:"),
]
pages = {"Practice": practice, "Skills": skills, "Me": me}
pages["Supervision"] = [
    page("views/review.py", "Review", ":material/rate_review:", SUPERVISORS),
    page("views/authoring.py", "Author cases", ":material/edit_note:", SUPERVISORS),
    page("views/authoring_scenarios.py", "Author scenarios", ":material/edit_square:", SUPERVISORS),
]
pages["Research"] = [page("views/export.py", "Export", ":material/download:", RESEARCHERS)]
pages["Admin"] = [page("views/admin.py", "Accounts", ":material/manage_accounts:", ADMINS)]

# Every page stays listed: collapsed, the menu hid a supervisor's Review and an admin's Accounts
# behind "View more".
st.navigation(pages, expanded=True).run()
