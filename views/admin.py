"""Admin page: accounts and roles, cohorts, sessions from before accounts, the audit log."""

import json

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.accounts.users import ROLES, AccountError
from views.common import as_text, services

admin = services().accounts
st.title("Accounts")


def attempt(fn, *args, done: str) -> bool:
    """Run an admin action; show its error and return False, or toast and return True."""
    try:
        fn(*args)
    except (AccountError, AccessDenied) as err:
        st.error(str(err))
        return False
    st.toast(done)
    return True


accounts = admin.list_users()
names = {u["id"]: u["username"] for u in accounts}

tab_users, tab_cohorts, tab_sessions, tab_audit = st.tabs(
    ["People", "Cohorts", "Sessions without an owner", "Audit log"])

with tab_users:
    with st.form("new-user"):
        st.subheader("Add an account")
        c1, c2, c3 = st.columns(3)
        username = c1.text_input("Username")
        role = c2.selectbox("Role", ROLES)
        email = c3.text_input("Email (for single sign-on, optional)")
        password = st.text_input("Initial password", type="password")
        if st.form_submit_button("Add account", type="primary"):
            if attempt(admin.create_user, username, password, role, email or None,
                    done=f"Added {username}."):
                st.rerun()
    for u in accounts:
        c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
        c1.markdown(f"**{as_text(u['username'])}** {as_text(u['email'] or '')}")
        c1.caption(("active" if u["active"] else "deactivated")
                   + (" · locked" if u["locked_until"] else "")
                   + (" · research consent" if u["consent"] else ""))
        new_role = c2.selectbox("Role", ROLES, index=ROLES.index(u["role"]),
                                key=f"role-{u['id']}", label_visibility="collapsed")
        if new_role != u["role"]:
            attempt(admin.set_role, u["id"], new_role, done="Role changed.")
        label = "Deactivate" if u["active"] else "Reactivate"
        if c3.button(label, key=f"active-{u['id']}"):
            if attempt(admin.set_active, u["id"], not u["active"], done=f"{label}d."):
                st.rerun()
        with c4.popover("Reset password"):
            pw = st.text_input("New password", type="password", key=f"pw-{u['id']}")
            if st.button("Set", key=f"setpw-{u['id']}"):
                attempt(admin.set_password, u["id"], pw, done="Password set.")

with tab_cohorts:
    with st.form("new-cohort", clear_on_submit=True):
        name = st.text_input("New cohort name")
        if st.form_submit_button("Create cohort"):
            attempt(admin.create_cohort, name, done=f"Cohort {name} created.")
    for cohort in admin.cohorts():
        with st.expander(as_text(cohort["name"])):
            members = admin.cohort_members(cohort["id"])
            for m in members:
                st.write(f"{as_text(m['username'])}: {m['role']}")
            c1, c2, c3 = st.columns([3, 2, 1])
            who = c1.selectbox("Person", list(names), format_func=names.get, key=f"who-{cohort['id']}")
            as_role = c2.selectbox("As", ["trainee", "supervisor"], key=f"as-{cohort['id']}")
            if c3.button("Add", key=f"add-{cohort['id']}"):
                if attempt(admin.add_member, cohort["id"], who, as_role, done="Added."):
                    st.rerun()

with tab_sessions:
    orphans = admin.ownerless_sessions()
    if not orphans:
        st.write("Every session has an owner.")
    for s in orphans:
        c1, c2, c3 = st.columns([3, 2, 1])
        c1.write(f"{s['created_at'][:16]} · {as_text(s['case_id'])} · {s['style']}")
        who = c2.selectbox("Owner", list(names), format_func=names.get, key=f"owner-{s['id']}")
        if c3.button("Assign", key=f"assign-{s['id']}"):
            if attempt(admin.assign_session, s["id"], who, done="Assigned."):
                st.rerun()

with tab_audit:
    for entry in admin.audit_entries():
        st.text(f"{entry['at'][:19]}  {names.get(entry['actor_id'], entry['actor_id'])}  "
                f"{entry['action']}  {json.dumps(json.loads(entry['details_json']))}")
