"""The admin page: users and their roles, and the identifier mapping (reading it is audited)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from toolkit.corpus.identifiers import mapping_rows
from toolkit.store.users import (
    ROLES,
    add_user,
    remove_user,
    set_password,
    set_provider_identity,
    set_role,
    user_rows,
)
from toolkit.ui.access import current_identity
from toolkit.ui.editing import act, show_message
from toolkit.ui.state import get_store


def _actor() -> str:
    identity = current_identity()
    return identity.name if identity is not None else "system"


def users_page() -> None:
    """Add, re-role and remove users; show the pseudonym mapping on request (an audited read)."""
    store = get_store(st.session_state["db_url"])
    st.title("Users and identifiers")
    show_message()
    actor = _actor()
    rows = user_rows(store)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("No users: the dashboard asks nobody to sign in. The first user must be an admin.")
    with st.form("user_add"):
        st.subheader("Add a user")
        name = st.text_input("Name (also their coder name)", key="user_add_name")
        role = st.selectbox("Role", ROLES, key="user_add_role")
        password = st.text_input("Password", type="password", key="user_add_password")
        email = st.text_input(
            "E-mail at the identity provider (optional; with no password they sign in only there)",
            key="user_add_email",
        )
        if st.form_submit_button("Add"):
            secret = password if password or not email.strip() else None
            act(lambda: add_user(store, name, role, secret, email=email, actor=actor), f"{name} added as {role}.")
    names = [r["name"] for r in rows]
    if names:
        st.subheader("Change a user")
        who = st.selectbox("User", names, key="user_change_name")
        one, two = st.columns(2)
        new_role = one.selectbox("New role", ROLES, key="user_change_role")
        if one.button("Change role", key="user_change_role_go"):
            act(lambda: set_role(store, who, new_role, actor=actor), f"{who} is now {new_role}.")
        new_password = two.text_input("New password", type="password", key="user_change_password")
        if two.button("Set password", key="user_change_password_go"):
            act(lambda: set_password(store, who, new_password, actor=actor), f"Password of {who} changed.")
        current = next(r for r in rows if r["name"] == who)
        new_email = st.text_input(
            "E-mail at the identity provider (empty clears it)", value=current["email"] or "", key=f"user_email_{who}"
        )
        if st.button("Set e-mail", key="user_change_email_go"):
            act(
                lambda: set_provider_identity(
                    store, who, email=new_email, oidc_subject=current.get("oidc_subject"), actor=actor
                ),
                f"E-mail of {who} set." if new_email.strip() else f"E-mail of {who} cleared.",
            )
        if st.button("Remove user", key="user_remove"):
            act(lambda: remove_user(store, who, actor=actor), f"{who} removed; their codings stay.")
    st.subheader("Identifier mapping")
    st.caption("Pseudonym -> the identifier it replaces. Showing it is recorded in the audit trail.")
    if st.button("Show the mapping", key="mapping_show"):
        st.dataframe(pd.DataFrame(mapping_rows(store, actor)), hide_index=True, width="stretch")
