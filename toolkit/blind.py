"""Blind coding: the one policy that decides whose codings a request may see.

While blind mode is on (and agreement has not been computed since it was turned on) every reader of
codings sees one coder at a time: the CLI export, ``qda report``, the dashboard's coder choice, its
Export page and any notebook calling :func:`toolkit.codings.coding_rows`. Pooled views ("all coders",
"accepted suggestions" from any reviewer) would show one coder another's work, so they are refused.
Every entry point calls :func:`allowed_coders`; none decides for itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from toolkit.errors import BlindModeError
from toolkit.model import AuditEvent, SchemaInfo
from toolkit.store import Store

__all__ = ["allowed_coders", "is_blind"]


def is_blind(store: Store) -> bool:
    """Blind mode is on and no agreement has been computed since it was turned on."""
    with store.read() as session:
        row = session.get(SchemaInfo, "blind")
        if row is None or row.value != "on":
            return False
        turned_on = session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "project.blind").order_by(AuditEvent.id.desc())
        )
        computed = session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "agreement.compute").order_by(AuditEvent.id.desc())
        )
        return computed is None or (turned_on is not None and computed < turned_on)


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
