"""Users, roles and passwords: who may sign in to the dashboard and the CLI, and what each role may do.

Users live in the project's store (table ``users``, migration 0010), not in a separate users file: a team
on PostgreSQL then shares one list of users with one dashboard and every coder's CLI, a user added or
demoted is seen by all at once, and every change to the list is an audited transaction like any other
(``user.add``, ``user.role``, ``user.remove``, ``user.password``; the hash itself never enters the trail).
The price: whoever holds the database file or its credentials can edit the table, which is why a team
keeps the database on a server and coders use the dashboard (``docs/access.md``).

Passwords are hashed with scrypt (:func:`hashlib.scrypt`, standard library, memory-hard) and a random
16-byte salt per user; the stored string names its parameters (``scrypt$16384$8$1$salt$hash``) so they can
be raised later without breaking old hashes. Checking compares in constant time
(:func:`hmac.compare_digest`), and a name that does not exist costs the same hash as a wrong password, so
neither the answer nor its timing says whether a name exists.

A user may also sign in through the organisation's own identity provider (OIDC, Streamlit's ``st.login``,
``docs/access.md``): the provider says who they are, the store says what they may do. The claims the
provider returned are matched to a user by :func:`match_oidc_user` (a pure function: by e-mail, or by a
configured claim such as ``sub`` against ``oidc_subject``); :func:`identity_from_oidc` does it against the
store and audits an identity that matches no user (``user.oidc_refused``).

Roles, least to most access (:data:`ROLES`); each includes the ones before it:

========  =====================================================================
viewer    findings, quotes and transcripts, de-identified (the pseudonyms)
coder     + coding: code, uncode, recode, memos, codebook edits, undo
reviewer  + the review queue and agreement
admin     + raw text, the identifier mapping and its review, users
========  =====================================================================

A user with role coder or above is also the coder of the same name (registered when added), so what a
user codes is recorded under their own name. Which function to use: :func:`authenticate` to sign in,
:func:`authorise` before an action (it also refuses acting as someone else unless admin),
:func:`users_configured` to know whether sign-in applies at all (no users: one researcher on their own
machine, everything allowed, as before).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from toolkit.errors import AccessError, ConfigError, NotFoundError
from toolkit.store.engine import Store
from toolkit.store.models import USER_ROLES, User

__all__ = [
    "CAPABILITIES",
    "MIN_PASSWORD",
    "ROLES",
    "Identity",
    "add_user",
    "authenticate",
    "authorise",
    "find_identity",
    "hash_password",
    "identity_from_oidc",
    "match_oidc_user",
    "normalise_email",
    "remove_user",
    "set_password",
    "set_provider_identity",
    "set_role",
    "user_rows",
    "users_configured",
    "verify_password",
]

ROLES = USER_ROLES
"""``viewer < coder < reviewer < admin``."""

CAPABILITIES: dict[str, str] = {
    "read": "viewer",  # findings, de-identified quotes and transcripts
    "code": "coder",  # hand coding, memos, codebook edits, undo of one's own coding
    "review": "reviewer",  # the review queue, agreement, consensus
    "raw": "admin",  # text as imported (audited)
    "identifiers": "admin",  # the identifier mapping, reviewing detections, withdrawal
    "users": "admin",  # adding, removing, changing users
    "project": "admin",  # importing transcripts and attributes, blind mode, languages, the embedding model
}
"""The least role each capability needs."""

MIN_PASSWORD = 8
"""Fewest characters of a password."""

_N, _R, _P = 2**14, 8, 1  # scrypt interactive-login parameters: 16 MiB, ~0.1 s per check on a loaded 2-core machine
_PREFIX = "scrypt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted scrypt hash of ``password``, with its parameters, ready to store.

    Example:
        >>> verify_password("correct horse", hash_password("correct horse"))
        True
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"{_PREFIX}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password` (constant-time comparison)."""
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != _PREFIX:
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY_HASH = hash_password("not a password of anyone", salt=b"\0" * 16)
NO_PASSWORD = "!"
"""The hash of a user who signs in only through the identity provider: no password ever matches it."""


@dataclass(frozen=True)
class Identity:
    """Someone signed in: their name (also their coder name) and role."""

    name: str
    role: str

    def may(self, capability: str) -> bool:
        """Whether this role includes ``capability`` (a key of :data:`CAPABILITIES`)."""
        return ROLES.index(self.role) >= ROLES.index(CAPABILITIES[capability])


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters; nothing was changed")
    return password


def users_configured(store: Store) -> bool:
    """Whether any user exists: then every action needs someone signed in with a role that allows it."""
    with store.read() as session:
        return bool(session.scalar(select(func.count()).select_from(User)))


def user_rows(store: Store) -> list[dict[str, Any]]:
    """Every user: name, role, e-mail, OIDC subject and when added (never the hash), by name."""
    with store.read() as session:
        return [
            {
                "name": u.name,
                "role": u.role,
                "email": u.email,
                "oidc_subject": u.oidc_subject,
                "created_at": u.created_at.isoformat(),
            }
            for u in session.scalars(select(User).order_by(User.name))
        ]


def normalise_email(email: str | None) -> str | None:
    """``email`` stripped and lower-cased (providers differ in case), None when empty; checked for one ``@``."""
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or any(c.isspace() for c in email):
        raise ConfigError(f"{email!r} is not an e-mail address (expected name@domain)")
    return email


def add_user(
    store: Store,
    name: str,
    role: str,
    password: str | None,
    *,
    email: str | None = None,
    oidc_subject: str | None = None,
    actor: str = "system",
) -> None:
    """Add a user; the first one must be an admin (someone has to be able to manage the others).

    A coder, reviewer or admin is also registered as the coder of the same name. ``email`` or
    ``oidc_subject`` let them sign in through the identity provider; with one of them, ``password`` may
    be None (no password sign-in at all).

    Example:
        >>> add_user(store, "olga", "admin", "a long passphrase")  # doctest: +SKIP
        >>> add_user(store, "vera", "viewer", None, email="vera@example.org")  # doctest: +SKIP
    """
    name = name.strip()
    if not name:
        raise ConfigError("a user needs a name")
    _check_role(role)
    email = normalise_email(email)
    oidc_subject = (oidc_subject or "").strip() or None
    if password is None and email is None and oidc_subject is None:
        raise ConfigError(f"{name} needs a password, or an e-mail (or OIDC subject) to sign in with the provider")
    if password is not None:
        _check_password(password)
    with store.transaction(actor=actor) as tx:
        if tx.session.scalar(select(User).where(User.name == name)) is not None:
            raise ConfigError(f"user {name!r} exists already; change it with `qda users role` or `qda users password`")
        if role != "admin" and not tx.session.scalar(select(func.count()).select_from(User)):
            raise ConfigError(
                f"the first user must be an admin (who can then add the others); add {name} with --role admin"
            )
        _check_unused(tx.session, name, email=email, oidc_subject=oidc_subject)
        hashed = hash_password(password) if password is not None else NO_PASSWORD
        tx.session.add(User(name=name, role=role, password_hash=hashed, email=email, oidc_subject=oidc_subject))
        if role != "viewer":
            tx.coder(name)
        after = {"name": name, "role": role, "email": email, "oidc_subject": oidc_subject}
        tx.audit("user.add", "user", name, after={k: v for k, v in after.items() if v is not None})


def _check_unused(session: Any, name: str, **identifiers: str | None) -> None:
    """Refuse an e-mail or OIDC subject that another user has: the provider must name one person."""
    for column, value in identifiers.items():
        holder = value and session.scalar(select(User.name).where(getattr(User, column) == value, User.name != name))
        if holder:
            what = column.replace("_", " ")
            raise ConfigError(f"{holder} has the {what} {value!r} already; one person, one user")


def set_provider_identity(
    store: Store, name: str, *, email: str | None, oidc_subject: str | None, actor: str = "system"
) -> None:
    """Give an existing user the e-mail and/or OIDC subject their identity provider signs them in with.

    None (or "") clears one. A user with no password keeps at least one of them, or nobody could sign in
    as them any more.
    """
    email = normalise_email(email or None)
    oidc_subject = (oidc_subject or "").strip() or None
    with store.transaction(actor=actor) as tx:
        user = _user(tx.session, name)
        if user.password_hash == NO_PASSWORD and email is None and oidc_subject is None:
            raise ConfigError(
                f"{name} has no password, so they need an e-mail or OIDC subject; set a password first "
                "(`qda users password`) to sign in without the provider"
            )
        _check_unused(tx.session, name, email=email, oidc_subject=oidc_subject)
        before = {"email": user.email, "oidc_subject": user.oidc_subject}
        user.email, user.oidc_subject = email, oidc_subject
        tx.audit("user.identity", "user", name, before=before, after={"email": email, "oidc_subject": oidc_subject})


def _user(session: Any, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        known = ", ".join(session.scalars(select(User.name).order_by(User.name))) or "none yet"
        raise NotFoundError(f"unknown user {name!r} (users: {known})")
    return user


def _admins_left(session: Any, without: str) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.name != without))


def set_role(store: Store, name: str, role: str, *, actor: str = "system") -> None:
    """Change a user's role; the last admin cannot be demoted."""
    _check_role(role)
    with store.transaction(actor=actor) as tx:
        user = _user(tx.session, name)
        if user.role == "admin" and role != "admin" and not _admins_left(tx.session, name):
            raise ConfigError(f"{name} is the only admin; make someone else admin first")
        before = user.role
        user.role = role
        if role != "viewer":
            tx.coder(name)
        tx.audit("user.role", "user", name, before={"role": before}, after={"role": role})


def remove_user(store: Store, name: str, *, actor: str = "system") -> None:
    """Remove a user (their codings stay, under their coder name); the last admin cannot be removed."""
    with store.transaction(actor=actor) as tx:
        user = _user(tx.session, name)
        if user.role == "admin" and not _admins_left(tx.session, name):
            raise ConfigError(f"{name} is the only admin; make someone else admin first")
        tx.session.delete(user)
        tx.audit("user.remove", "user", name, before={"name": name, "role": user.role})


def set_password(store: Store, name: str, password: str, *, actor: str = "system") -> None:
    """Give a user a new password (audited without the password or its hash)."""
    _check_password(password)
    with store.transaction(actor=actor) as tx:
        _user(tx.session, name).password_hash = hash_password(password)
        tx.audit("user.password", "user", name)


def find_identity(store: Store, name: str) -> Identity | None:
    """The user's current identity (role as stored now), or None when there is no such user any more."""
    with store.read() as session:
        user = session.scalar(select(User).where(User.name == name))
        return Identity(user.name, user.role) if user is not None else None


def authenticate(store: Store, name: str, password: str) -> Identity:
    """Sign in: the user's identity, or an :class:`AccessError` that never says whether the name exists."""
    with store.read() as session:
        user = session.scalar(select(User).where(User.name == name.strip()))
    if user is None or user.password_hash == NO_PASSWORD:  # the same cost as a wrong password
        verify_password(password, _DUMMY_HASH)
        raise AccessError("wrong user name or password")
    if not verify_password(password, user.password_hash):
        raise AccessError("wrong user name or password")
    return Identity(user.name, user.role)


def authorise(identity: Identity, capability: str, acting_as: str | None = None) -> str:
    """Refuse what ``identity``'s role does not allow; return the name to act under.

    ``acting_as`` is the coder or reviewer named on the command line: only an admin may act as someone
    else (the audit trail then records both). Without it the identity's own name is returned.
    """
    if not identity.may(capability):
        raise AccessError(
            f"{identity.name} is a {identity.role}; this needs the {CAPABILITIES[capability]} role or above "
            "(an admin can change it: `qda users role`)"
        )
    if acting_as is not None and acting_as != identity.name and identity.role != "admin":
        raise AccessError(
            f"signed in as {identity.name}, so you cannot act as {acting_as}; name yourself ({identity.name}) instead"
        )
    return acting_as or identity.name


def match_oidc_user(
    claims: Mapping[str, Any], users: Sequence[Mapping[str, Any]], claim: str | None = None
) -> Mapping[str, Any] | None:
    """The user (a row of :func:`user_rows`) whom the provider's ``claims`` name, or None.

    Without ``claim``, by e-mail (case ignored), and only when the provider has not said the address is
    unverified (``email_verified`` false: anyone can type any address into some providers). With
    ``claim`` (e.g. ``sub``, ``preferred_username``), its value against the users' ``oidc_subject``.
    Nobody is matched unless ``is_logged_in`` is true.

    Example:
        >>> users = [{"name": "vera", "role": "viewer", "email": "vera@example.org", "oidc_subject": None}]
        >>> match_oidc_user({"is_logged_in": True, "email": "Vera@Example.org"}, users)["name"]
        'vera'
        >>> match_oidc_user({"is_logged_in": True, "email": "vera@example.org", "email_verified": False}, users)
    """
    if not claims.get("is_logged_in"):
        return None
    if claim:
        value = str(claims.get(claim) or "").strip()
        return next((u for u in users if value and u.get("oidc_subject") == value), None)
    if claims.get("email_verified") is False:
        return None
    try:
        email = normalise_email(str(claims.get("email") or ""))
    except ConfigError:
        return None
    return next((u for u in users if email and u.get("email") == email), None)


def identity_from_oidc(
    store: Store, claims: Mapping[str, Any], claim: str | None = None, *, audit_refusal: bool = True
) -> Identity | None:
    """The identity of the user the provider's ``claims`` name (role as stored now), or None.

    A signed-in provider identity that matches no user is refused and, with ``audit_refusal``, recorded
    as ``user.oidc_refused`` with the claim that was tried (the dashboard records it once per session).
    """
    user = match_oidc_user(claims, user_rows(store), claim)
    if user is not None:
        return Identity(str(user["name"]), str(user["role"]))
    if claims.get("is_logged_in") and audit_refusal:
        key = claim or "email"
        tried = str(claims.get(key) or "")[:320]
        with store.transaction(actor="system") as tx:
            tx.audit("user.oidc_refused", "user", tried or "(none)", after={"claim": key, "value": tried})
    return None
