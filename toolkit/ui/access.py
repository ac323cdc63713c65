"""Sign-in and roles in the dashboard: the login form, the sign-out button, and which pages a role may open.

When the store has users (:mod:`toolkit.store.users`), ``app.py`` shows only :func:`login_page` until
someone signs in, then puts in ``st.navigation`` only the pages of :data:`PAGE_CAPABILITY` their role
allows. Each page function is also wrapped by :func:`needs` (in :mod:`toolkit.ui.pages`), so a page
reached any other way (an old link, a test harness) refuses too. The signed-in name is kept in the
server-side session state (a query parameter cannot set it), and the role is read from the store on every
run, so a demotion or removal applies at the next click. With no users, everything is allowed, as before.

When the Streamlit secrets hold an ``[auth]`` section (Streamlit's own OIDC settings, ``docs/access.md``),
the sign-in page also offers "Sign in with <provider>" (``st.login``). The provider's answer (``st.user``,
read by :func:`user_claims` only) is matched to a user of the store on every run
(:func:`toolkit.store.users.identity_from_oidc`): the store decides the role, and an identity that matches
no user gets no page, a message, and one audit event per session. Password sign-in stays.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

import streamlit as st

from toolkit.errors import AccessError, ToolkitError
from toolkit.store.engine import Store
from toolkit.store.users import Identity, authenticate, find_identity, identity_from_oidc, users_configured
from toolkit.ui.highlight import md_escape

__all__ = [
    "PAGE_CAPABILITY",
    "SIGNED_IN_KEY",
    "authlib_installed",
    "current_identity",
    "login_page",
    "may",
    "needs",
    "oidc_providers",
    "sign_out_button",
    "user_claims",
]

SIGNED_IN_KEY = "signed_in_user"
"""Session key of the signed-in user's name (password sign-in)."""
OIDC_REFUSED_KEY = "oidc_refused"
"""Session key of a provider identity that matched no user (shown on the sign-in page, audited once)."""
CLAIM_ENV = "QDA_OIDC_CLAIM"
"""Environment variable naming the claim matched against users' ``oidc_subject`` (default: by e-mail)."""

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


def _auth_secrets() -> Mapping[str, Any]:
    """The ``[auth]`` section of the Streamlit secrets, empty when there is none (or no secrets at all)."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets.toml: Streamlit raises its own not-found error
        return {}
    return section if isinstance(section, Mapping) else {}


def oidc_providers() -> list[tuple[str | None, str]]:
    """The configured providers as (name for ``st.login``, label): none without an ``[auth]`` section.

    One provider configured directly in ``[auth]`` is ``st.login()``'s default, labelled by its
    host; named ones (``[auth.keycloak]``) by their name.
    """
    auth = _auth_secrets()
    providers: list[tuple[str | None, str]] = []
    if auth.get("client_id"):
        providers.append((None, urlparse(str(auth.get("server_metadata_url", ""))).hostname or "your organisation"))
    for name, section in auth.items():
        if isinstance(section, Mapping) and section.get("client_id"):
            providers.append((str(name), str(name)))
    return providers


def authlib_installed() -> bool:
    """Whether Authlib, which ``st.login`` needs, is installed (the ``oidc`` extra)."""
    return importlib.util.find_spec("authlib") is not None


def user_claims() -> dict[str, Any]:
    """What the identity provider said about this browser (``st.user``); empty when OIDC is not set up.

    The one place that reads ``st.user``, so a test can put any claims here without a provider.
    """
    if not oidc_providers():
        return {}
    try:
        return dict(st.user.to_dict())
    except Exception:  # Streamlit without a running server (bare mode) has no user
        return {}


def _oidc_identity(store: Store) -> Identity | None:
    """The user the provider's identity maps to; a refusal is noted in the session and audited once."""
    claims = user_claims()
    if not claims.get("is_logged_in"):
        return None
    claim = os.environ.get(CLAIM_ENV, "").strip() or None
    tried = str(claims.get(claim or "email") or "")
    first_time = st.session_state.get(OIDC_REFUSED_KEY) != tried
    identity = identity_from_oidc(store, claims, claim, audit_refusal=first_time)
    if identity is None:
        st.session_state[OIDC_REFUSED_KEY] = tried
    else:
        st.session_state.pop(OIDC_REFUSED_KEY, None)
    return identity


def current_identity(store: Store | None = None) -> Identity | None:
    """Who is signed in, with their role as stored now; None when nobody is (or the user was removed).

    A password sign-in first; else the identity provider's, when OIDC is configured and the store has users.
    """
    store = store or _store()
    name = st.session_state.get(SIGNED_IN_KEY)
    if name:
        identity = find_identity(store, name)
        if identity is None:
            st.session_state.pop(SIGNED_IN_KEY, None)
        return identity
    if oidc_providers() and users_configured(store):
        return _oidc_identity(store)
    return None


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


def _provider_buttons() -> None:
    """The "Sign in with <provider>" buttons, or what is missing when Authlib is not installed."""
    providers = oidc_providers()
    if not providers:
        return
    refused = st.session_state.get(OIDC_REFUSED_KEY)
    if refused is not None:
        st.error(
            f"You signed in at the identity provider as {md_escape(refused or 'someone without an e-mail')}, "
            "but no user of this project has that identity, so no page is shown. Ask an admin to add you "
            "(`qda users add NAME --role viewer --email ADDRESS`), or sign out and use another account."
        )
        if st.button("Sign out of the identity provider", key="oidc_sign_out"):
            st.session_state.pop(OIDC_REFUSED_KEY, None)
            st.logout()
        return
    if not authlib_installed():
        st.warning(
            "Sign-in through your organisation's identity provider is configured, but the Authlib package it "
            "needs is not installed. Install the optional extra (`pip install 'survivor-qda[oidc]'`, from "
            "your local package index) and restart the dashboard; meanwhile, sign in with a password below."
        )
        return
    for provider, label in providers:
        if st.button(f"Sign in with {md_escape(label)}", key=f"oidc_login_{provider or 'default'}"):
            st.login(provider)


def login_page() -> None:
    """The sign-in form; a wrong name or password gets one message that does not say which was wrong."""
    st.title("Sign in")
    st.caption("This project has users: sign in to see it.")
    _provider_buttons()
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
        by_password = bool(st.session_state.get(SIGNED_IN_KEY))
        for key in list(st.session_state):
            if key != "db_url":
                del st.session_state[key]
        if not by_password and user_claims().get("is_logged_in"):
            st.logout()  # forgets the provider's cookie and starts a new session
        st.rerun()
