"""Account page: research consent and password."""

import streamlit as st

from simulator.accounts import users
from simulator.core.text import agreeing
from views.auth import current_token
from views.common import current_actor, services

actor = current_actor()
st.title("Your account")
st.write(f"Signed in as **{actor.username}**, role: {actor.role}.")

st.subheader("Research consent")
st.write(
    "Researchers may study de-identified practice logs. With consent, your sessions are included "
    "under a pseudonym: never your username or email. You can withdraw at any time; later "
    "exports will leave you out."
)
account = services().accounts
consent = account.consent()
choice = st.toggle("Include my de-identified sessions in research exports", value=consent)
if choice != consent:
    account.set_consent(choice)
    st.success("Saved." if choice else "Withdrawn: future exports will not include your sessions.")

st.subheader("Change password")
st.caption("You need your current password. Changing it signs you out everywhere else.")
with st.form("password", clear_on_submit=True):
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password", type="password",
                        help="At least 12 characters and hard to guess; a few uncommon words work well.")
    again = st.text_input("New password again", type="password")
    if st.form_submit_button("Change password"):
        if new != again:
            st.error("The two new passwords differ.")
        else:
            try:
                ended = account.change_password(current, new, current_token())
            except users.AccountError as err:
                st.error(str(err))
            else:
                ended_text = " " + agreeing("{n} other sign-in(s) ended.", n=ended) if ended else ""
                st.success("Password changed." + ended_text)
