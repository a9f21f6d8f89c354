"""Sign-in gate: first admin account (with the setup code), password sign-in, optional single
sign-on, sign-out.

The sign-in token lives on the server (session state) and in an HttpOnly cookie that only the
server's /auth/cookie route can set (views/server.py); the page only ever carries a one-time
hand-over code for it.
"""

from __future__ import annotations

import json

import streamlit as st

from simulator.accounts import users
from simulator.accounts.actor import Actor
from simulator.accounts.policy import AccessDenied
from views.common import settings, sign_in
from views.server import AUTH_COOKIE, COOKIE_PATH, DEVICE_COOKIE, SIGNOUT_PATH

TOKEN = "auth_token"
HANDOFF = "cookie_handoff"


def _start(token: str) -> None:
    """Begin a sign-in with nothing left over from whoever used this tab before."""
    code = sign_in().handoff(token)
    st.session_state.clear()
    st.session_state[TOKEN] = token
    st.session_state[HANDOFF] = code
    st.rerun()


def _post(path: str, body: str, then_reload: bool) -> None:
    """A few lines of script that POST to one of our routes (same origin); nothing user-typed goes in."""
    after = ".then(r => { if (r.ok) window.location.reload(); })" if then_reload else ""
    st.html(f"<script>fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', "
            f"headers: {{'Content-Type': 'text/plain'}}, body: {json.dumps(body)}}}){after};</script>",
            unsafe_allow_javascript=True)


def _cookie(name: str) -> str | None:
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) and value else None


def _client() -> str | None:
    """The client's address, only from the header a trusted reverse proxy sets (settings)."""
    header = settings().client_ip_header
    if not header:
        return None
    value = st.context.headers.get(header)
    if not value:
        return None
    # X-Forwarded-For grows left to right: the last entry is the one our own proxy added.
    return value.split(",")[-1].strip() or None


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all means no SSO
        return False


def _first_admin() -> None:
    st.title("Welcome to Practicum")
    st.write("There are no accounts yet. Create the first admin account with the setup code.")
    st.info("The setup code is in the server's log: the terminal or log file of the process that runs "
            "Practicum (`make run`) shows a line beginning **Practicum setup code**. It works once; every "
            "restart writes a new one. Or create the admin from a shell on the server: "
            "`python -m simulator users add --username you --role admin`.")
    with st.form("first-admin"):
        code = st.text_input("Setup code", help="From the server's log, e.g. ABCD-EFGH-JKMN-PQRS.")
        username = st.text_input("Username")
        password = st.text_input("Password", type="password",
                                 help="At least 12 characters and hard to guess; a few uncommon words work well.")
        again = st.text_input("Password again", type="password")
        if st.form_submit_button("Create admin account", type="primary"):
            if password != again:
                st.error("The two passwords differ.")
                return
            try:
                token = sign_in().create_first_admin(code, username, password)
            except (users.AccountError, AccessDenied) as err:
                st.error(str(err))
                return
            _start(token)


def _sign_in() -> None:
    st.title("Sign in to Practicum")
    if _sso_configured():
        user = st.user
        verified = user.get("email_verified") in (True, "true")  # only a verified email maps to an account
        if user.is_logged_in and user.get("email") and not verified:
            st.error("Your organisation did not confirm that email address, so it cannot sign you in here.")
        if user.is_logged_in and user.get("email") and verified:
            try:
                token = sign_in().login_by_email(user["email"])
            except users.AccountError as err:
                st.error(str(err))
            else:
                _start(token)
        st.button("Sign in with your organisation", on_click=st.login)
        st.divider()
    with st.form("sign-in"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                with st.spinner("Checking…"):
                    token = sign_in().login(username, password, device=_cookie(DEVICE_COOKIE), client=_client())
            except users.AccountError as err:
                st.error(str(err))
                return
            _start(token)


def gate() -> Actor:
    """The signed-in account; otherwise draw the sign-in (or first-admin) form and stop."""
    if not sign_in().has_accounts():
        _first_admin()
        st.stop()
    if TOKEN not in st.session_state and not st.session_state.get("signed_out"):
        remembered = _cookie(AUTH_COOKIE)
        if remembered:
            st.session_state[TOKEN] = remembered  # a reload: the cookie remembers the sign-in
    actor = sign_in().resume(st.session_state.get(TOKEN))
    if actor is None:
        if st.session_state.get(TOKEN):
            st.session_state.clear()  # nothing of the ended sign-in stays on the page
            st.session_state["signed_out"] = True
            st.session_state["clear_cookie"] = True
            st.info("Your sign-in has ended (unused for a while, or past its time limit). Please sign in again.")
        if st.session_state.pop("clear_cookie", False):
            _post(SIGNOUT_PATH, "", then_reload=False)
        _sign_in()
        st.stop()
    st.session_state["actor"] = actor
    code = st.session_state.pop(HANDOFF, None)
    if code:
        _post(COOKIE_PATH, code, then_reload=True)  # the browser swaps the code for its HttpOnly cookie
    with st.sidebar:
        st.markdown(f"Signed in as **{actor.username}** ({actor.role})")
        if st.button("Sign out", icon=":material/logout:"):
            sign_in().logout(st.session_state.get(TOKEN))
            st.session_state.clear()
            st.session_state["signed_out"] = True  # the cookie this page loaded with is void now
            st.session_state["clear_cookie"] = True
            if _sso_configured() and st.user.is_logged_in:
                st.logout()  # otherwise the identity provider's cookie signs straight back in
            st.rerun()
    return actor


def current_token() -> str | None:
    return st.session_state.get(TOKEN)
