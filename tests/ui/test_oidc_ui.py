"""Sign-in through the organisation's identity provider (st.login), with ``st.user`` replaced: no network.

The provider's answer reaches the app only through :func:`toolkit.ui.access.user_claims`, which these tests
patch; nothing here contacts a provider (the Authlib package st.login needs is not even required).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from toolkit.store.engine import open_store
from toolkit.store.models import AuditEvent
from toolkit.store.users import add_user
from toolkit.ui import access
from toolkit.ui.highlight import md_escape

from ..conftest import ROOT
from .test_app import go_to

pytestmark = pytest.mark.model

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret-only-a-test",
    "client_id": "survivor-qda",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://keycloak.ngo.example/realms/qda/.well-known/openid-configuration",
}
ADMIN_ONLY = ("review", "agreement", "codebook", "export", "users")
ADMIN_TITLES = {"Review queue", "Agreement", "Codebook", "Export", "Users and identifiers"}


@pytest.fixture
def team_url(demo_url) -> str:
    store = open_store(demo_url)
    try:
        add_user(store, "olga", "admin", "olga's passphrase", email="olga@ngo.example")
        add_user(store, "vera", "viewer", None, email="vera@ngo.example", actor="olga")
    finally:
        store.close()
    return demo_url


def signed_in_as(monkeypatch, email: str | None) -> None:
    """The provider says this browser signed in as ``email`` (None: nobody signed in at the provider)."""
    claims = {"is_logged_in": True, "email": email} if email else {"is_logged_in": False}
    monkeypatch.setattr(access, "user_claims", lambda: dict(claims))


def open_app(url: str, auth: dict | None = AUTH) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if auth is not None:
        at.secrets["auth"] = auth
    at.session_state["db_url"] = url
    return at.run()


def titles(at: AppTest) -> set[str]:
    return {t.value for t in at.title}


def refusals(url: str) -> list[AuditEvent]:
    store = open_store(url)
    try:
        with store.read() as session:
            return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "user.oidc_refused")))
    finally:
        store.close()


def test_oidc_known_email_gets_its_roles_pages(team_url, monkeypatch):
    signed_in_as(monkeypatch, "Vera@NGO.example")
    at = open_app(team_url)
    assert not at.exception
    assert titles(at) == {"Overview"}
    assert any("vera (viewer)" in c.value for c in at.sidebar.caption)
    for url_path in ADMIN_ONLY:  # a viewer's role, as the store says: none of these
        go_to(at, url_path)
        assert not at.exception and not titles(at) & ADMIN_TITLES, url_path
    go_to(at, "quotes")
    assert titles(at) == {"Quotes"}
    signed_in_as(monkeypatch, "olga@ngo.example")
    admin = open_app(team_url)
    go_to(admin, "users")
    assert titles(admin) == {"Users and identifiers"}
    assert refusals(team_url) == []


def test_oidc_unknown_email_gets_no_page_a_message_and_one_audit_event(team_url, monkeypatch):
    signed_in_as(monkeypatch, "eve@elsewhere.example")
    at = open_app(team_url)
    assert not at.exception
    assert titles(at) == {"Sign in"} and not at.metric
    assert any("no user of this project" in e.value and md_escape("eve@elsewhere.example") in e.value for e in at.error)
    for url_path in ("overview", "quotes", "users"):
        go_to(at, url_path)
        assert titles(at) == {"Sign in"}, url_path
    events = refusals(team_url)
    assert len(events) == 1 and events[0].entity_id == "eve@elsewhere.example"  # once per session


def test_oidc_button_only_with_an_auth_section(team_url, monkeypatch):
    signed_in_as(monkeypatch, None)
    monkeypatch.setattr(access, "authlib_installed", lambda: True)
    labels = [b.label for b in open_app(team_url).button]
    assert f"Sign in with {md_escape('keycloak.ngo.example')}" in labels
    named = open_app(team_url, {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": "x", "keycloak": AUTH})
    assert "Sign in with keycloak" in [b.label for b in named.button]
    without = open_app(team_url, auth=None)
    assert titles(without) == {"Sign in"}
    assert not [b.label for b in without.button if "Sign in with" in b.label]
    assert not without.warning


def test_oidc_without_authlib_the_page_says_what_is_missing(team_url, monkeypatch):
    signed_in_as(monkeypatch, None)
    monkeypatch.setattr(access, "authlib_installed", lambda: False)
    at = open_app(team_url)
    assert not [b.label for b in at.button if "Sign in with" in b.label]
    assert any("Authlib" in w.value and "survivor-qda[oidc]" in w.value for w in at.warning)
    assert at.text_input(key="login_name") is not None  # password sign-in stays


def test_oidc_admin_adds_a_provider_only_user_on_the_users_page(team_url, monkeypatch):
    from toolkit.store.users import user_rows
    from toolkit.ui.harness import page_script

    at = AppTest.from_function(page_script, args=("users_page", team_url, "olga"), default_timeout=60).run()
    at.text_input(key="user_add_name").set_value("rita")
    at.selectbox(key="user_add_role").set_value("reviewer")
    at.text_input(key="user_add_email").set_value("Rita@NGO.example")
    at.button[0].click().run()  # the form's Add (no password: the provider only)
    assert not at.exception and not at.error, [e.value for e in at.error]
    store = open_store(team_url)
    try:
        assert {r["name"]: r["email"] for r in user_rows(store)}["rita"] == "rita@ngo.example"
    finally:
        store.close()
    signed_in_as(monkeypatch, "rita@ngo.example")
    reviewer = open_app(team_url)
    go_to(reviewer, "review")
    assert titles(reviewer) == {"Review queue"}


def test_oidc_admin_gives_an_existing_user_an_email_on_the_users_page(team_url, monkeypatch):
    from toolkit.ui.harness import page_script

    store = open_store(team_url)
    try:
        add_user(store, "carl", "coder", "carl's passphrase", actor="olga")
    finally:
        store.close()
    signed_in_as(monkeypatch, "carl@ngo.example")
    assert titles(open_app(team_url)) == {"Sign in"}  # no user has that e-mail yet
    at = AppTest.from_function(page_script, args=("users_page", team_url, "olga"), default_timeout=60).run()
    at.selectbox(key="user_change_name").set_value("carl").run()
    at.text_input(key="user_email_carl").set_value("Carl@NGO.example")
    at.button(key="user_change_email_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("of carl set" in s.value for s in at.success), [s.value for s in at.success]
    coder = open_app(team_url)
    assert titles(coder) == {"Overview"}
    assert any("carl (coder)" in c.value for c in coder.sidebar.caption)
