"""Users signed in by the organisation's identity provider: the claims -> user mapping, and its refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from toolkit.errors import AccessError, ConfigError, NotFoundError
from toolkit.store.engine import create_store
from toolkit.store.models import AuditEvent
from toolkit.store.users import add_user, authenticate, identity_from_oidc, match_oidc_user, user_rows

USERS = [
    {"name": "olga", "role": "admin", "email": "olga@ngo.example", "oidc_subject": None},
    {"name": "vera", "role": "viewer", "email": "vera@ngo.example", "oidc_subject": "f81d4fae-7dec"},
    {"name": "carl", "role": "coder", "email": None, "oidc_subject": None},
]


def _name(claims: dict, claim: str | None = None) -> str | None:
    user = match_oidc_user(claims, USERS, claim)
    return None if user is None else str(user["name"])


def test_oidc_match_by_email_ignores_case_and_needs_a_signed_in_identity():
    assert _name({"is_logged_in": True, "email": " Vera@NGO.example "}) == "vera"
    assert _name({"is_logged_in": False, "email": "vera@ngo.example"}) is None
    assert _name({"email": "vera@ngo.example"}) is None
    assert _name({"is_logged_in": True, "email": "stranger@ngo.example"}) is None
    assert _name({"is_logged_in": True}) is None  # no e-mail claim: no match, never the user without one
    assert _name({"is_logged_in": True, "email": "not an address"}) is None


def test_oidc_match_refuses_an_unverified_email():
    assert _name({"is_logged_in": True, "email": "olga@ngo.example", "email_verified": True}) == "olga"
    assert _name({"is_logged_in": True, "email": "olga@ngo.example", "email_verified": False}) is None


def test_oidc_match_by_a_configured_claim_ignores_the_email():
    claims = {"is_logged_in": True, "sub": "f81d4fae-7dec", "email": "olga@ngo.example"}
    assert _name(claims, "sub") == "vera"  # the claim decides, not the e-mail
    assert _name({"is_logged_in": True, "sub": "other"}, "sub") is None
    assert _name({"is_logged_in": True, "sub": ""}, "sub") is None  # an empty claim matches no empty subject


@pytest.fixture
def store(db_url):
    opened = create_store(db_url)
    yield opened
    opened.close()


def _events(store, action: str) -> list[AuditEvent]:
    with store.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_oidc_identity_from_the_store_and_refusals_audited(store):
    add_user(store, "olga", "admin", "olga's passphrase", email="Olga@NGO.example")
    add_user(store, "vera", "viewer", None, email="vera@ngo.example", actor="olga")
    assert [(r["name"], r["email"]) for r in user_rows(store)] == [
        ("olga", "olga@ngo.example"),
        ("vera", "vera@ngo.example"),
    ]
    identity = identity_from_oidc(store, {"is_logged_in": True, "email": "VERA@ngo.example"})
    assert identity is not None and (identity.name, identity.role) == ("vera", "viewer")
    assert identity_from_oidc(store, {"is_logged_in": True, "email": "eve@elsewhere.example"}) is None
    refused = _events(store, "user.oidc_refused")
    assert len(refused) == 1 and refused[0].entity_id == "eve@elsewhere.example"
    assert identity_from_oidc(store, {"is_logged_in": True, "email": "eve@x.example"}, audit_refusal=False) is None
    assert identity_from_oidc(store, {"is_logged_in": False}) is None
    assert len(_events(store, "user.oidc_refused")) == 1  # neither a silenced refusal nor nobody signed in


def test_oidc_only_user_has_no_password_and_emails_are_unique(store):
    add_user(store, "olga", "admin", "olga's passphrase")
    add_user(store, "vera", "viewer", None, email="vera@ngo.example")
    for attempt in ("!", "", "vera's passphrase"):
        with pytest.raises(AccessError, match="wrong user name or password"):
            authenticate(store, "vera", attempt)
    with pytest.raises(ConfigError, match="vera has the email"):
        add_user(store, "vera2", "viewer", None, email="VERA@ngo.example")
    with pytest.raises(ConfigError, match="needs a password, or an e-mail"):
        add_user(store, "nobody", "viewer", None)
    with pytest.raises(ConfigError, match="not an e-mail address"):
        add_user(store, "odd", "viewer", None, email="odd.example")


def test_oidc_an_existing_user_gets_an_email_later_and_keeps_one_way_in(store):
    from toolkit.store.users import set_provider_identity

    add_user(store, "olga", "admin", "olga's passphrase")
    add_user(store, "carl", "coder", "carl's passphrase")
    add_user(store, "vera", "viewer", None, email="vera@ngo.example")
    assert identity_from_oidc(store, {"is_logged_in": True, "email": "carl@ngo.example"}, audit_refusal=False) is None
    set_provider_identity(store, "carl", email=" Carl@NGO.example ", oidc_subject=None, actor="olga")
    identity = identity_from_oidc(store, {"is_logged_in": True, "email": "carl@ngo.example"})
    assert identity is not None and identity.name == "carl"
    assert authenticate(store, "carl", "carl's passphrase").name == "carl"  # the password still works
    [event] = _events(store, "user.identity")
    assert (event.actor, event.entity_id) == ("olga", "carl")
    with pytest.raises(ConfigError, match="vera has the email"):
        set_provider_identity(store, "carl", email="vera@ngo.example", oidc_subject=None)
    with pytest.raises(ConfigError, match="vera has no password"):
        set_provider_identity(store, "vera", email=None, oidc_subject=None)  # nobody could sign in as vera
    set_provider_identity(store, "vera", email="vera@ngo.example", oidc_subject="f81d4fae")  # her own: allowed
    set_provider_identity(store, "carl", email="", oidc_subject=None)  # cleared: back to password only
    assert {r["name"]: r["email"] for r in user_rows(store)}["carl"] is None
    with pytest.raises(NotFoundError, match="unknown user 'eve'"):
        set_provider_identity(store, "eve", email="eve@ngo.example", oidc_subject=None)
