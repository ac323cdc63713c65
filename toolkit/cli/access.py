"""Signing in on the command line, and ``qda users`` (add, list, role, remove, password).

When a store has users (:mod:`toolkit.store.users`), a command that writes as a person or reads raw
text asks :func:`sign_in` first: the user named by ``QDA_USER`` with the password from ``QDA_PASSWORD``
(scripts) or a prompt, a role that allows the action, and ``--coder/--reviewer`` naming that user unless
they are admin. Refusals are one line and exit 2. A store without users behaves as before.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from toolkit.cli.app import open_cli_store, users_app
from toolkit.errors import AccessError, ConfigError
from toolkit.store.engine import Store
from toolkit.store.users import (
    ROLES,
    Identity,
    add_user,
    authenticate,
    authorise,
    remove_user,
    set_password,
    set_provider_identity,
    set_role,
    user_rows,
    users_configured,
)

__all__ = ["act_as", "actor_for", "sign_in"]


def _identity(store: Store) -> Identity:
    name = os.environ.get("QDA_USER", "").strip()
    if not name:
        raise AccessError(
            "this store has users, so sign in first: set QDA_USER to your user name "
            "(the password is asked, or read from QDA_PASSWORD)"
        )
    password = os.environ.get("QDA_PASSWORD")
    if password is None:
        password = typer.prompt(f"Password for {name}", hide_input=True, err=True)
    return authenticate(store, name, password)


def sign_in(store: Store, capability: str, acting_as: str | None = None) -> str | None:
    """The name to act under, after checking who is signed in; ``acting_as`` unchanged when no users exist.

    Also sets ``store.signed_in``, so every audit event of the command names the signed-in user.
    """
    if not users_configured(store):
        return acting_as
    identity = _identity(store)
    name = authorise(identity, capability, acting_as)
    store.signed_in = identity.name
    return name


def act_as(store: Store, capability: str, name: str) -> str:
    """``--coder/--reviewer/--by NAME``: NAME, once the signed-in user may act as NAME (when users exist)."""
    return sign_in(store, capability, name) or name


def actor_for(store: Store, capability: str, actor: str) -> str:
    """For ``--actor`` options whose default is "system": the signed-in user unless another name was given."""
    named = sign_in(store, capability, None if actor == "system" else actor)
    return named or actor


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ConfigError("--password-stdin read an empty line; nothing was changed")
        return password
    return typer.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)


RoleArgument = Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.")]
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin (scripts).")
]


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)} (the first user must be admin).")],
    password_stdin: StdinOption = False,
    email: Annotated[
        str | None,
        typer.Option(help="E-mail the organisation's identity provider signs them in with (OIDC, docs/access.md)."),
    ] = None,
    oidc_subject: Annotated[
        str | None,
        typer.Option(help="Value of the claim named by QDA_OIDC_CLAIM (e.g. sub) that identifies them, instead."),
    ] = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Sign in through the identity provider only (needs --email).")
    ] = False,
) -> None:
    """Add a user who signs in with a password (asked twice, or --password-stdin) and/or through the provider.

    Needs an admin once users exist.
    """
    if no_password and not (email or oidc_subject):
        raise ConfigError("--no-password needs --email or --oidc-subject, or the user could never sign in")
    with open_cli_store() as store:
        actor = actor_for(store, "users", "system")
        password = None if no_password else _new_password(password_stdin)
        add_user(store, name, role, password, email=email, oidc_subject=oidc_subject, actor=actor)
    typer.echo(f"user {name} added as {role}" + (f" ({email})" if email else ""))


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False) -> None:
    """List users and their roles (never their password hashes)."""
    with open_cli_store() as store:
        actor_for(store, "users", "system")
        rows = user_rows(store)
    for row in rows:
        line = f"{row['name']:<20} {row['role']:<9} {row['email'] or ''}".rstrip()
        typer.echo(json.dumps(row) if as_json else line)
    if not rows and not as_json:
        typer.echo("no users: anyone who can open the store acts as anyone (see docs/access.md)")


@users_app.command("role")
def users_role(name: str, role: RoleArgument) -> None:
    """Change a user's role (the last admin stays admin)."""
    with open_cli_store() as store:
        set_role(store, name, role, actor=actor_for(store, "users", "system"))
    typer.echo(f"user {name} is now {role}")


@users_app.command("email")
def users_email(
    name: str,
    email: Annotated[
        str | None, typer.Argument(help="Their e-mail at the identity provider; omit to clear it.")
    ] = None,
    oidc_subject: Annotated[
        str | None,
        typer.Option(help='Value of the claim named by QDA_OIDC_CLAIM (e.g. sub) that identifies them; "" clears it.'),
    ] = None,
) -> None:
    """Give an existing user the e-mail (and/or OIDC subject) they sign in with through the provider.

    Needs an admin once users exist. Without EMAIL the e-mail is cleared; a user with no password keeps one.
    """
    with open_cli_store() as store:
        actor = actor_for(store, "users", "system")
        current = next((row for row in user_rows(store) if row["name"] == name), None)
        subject = oidc_subject if oidc_subject is not None else (current or {}).get("oidc_subject")
        set_provider_identity(store, name, email=email, oidc_subject=subject, actor=actor)
    typer.echo(f"user {name} signs in through the provider as {email}" if email else f"e-mail of {name} cleared")


@users_app.command("remove")
def users_remove(name: str) -> None:
    """Remove a user; their codings stay under their coder name (the last admin cannot be removed)."""
    with open_cli_store() as store:
        remove_user(store, name, actor=actor_for(store, "users", "system"))
    typer.echo(f"user {name} removed")


@users_app.command("password")
def users_password(name: str, password_stdin: StdinOption = False) -> None:
    """Set a user's password: your own as any user, anyone's as admin."""
    with open_cli_store() as store:
        if users_configured(store):
            identity = _identity(store)
            if identity.name != name:
                authorise(identity, "users")
            store.signed_in = identity.name
            actor = identity.name
        else:
            actor = "system"
        set_password(store, name, _new_password(password_stdin), actor=actor)
    typer.echo(f"password of {name} changed")
