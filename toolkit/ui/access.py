"""Sign-in and roles in the dashboard: the login form, the sign-out button, and which pages a role may open.

When the store has users (:mod:`toolkit.store.users`), ``app.py`` shows only :func:`login_page` until
someone signs in, then puts in ``st.navigation`` only the pages of :data:`PAGE_CAPABILITY` their role
allows. Each page function is also wrapped by :func:`needs` (in :mod:`toolkit.ui.pages`), so a page
reached any other way (an old link, a test harness) refuses too. The signed-in name is kept in the
server-side session state (a query parameter cannot set it), and the role is read from the store on every
run, so a demotion or removal applies at the next click. With no users, everything is allowed, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from toolkit.errors import AccessError, ToolkitError
from toolkit.store.engine import Store
from toolkit.store.users import Identity, authenticate, find_identity, users_configured
from toolkit.ui.highlight import md_escape

__all__ = [
    "PAGE_CAPABILITY",
    "SIGNED_IN_KEY",
    "current_identity",
    "login_page",
    "may",
    "needs",
    "sign_out_button",
]

SIGNED_IN_KEY = "signed_in_user"
"""Session key of the signed-in user's name."""

PAGE_CAPABILITY: dict[str, str] = {
    "overview_page": "read",
    "root_causes_page": "read",
    "recruitment_page": "read",
    "contracts_page": "read",
    "awareness_page": "read",
    "quotes_page": "read",
    "transcript_page": "read",  # coding on it needs "code", its raw-text toggle "raw"
    "search_page": "read",
    "queries_page": "read",
    "codebook_page": "code",
    "export_page": "code",
    "review_page": "review",
    "agreement_page": "review",
    "users_page": "users",
}
"""Page function -> the capability (:data:`toolkit.store.users.CAPABILITIES`) needed to open it."""


def _store() -> Store:
    from toolkit.ui.state import get_store

    return get_store(st.session_state["db_url"])


def current_identity(store: Store | None = None) -> Identity | None:
    """Who is signed in, with their role as stored now; None when nobody is (or the user was removed)."""
    name = st.session_state.get(SIGNED_IN_KEY)
    if not name:
        return None
    identity = find_identity(store or _store(), name)
    if identity is None:
        st.session_state.pop(SIGNED_IN_KEY, None)
    return identity


def may(capability: str, store: Store | None = None) -> bool:
    """Whether this session may use ``capability``: always without users; else by the signed-in role.

    A store that cannot be opened has nothing to show; the page then says why (``toolkit.ui.state.context``).
    """
    if store is None:
        try:
            store = _store()
        except ToolkitError:
            return True
    if not users_configured(store):
        return True
    identity = current_identity(store)
    return identity is not None and identity.may(capability)


def needs(capability: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Wrap a page function so that it draws only for a role with ``capability`` (else says so and stops)."""

    def wrap(page: Callable[[], None]) -> Callable[[], None]:
        @functools.wraps(page)
        def gated() -> None:
            if not may(capability):
                st.error("Your role does not allow this page. Sign in as someone who may open it.")
                st.stop()
            page()

        return gated

    return wrap


def login_page() -> None:
    """The sign-in form; a wrong name or password gets one message that does not say which was wrong."""
    st.title("Sign in")
    st.caption("This project has users: sign in to see it.")
    with st.form("login"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        try:
            identity = authenticate(_store(), name, password)
        except AccessError:
            st.error("Wrong user name or password.")
            return
        st.session_state[SIGNED_IN_KEY] = identity.name
        st.rerun()


def sign_out_button(identity: Identity) -> None:
    """Who is signed in, and a button that signs them out (the session forgets every choice)."""
    st.sidebar.caption(f"Signed in as {md_escape(identity.name)} ({identity.role})")
    if st.sidebar.button("Sign out", key="sign_out"):
        for key in list(st.session_state):
            if key != "db_url":
                del st.session_state[key]
        st.rerun()
