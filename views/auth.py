"""Sign-in gate: first admin account, password sign-in, optional single sign-on, sign-out."""

from __future__ import annotations

import streamlit as st

from simulator.accounts import users
from simulator.accounts.actor import Actor
from simulator.accounts.policy import AccessDenied
from views.common import sign_in

TOKEN = "auth_token"
COOKIE = "practicum_auth"


def _start(token: str) -> None:
    """Begin a sign-in with nothing left over from whoever used this tab before."""
    st.session_state.clear()
    st.session_state[TOKEN] = token
    st.session_state["set_cookie"] = token
    st.rerun()


def _cookie(value: str) -> None:
    """Set (or, with "", delete) the sign-in cookie in the browser, so a reload stays signed in.

    A browser-session cookie: closing the browser ends it; the server also ends idle sign-ins and
    every signed-out token, so a copied cookie is worth no more than the sign-in behind it.
    """
    import streamlit.components.v1 as components

    expiry = "" if value else "; max-age=0"
    components.html(f"<script>window.parent.document.cookie = "
                    f"'{COOKIE}={value}; path=/; SameSite=Strict{expiry}';</script>", height=0)


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all means no SSO
        return False


def _first_admin() -> None:
    st.title("Welcome to Practicum")
    st.write("There are no accounts yet. Create the first admin account to begin.")
    with st.form("first-admin"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password", help="At least 10 characters.")
        again = st.text_input("Password again", type="password")
        if st.form_submit_button("Create admin account", type="primary"):
            if password != again:
                st.error("The two passwords differ.")
                return
            try:
                token = sign_in().create_first_admin(username, password)
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
                token = sign_in().login(username, password)
            except users.AccountError as err:
                st.error(str(err))
                return
            _start(token)


def gate() -> Actor:
    """The signed-in account; otherwise draw the sign-in (or first-admin) form and stop."""
    if not sign_in().has_accounts():
        _first_admin()
        st.stop()
    remembered = st.context.cookies.get(COOKIE)
    if TOKEN not in st.session_state and isinstance(remembered, str) and not st.session_state.get("signed_out"):
        st.session_state[TOKEN] = remembered  # a reload: the cookie remembers the sign-in
    actor = sign_in().resume(st.session_state.get(TOKEN))
    if actor is None:
        if st.session_state.get(TOKEN):
            st.session_state.clear()  # nothing of the expired sign-in stays on the page
            st.session_state["signed_out"] = True
            st.info("You were signed out after a period without activity.")
        if st.session_state.get("signed_out"):
            _cookie("")
        _sign_in()
        st.stop()
    st.session_state["actor"] = actor
    if st.session_state.get("set_cookie"):
        _cookie(st.session_state.pop("set_cookie"))
    with st.sidebar:
        st.markdown(f"Signed in as **{actor.username}** ({actor.role})")
        if st.button("Sign out", icon=":material/logout:"):
            sign_in().logout(st.session_state.get(TOKEN))
            st.session_state.clear()
            st.session_state["signed_out"] = True  # the cookie this page loaded with is void now
            if _sso_configured() and st.user.is_logged_in:
                st.logout()  # otherwise the identity provider's cookie signs straight back in
            st.rerun()
    return actor
