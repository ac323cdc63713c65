"""Users, roles and passwords (toolkit.store.users): hashes, sign-in, roles, the last admin, the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from toolkit.errors import AccessError, ConfigError
from toolkit.store.models import AuditEvent, Coder, User
from toolkit.store.users import (
    ROLES,
    Identity,
    add_user,
    authenticate,
    authorise,
    hash_password,
    remove_user,
    set_password,
    set_role,
    user_rows,
    users_configured,
    verify_password,
)


def test_users_hash_is_salted_and_verifies_only_the_password():
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two  # a salt per hash: equal passwords do not give equal hashes
    assert one.startswith("scrypt$") and "correct horse" not in one
    assert verify_password("correct horse", one) and verify_password("correct horse", two)
    assert not verify_password("correct hors", one)
    assert not verify_password("correct horse", "md5$whatever")
    assert not verify_password("correct horse", "not a hash")


def test_users_roles_are_ordered_and_capabilities_follow():
    assert ROLES == ("viewer", "coder", "reviewer", "admin")
    allowed = {
        role: {
            c
            for c in ("read", "code", "review", "raw", "identifiers", "users", "project")
            if Identity("x", role).may(c)
        }
        for role in ROLES
    }
    assert allowed["viewer"] == {"read"}
    assert allowed["coder"] == {"read", "code"}
    assert allowed["reviewer"] == {"read", "code", "review"}
    assert allowed["admin"] == {"read", "code", "review", "raw", "identifiers", "users", "project"}


def test_users_sign_in_and_wrong_password_say_the_same_for_unknown_names(store):
    assert not users_configured(store)
    add_user(store, "olga", "admin", "a long passphrase")
    add_user(store, "bob", "coder", "bobs password", actor="olga")
    assert users_configured(store)
    assert authenticate(store, "bob", "bobs password") == Identity("bob", "coder")
    with pytest.raises(AccessError) as wrong:
        authenticate(store, "bob", "not bobs password")
    with pytest.raises(AccessError) as unknown:
        authenticate(store, "nobody", "bobs password")
    assert str(wrong.value) == str(unknown.value) == "[E150] wrong user name or password"


def test_users_are_coders_except_viewers_and_hashes_stay_out_of_the_audit_trail(store):
    add_user(store, "olga", "admin", "a long passphrase")
    add_user(store, "vera", "viewer", "veras password", actor="olga")
    add_user(store, "bob", "coder", "bobs password", actor="olga")
    with store.read() as session:
        coders = set(session.scalars(select(Coder.name)))
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "user")).all()
        stored = session.scalar(select(User.password_hash).where(User.name == "bob"))
    assert {"olga", "bob"} <= coders and "vera" not in coders
    assert [(e.actor, e.action, e.entity_id) for e in events][-2:] == [
        ("olga", "user.add", "vera"),
        ("olga", "user.add", "bob"),
    ]
    assert all(stored not in str(e.after) and "bobs password" not in str(e.after) for e in events)
    assert [r["name"] for r in user_rows(store)] == ["bob", "olga", "vera"]
    assert all("password_hash" not in r for r in user_rows(store))


def test_users_first_is_admin_last_admin_stays_and_passwords_have_a_length(store):
    with pytest.raises(ConfigError, match="first user must be an admin"):
        add_user(store, "bob", "coder", "bobs password")
    with pytest.raises(ConfigError, match="at least 8"):
        add_user(store, "olga", "admin", "short")
    with pytest.raises(ConfigError, match="unknown role"):
        add_user(store, "olga", "owner", "a long passphrase")
    assert not users_configured(store)
    add_user(store, "olga", "admin", "a long passphrase")
    with pytest.raises(ConfigError, match="only admin"):
        set_role(store, "olga", "coder")
    with pytest.raises(ConfigError, match="only admin"):
        remove_user(store, "olga")
    with pytest.raises(ConfigError, match="exists already"):
        add_user(store, "olga", "admin", "another passphrase")
    add_user(store, "ines", "viewer", "ines password")
    set_role(store, "ines", "admin")
    set_role(store, "olga", "reviewer")
    assert authenticate(store, "olga", "a long passphrase").role == "reviewer"
    set_password(store, "olga", "a new passphrase")
    with pytest.raises(AccessError):
        authenticate(store, "olga", "a long passphrase")
    assert authenticate(store, "olga", "a new passphrase").name == "olga"
    remove_user(store, "olga")
    with pytest.raises(AccessError):
        authenticate(store, "olga", "a new passphrase")


def test_users_authorise_refuses_low_roles_and_acting_as_someone_else():
    bob, olga, vera = Identity("bob", "coder"), Identity("olga", "admin"), Identity("vera", "viewer")
    assert authorise(bob, "code", "bob") == "bob"
    assert authorise(bob, "code") == "bob"
    with pytest.raises(AccessError, match="cannot act as alice"):
        authorise(bob, "code", "alice")
    with pytest.raises(AccessError, match="needs the reviewer role"):
        authorise(bob, "review", "bob")
    with pytest.raises(AccessError, match="needs the coder role"):
        authorise(vera, "code", "vera")
    assert authorise(olga, "code", "alice") == "alice"  # an admin may act for a coder; the trail names both


def test_users_audit_names_the_admin_acting_for_a_coder(store):
    add_user(store, "olga", "admin", "a long passphrase")
    store.signed_in = "olga"
    with store.transaction(actor="alice") as tx:
        tx.audit("memo.add", "memo", 1, after={"text": "x"})
    with store.transaction(actor="olga") as tx:
        tx.audit("memo.add", "memo", 2, after={"text": "y"})
    with store.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "memo").order_by(AuditEvent.id)).all()
    assert (events[0].actor, events[0].after) == ("alice", {"text": "x", "signed_in": "olga"})
    assert (events[1].actor, events[1].after) == ("olga", {"text": "y"})
