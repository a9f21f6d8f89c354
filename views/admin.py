"""Admin page: accounts and roles, cohorts, sessions from before accounts, the audit log, and the
clinic's operations: which exercises may use the model, model usage, erasure and retention."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from simulator.accounts.audit import action_words
from simulator.accounts.policy import AccessDenied
from simulator.accounts.users import ROLES, AccountError
from views.common import as_text, form_round, next_form_round, open_tab_only, services

admin = services().accounts
clinic = services().clinic
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


def people_tab():
    # After a save the form starts empty, so the next person is never added with the last one's name,
    # password or role.
    version = form_round("new-account")
    with st.form(f"new-user-{version}"):
        st.subheader("Add an account")
        c1, c2, c3 = st.columns(3)
        username = c1.text_input("Username", key=f"new-username-{version}")
        role = c2.selectbox("Role", ROLES, key=f"new-role-{version}")
        email = c3.text_input("Email (for single sign-on, optional)", key=f"new-email-{version}")
        password = st.text_input("Initial password", type="password", key=f"new-password-{version}")
        if st.form_submit_button("Add account", type="primary"):
            # On a refusal the fields keep what was typed, beside the reason.
            if attempt(admin.create_user, username, password, role, email or None,
                       done=f"Added {username} as a {role}."):
                next_form_round("new-account")
                st.rerun()
    for u in accounts:
        # One card per person, its controls in a row that wraps: in four fixed columns "Reset
        # password" was cut off in a narrow window.
        with st.container(border=True):
            account_row(u)


def account_row(u: dict) -> None:
    st.markdown(f"**{as_text(u['username'])}** {as_text(u['email'] or '')}")
    st.caption(("active" if u["active"] else "deactivated")
               + (" · sign-ins slowed by failed attempts" if u.get("slowed") else "")
               + (" · research consent" if u["consent"] else ""))
    with st.container(horizontal=True, vertical_alignment="center"):
        new_role = st.selectbox(f"Role of {u['username']}", ROLES, index=ROLES.index(u["role"]),
                                key=f"role-{u['id']}-{u['role']}", label_visibility="collapsed", width=180)
        label = "Deactivate" if u["active"] else "Reactivate"
        if st.button(label, key=f"active-{u['id']}"):
            if attempt(admin.set_active, u["id"], not u["active"], done=f"{label}d."):
                st.rerun()
        with st.popover("Reset password"):
            pw = st.text_input("New password", type="password", key=f"pw-{u['id']}")
            st.caption("Every sign-in of the account ends.")
            if st.button("Set", key=f"setpw-{u['id']}"):
                attempt(admin.set_password, u["id"], pw, done="Password set; its sign-ins ended.")
    if new_role != u["role"]:
        # A role changes only once the admin confirms it for this named person.
        st.warning(f"Change {as_text(u['username'])}'s role from {u['role']} to {new_role}?")
        with st.container(horizontal=True):
            if st.button("Change role", key=f"confirm-role-{u['id']}", type="primary"):
                if attempt(admin.set_role, u["id"], new_role, done=f"{u['username']} is now a {new_role}."):
                    st.rerun()
            if st.button("Keep", key=f"cancel-role-{u['id']}"):
                st.session_state.pop(f"role-{u['id']}-{u['role']}", None)
                st.rerun()


def cohorts_tab():
    with st.form("new-cohort", clear_on_submit=True):
        name = st.text_input("New cohort name")
        if st.form_submit_button("Create cohort"):
            attempt(admin.create_cohort, name, done=f"Cohort {name} created.")
    for cohort in admin.cohorts():
        with st.expander(as_text(cohort["name"])):
            members = admin.cohort_members(cohort["id"])
            for m in members:
                left, right = st.columns([4, 1], vertical_alignment="center")
                left.write(f"{as_text(m['username'])}: {m['role']}")
                if right.button("Remove", key=f"rm-{cohort['id']}-{m['user_id']}",
                                help="A supervisor loses access to the cohort's trainees at once."):
                    if attempt(admin.remove_member, cohort["id"], m["user_id"], done="Removed."):
                        st.rerun()
            c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
            who = c1.selectbox("Person", list(names), format_func=names.get, key=f"who-{cohort['id']}")
            as_role = c2.selectbox("As", ["trainee", "supervisor"], key=f"as-{cohort['id']}")
            if c3.button("Add", key=f"add-{cohort['id']}"):
                if attempt(admin.add_member, cohort["id"], who, as_role, done="Added."):
                    st.rerun()


def ownerless_tab():
    orphans = admin.ownerless_sessions()
    if not orphans:
        st.write("Every session has an owner.")
    for s in orphans:
        c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
        c1.write(f"{s['created_at'][:16]} · {as_text(s['case_id'])} · {s['style']}")
        who = c2.selectbox("Owner", list(names), format_func=names.get, key=f"owner-{s['id']}")
        if c3.button("Assign", key=f"assign-{s['id']}"):
            if attempt(admin.assign_session, s["id"], who, done="Assigned."):
                st.rerun()


def date_range(left, right, key: str) -> tuple[date | None, date | None]:
    """From and To pickers over the last 30 days by default; a cleared picker means no bound."""
    since = left.date_input("From", date.today() - timedelta(days=30), key=f"{key}-since")
    until = right.date_input("To", date.today(), key=f"{key}-until")
    return (since if isinstance(since, date) else None), (until if isinstance(until, date) else None)


def model_tab():
    where = clinic.where_text_goes()
    if where is None:
        st.info("No language model is configured: every exercise runs on the offline engine.")
    else:
        st.markdown(f"Model server: **{as_text(where.endpoint)}** · run by {as_text(where.who)}")
        if not where.local:
            st.caption("It is not this machine, so each trainee reads where their text goes and confirms it "
                       "before their first message to the model.")
    st.subheader("Which exercises may use the model")
    allowed = clinic.llm_permissions()
    for exercise, on in allowed.items():
        wanted = st.toggle(clinic.exercise_label(exercise), value=on, key=f"llm-{exercise}")
        if wanted != on and attempt(clinic.set_llm_permission, exercise, wanted,
                                    done=f"{clinic.exercise_label(exercise)}: "
                                         f"{'may use the model' if wanted else 'offline engine only'}."):
            st.rerun()
    st.subheader("Usage")
    c1, c2, c3 = st.columns(3)
    by = c1.selectbox("Grouped by", ["day", "exercise", "cohort", "model"], key="usage-by")
    rows = clinic.usage(by, *date_range(c2, c3, "usage"))
    if not rows:
        st.caption("No calls to the model in this period.")
    else:
        st.dataframe(pd.DataFrame({
            by: [r.key for r in rows], "calls": [r.calls for r in rows], "people": [r.people for r in rows],
            "prompt tokens": [r.prompt_tokens for r in rows],
            "completion tokens": [r.completion_tokens for r in rows],
            "estimated calls": [r.estimated_calls for r in rows],
            "mean latency (ms)": [round(r.mean_latency_ms) for r in rows],
            "outcomes": [", ".join(f"{k} {v}" for k, v in r.outcomes.items()) for r in rows],
        }), hide_index=True, width="stretch")
        st.caption("Estimated calls: the server reported no token counts, so they were counted here.")


def erasure_tab():
    st.subheader("Erase a person")
    st.caption("Removes the account and everything the person made or that identifies them; comments and "
               "grades others wrote on their interviews stay, without their name. What would go is shown "
               "first; it is done only once you type the username again.")
    target = st.selectbox("Account", [None, *names.values()], key="erase-who",
                          format_func=lambda n: "Choose…" if n is None else n)
    if target:
        try:
            preview = clinic.erase_preview(target)
        except (AccountError, AccessDenied, ValueError) as err:
            st.error(as_text(str(err)))
        else:
            st.markdown(f"Erasing **{as_text(target)}** ({preview.role}) would remove "
                        f"{preview.total_removed} rows: "
                        + (", ".join(f"{k} {v}" for k, v in preview.removed.items()) or "nothing"))
            if preview.kept:
                st.caption("Kept without the person: " + ", ".join(f"{k} {v}" for k, v in preview.kept.items()))
            typed = st.text_input("Type the username to confirm", key=f"erase-confirm-{target}")
            if st.button("Erase", type="primary", disabled=typed != target, key=f"erase-{target}"):
                if attempt(clinic.erase, target, done=f"{target} was erased."):
                    st.session_state.pop("erase-who", None)
                    st.rerun()
    st.subheader("Retention")
    plan = clinic.next_purge()
    if plan.retention_days is None:
        st.caption("No retention period is set (PRACTICUM_RETENTION_DAYS): nothing is purged automatically.")
    else:
        st.markdown(f"Trainees with no activity for {plan.retention_days} days are purged "
                    f"(no activity since {plan.cutoff[:10]}). The next purge would remove:")
        if not plan.trainees and not plan.ownerless:
            st.caption("Nothing.")
        for t in plan.trainees:
            st.write(f"{as_text(t.username)}: last active {t.last_active[:10]}, {sum(t.removed.values())} rows")
        if plan.ownerless:
            st.write("Work from before accounts: " + ", ".join(f"{k} {v}" for k, v in plan.ownerless.items()))


def audit_tab():
    # Two rows: four filters in one row left the dates too narrow to read in an 800-pixel window.
    c1, c2 = st.columns([3, 2])
    chosen = c1.multiselect("Actions", admin.audit_actions(), format_func=action_words, key="audit-actions")
    person = c2.selectbox("Person", [None, *names], format_func=lambda i: "anyone" if i is None else names[i],
                          key="audit-person", help="Entries the person did, or that are about them.")
    since, until = date_range(*st.columns(2), "audit")
    text = st.text_input("Details contain", key="audit-text")
    entries = admin.audit_entries(actions=chosen or None, person=person, since=since, until=until,
                                  text=text.strip() or None)
    st.caption(f"{len(entries)} entries (newest first, at most 500).")
    st.dataframe(pd.DataFrame({
        "when (UTC)": [e["at"][:19].replace("T", " ") for e in entries],
        "who": [e["actor"] for e in entries],
        "action": [action_words(e["action"]) for e in entries],
        "about": [e["about"] for e in entries],
        "details": [e["details"] for e in entries],
    }), hide_index=True, width="stretch")


TABS = {"People": people_tab, "Cohorts": cohorts_tab, "Sessions without an owner": ownerless_tab,
        "Language model": model_tab, "Erasure and retention": erasure_tab, "Audit log": audit_tab}
open_tab_only(TABS, "admin-tab")  # a hidden tab neither queries the audit log nor previews an erasure
