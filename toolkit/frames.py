"""Read a store into the two tidy frames that :mod:`toolkit.analysis` and :mod:`toolkit.plots` work on.

This is the only module of the analysis layer that touches the database: everything downstream is a pure
function of the frames, so a notebook, the CLI and the dashboard compute the same numbers and tests need
no store. Use :func:`load_frames` for the codings and case attributes, :func:`load_colours` and
:func:`load_code_names` for the codebook's colours and names that the plots take.

Whose codings count is explicit: the default picks the reference coder (``gold``, else ``consensus``),
and :func:`coder_label` turns the choice into the words a report prints next to its figures.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
from sqlalchemy import select

from toolkit.codings import EXPORT_COLUMNS, coding_rows
from toolkit.errors import NotFoundError
from toolkit.model import Code, Coder, Document, Project
from toolkit.store import Store

__all__ = [
    "ALL_CODERS_LABEL",
    "DEFAULT_CODER",
    "REFERENCE_CODERS",
    "coder_label",
    "load_code_names",
    "load_colours",
    "load_frames",
    "resolve_coder",
]

DEFAULT_CODER: Final = "gold-or-consensus-default"
"""Sentinel for :func:`load_frames`: the first of :data:`REFERENCE_CODERS` the store has, else the only coder."""

REFERENCE_CODERS: Final = ("gold", "consensus")
"""Coder names that hold agreed reference codings, in order of preference."""

ALL_CODERS_LABEL: Final = "all coders"


def resolve_coder(store: Store, coder: str | None = DEFAULT_CODER) -> str | None:
    """The coder whose codings count: a name, or None for everyone's codings pooled.

    Figures from one reference coder are what a report can stand behind; pooling coders counts an
    interview as soon as anyone coded it, which is useful while coding is under way but must be said.
    :data:`DEFAULT_CODER` resolves to ``gold`` or ``consensus`` when present, else to the single coder
    of the store, else to None (all coders).

    Raises:
        NotFoundError: a named coder the store does not have (the message lists the ones it has).

    Example:
        >>> resolve_coder(store)  # doctest: +SKIP
        'gold'
    """
    with store.read() as session:
        known = list(session.scalars(select(Coder.name).order_by(Coder.name)))
    if coder is None:
        return None
    if coder == DEFAULT_CODER:
        for name in REFERENCE_CODERS:
            if name in known:
                return name
        return known[0] if len(known) == 1 else None
    if coder not in known:
        raise NotFoundError(f"unknown coder {coder!r} (coders: {', '.join(known) or 'none yet'})")
    return coder


def coder_label(coder: str | None) -> str:
    """Words for a report saying whose codings its figures count (``None`` means all coders)."""
    return ALL_CODERS_LABEL if coder is None else coder


def load_frames(
    store: Store,
    coder: str | None = DEFAULT_CODER,
    *,
    origins: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The store as ``(codings, cases)``: one row per coding, one row per document.

    ``codings`` has the columns of :data:`toolkit.codings.EXPORT_COLUMNS` (document, segment, start,
    end, quote, code, coder, origin), also when there are no codings, so downstream code never checks
    for missing columns. ``cases`` has a ``document`` column and one column per case attribute found on
    any document (missing values are NA); every document is a row, coded or not, because shares are
    fractions of all interviews. The resolved coder's label is in ``codings.attrs["coder"]``.

    Args:
        store: An opened store.
        coder: A coder name, None for all coders, or :data:`DEFAULT_CODER` (see :func:`resolve_coder`).
        origins: Keep only codings of these origins (e.g. ``["human", "accepted-suggestion"]``); None keeps all.

    Example:
        >>> codings, cases = load_frames(open_store("sqlite:///demo/demo.sqlite"))  # doctest: +SKIP
        >>> codings.attrs["coder"], len(cases)  # doctest: +SKIP
        ('gold', 26)
    """
    resolved = resolve_coder(store, coder)
    rows = coding_rows(store, [resolved] if resolved is not None else None)
    if origins is not None:
        rows = [r for r in rows if r["origin"] in set(origins)]
    codings = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
    codings["segment"] = codings["segment"].astype("Int64")
    codings.attrs["coder"] = coder_label(resolved)

    with store.read() as session:
        project = session.scalar(select(Project).order_by(Project.id))
        query = select(Document.name, Document.attributes).order_by(Document.name)
        if project is not None:
            query = query.where(Document.project_id == project.id)
        documents = session.execute(query).all()
    attribute_names: list[str] = []
    for _name, attributes in documents:
        for key in attributes or {}:
            if key not in attribute_names and key != "document":
                attribute_names.append(key)
    cases = pd.DataFrame(
        [
            {"document": name, **{k: (attributes or {}).get(k) for k in attribute_names}}
            for name, attributes in documents
        ],
        columns=["document", *attribute_names],
    )
    return codings, cases


def load_colours(store: Store) -> dict[str, str]:
    """Code id -> ``#rrggbb`` from the codebook, so every chart shows a code in the same colour."""
    with store.read() as session:
        return dict(session.execute(select(Code.id, Code.colour).order_by(Code.id)).all())


def load_code_names(store: Store) -> dict[str, str]:
    """Code id -> display name from the codebook, for axis and legend labels."""
    with store.read() as session:
        return dict(session.execute(select(Code.id, Code.name).order_by(Code.id)).all())
