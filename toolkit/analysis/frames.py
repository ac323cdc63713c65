"""Read a store into the two tidy frames that :mod:`~toolkit.analysis.findings` and :mod:`~toolkit.analysis.plots` use.

This is the only module of the analysis layer that touches the database: everything downstream is a pure
function of the frames, so a notebook, the CLI and the dashboard compute the same numbers and tests need
no store. Use :func:`load_frames` for the codings and case attributes, :func:`load_colours` and
:func:`load_code_names` for the codebook's colours and names that the plots take.

Whose codings count is explicit and never changes behind the researcher's back: the default is the
project's reference coder, set on purpose with :func:`set_reference_coder` (``qda reference NAME``),
else the only coder, else everyone pooled; :func:`choose_coder` says which and why, and every report
prints that reason next to its figures. Importing a coder called ``gold`` changes nothing by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd
from sqlalchemy import select

from toolkit.coding.codings import EXPORT_COLUMNS, coding_rows
from toolkit.errors import NotFoundError
from toolkit.store.engine import Store
from toolkit.store.models import MODEL_CODER, Code, Coder, Document, Project, SchemaInfo

__all__ = [
    "ALL_CODERS_LABEL",
    "DEFAULT_CODER",
    "CoderChoice",
    "choose_coder",
    "coder_label",
    "document_languages",
    "load_code_names",
    "load_colours",
    "load_frames",
    "reference_coder",
    "resolve_coder",
    "set_reference_coder",
    "with_language",
]

DEFAULT_CODER: Final = "reference-coder-default"
"""Sentinel for :func:`load_frames`: the project's reference coder, else the only coder, else everyone."""

ALL_CODERS_LABEL: Final = "all coders"
_REFERENCE_KEY = "reference_coder"


@dataclass(frozen=True)
class CoderChoice:
    """Whose codings count (None: everyone's pooled) and why, in words a report can print."""

    coder: str | None
    reason: str

    @property
    def label(self) -> str:
        """The coder's name, or "all coders"."""
        return coder_label(self.coder)

    def describe(self) -> str:
        """``gold (the project's reference coder)``: the line every figure is printed under."""
        return f"{self.label} ({self.reason})"


def reference_coder(store: Store) -> str | None:
    """The coder the project chose as its reference, if any."""
    with store.read() as session:
        row = session.get(SchemaInfo, _REFERENCE_KEY)
    return row.value if row is not None and row.value else None


def set_reference_coder(store: Store, coder: str | None, actor: str = "system") -> None:
    """Choose (or with None, clear) the coder whose codings reports count by default; audited.

    Raises:
        NotFoundError: the coder does not exist.
    """
    with store.transaction(actor=actor) as tx:
        if coder is not None:
            tx.coder(coder, create=False)
        row = tx.session.get(SchemaInfo, _REFERENCE_KEY)
        before = row.value if row is not None else None
        if row is None:
            row = SchemaInfo(key=_REFERENCE_KEY, value="")
            tx.session.add(row)
        row.value = coder or ""
        tx.audit("project.reference", "project", "", before={"reference": before}, after={"reference": coder})


def choose_coder(store: Store, coder: str | None = DEFAULT_CODER) -> CoderChoice:
    """Whose codings count, and why.

    A named coder counts because they were asked for; None pools everyone. :data:`DEFAULT_CODER` is
    the reference coder chosen with :func:`set_reference_coder`; without one, the only coder, else
    everyone pooled, and the reason says how to choose. Figures from one reference coder are what a
    report can stand behind; pooling counts an interview as soon as anyone coded it.

    Raises:
        NotFoundError: a named coder the store does not have (the message lists the ones it has).

    Example:
        >>> choose_coder(store).describe()  # doctest: +SKIP
        "gold (the project's reference coder, chosen with `qda reference`)"
    """
    with store.read() as session:
        known = list(session.scalars(select(Coder.name).order_by(Coder.name)))
    if coder is None:
        return CoderChoice(None, "everyone's codings pooled, as asked")
    if coder != DEFAULT_CODER:
        if coder not in known:
            raise NotFoundError(f"unknown coder {coder!r} (coders: {', '.join(known) or 'none yet'})")
        return CoderChoice(coder, "as asked")
    chosen = reference_coder(store)
    if chosen is not None and chosen in known:
        return CoderChoice(chosen, "the project's reference coder, chosen with `qda reference`")
    people = [name for name in known if name != MODEL_CODER]  # the model is never "the only coder"
    if len(people) == 1:
        return CoderChoice(people[0], "the only coder; choose a reference coder with `qda reference NAME`")
    return CoderChoice(
        None, "no reference coder is chosen, so everyone's codings are pooled; choose one with `qda reference NAME`"
    )


def resolve_coder(store: Store, coder: str | None = DEFAULT_CODER) -> str | None:
    """The coder whose codings count: a name, or None for everyone's codings pooled (see :func:`choose_coder`)."""
    return choose_coder(store, coder).coder


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

    ``codings`` has the columns of :data:`toolkit.coding.codings.EXPORT_COLUMNS` (document, segment, start,
    end, quote, code, coder, origin), also when there are no codings, so downstream code never checks
    for missing columns. ``cases`` has a ``document`` column and one column per case attribute found on
    any document (missing values are NA); every document is a row, coded or not, because shares are
    fractions of all interviews. The resolved coder's label is in ``codings.attrs["coder"]``, and why
    in ``codings.attrs["coder_reason"]``.

    Args:
        store: An opened store.
        coder: A coder name, None for all coders, or :data:`DEFAULT_CODER` (see :func:`choose_coder`).
        origins: Keep only codings of these origins (e.g. ``["human", "accepted-suggestion"]``); None keeps all.

    Example:
        >>> codings, cases = load_frames(open_store("sqlite:///demo/demo.sqlite"))  # doctest: +SKIP
        >>> codings.attrs["coder"], len(cases)  # doctest: +SKIP
        ('gold', 26)
    """
    choice = choose_coder(store, coder)
    resolved = choice.coder
    rows = coding_rows(store, [resolved] if resolved is not None else None)
    if origins is not None:
        rows = [r for r in rows if r["origin"] in set(origins)]
    codings = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
    codings["segment"] = codings["segment"].astype("Int64")
    codings.attrs["coder"] = coder_label(resolved)
    codings.attrs["coder_reason"] = choice.reason

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


def with_language(cases: pd.DataFrame, languages: dict[str, str]) -> pd.DataFrame:
    """``cases`` with each document's language (``languages``: name -> code) as its second column.

    The language is an attribute like gender for filtering, the matrix and search (a mixed project's
    Russian and English interviews side by side); a case attribute of that name wins: it is the researcher's.
    """
    if "language" in cases.columns:
        return cases
    out = cases.copy()
    out.insert(1, "language", [languages.get(name, "") for name in out["document"]])
    return out


def document_languages(store: Store) -> dict[str, str]:
    """Document name -> its stored language code."""
    with store.read() as session:
        return {name: language for name, language in session.execute(select(Document.name, Document.language))}
