"""Blind coding: the one policy that decides whose codings a request may see.

While blind mode is on (computing agreement turns it off, in the same transaction) every reader of
codings sees one coder at a time: the CLI export, ``qda report``, the dashboard's coder choice, its
Export page and any notebook calling :func:`toolkit.coding.codings.coding_rows`. Pooled views ("all coders",
"accepted suggestions" from any reviewer) would show one coder another's work, so they are refused.
Every entry point calls :func:`allowed_coders`; none decides for itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from toolkit.errors import BlindModeError
from toolkit.store.engine import Store, Transaction
from toolkit.store.models import Project

__all__ = ["allowed_coders", "is_blind", "record_blind", "set_blind"]


def is_blind(store: Store) -> bool:
    """Blind mode is on (computing agreement turns it off: the moment coders may compare)."""
    with store.read() as session:
        project = session.scalar(select(Project).order_by(Project.id))
        return bool(project is not None and project.blind)


def set_blind(store: Store, blind: bool, actor: str = "system", reason: str = "") -> None:
    """Turn blind coding on or off for the project (audited, with the reason when there is one)."""
    with store.transaction(actor=actor) as tx:
        record_blind(tx, blind, reason)


def record_blind(tx: Transaction, blind: bool, reason: str = "") -> None:
    """:func:`set_blind` inside a transaction that does more (computing agreement ends blind mode)."""
    project = tx.project()
    before = "on" if project.blind else "off"
    project.blind = blind
    after: dict[str, str] = {"blind": "on" if blind else "off"}
    if reason:
        after["reason"] = reason
    tx.audit("project.blind", "project", project.id, before={"blind": before}, after=after)


def allowed_coders(store: Store, requested: Iterable[str] | None) -> list[str] | None:
    """The coders a request may read: ``requested`` as given (None = everyone) unless blind mode forbids it.

    Raises:
        BlindModeError: blind mode is on and the request is not exactly one coder.

    Example:
        >>> allowed_coders(store, ["bob"])  # doctest: +SKIP
        ['bob']
    """
    names = None if requested is None else list(dict.fromkeys(requested))
    if not is_blind(store):
        return names or None
    if names is None or len(names) != 1:
        raise BlindModeError(
            "blind mode is on: each coder sees only their own codings until agreement is computed; "
            "name exactly one coder (yourself), or run `qda agreement` / `qda blind off`"
        )
    return names
