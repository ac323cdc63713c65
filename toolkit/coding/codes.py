"""The code tree and what a researcher does to codes: create, rename, recolour, edit, move, merge, export.

Codes have fixed ids (codings, suggestions and exports refer to them), so *rename* changes the display
name, and *merge* moves everything attached to one code onto another before the first goes. Each change
is one transaction with one audit event (before and after), like every other human action
(:mod:`toolkit.coding.review`). :func:`export_codebook` writes the store's codebook back to YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from toolkit.errors import CodebookError, NotFoundError
from toolkit.io.codebook_writer import dump_codebook
from toolkit.io.codebook_yaml import _CODE_ID, CodebookSpec, CodeSpec
from toolkit.store.engine import Store, Transaction, changed_rows
from toolkit.store.models import Code, Codebook, Coding, Memo, Review, Suggestion

__all__ = [
    "TreeRow",
    "code_tree",
    "create_code",
    "edit_code",
    "export_codebook",
    "merge_codes",
    "move_code",
    "recolour_code",
    "rename_code",
]

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_EDITABLE = ("definition", "include", "exclude", "examples", "keywords")


@dataclass(frozen=True)
class TreeRow:
    """One code in tree order: its depth (0 = top level) and the code's fields."""

    depth: int
    id: str
    name: str
    colour: str
    parent: str | None
    group: str
    definition: str


def _snapshot(code: Code) -> dict[str, Any]:
    return {
        "name": code.name,
        "colour": code.colour,
        "parent": code.parent_id,
        "definition": code.definition,
        "include": list(code.include or []),
        "exclude": list(code.exclude or []),
        "examples": list(code.examples or []),
        "keywords": list(code.keywords or []),
    }


def _get(tx: Transaction, code_id: str) -> Code:
    code = tx.session.get(Code, code_id)
    if code is None:
        raise NotFoundError(f"unknown code {code_id!r}; see `qda codebook list`")
    return code


def code_tree(store: Store) -> list[TreeRow]:
    """Every code once, parents before their children, siblings by id; depth counts the ancestors.

    A parent cycle cannot be stored through this module (:func:`move_code` refuses one); if a loaded file
    made one, its codes still show, at the top level.
    """
    with store.read() as session:
        codes = list(session.scalars(select(Code).order_by(Code.id)))
    by_id = {c.id: c for c in codes}
    children: dict[str | None, list[Code]] = {}
    for code in codes:
        parent = code.parent_id if code.parent_id in by_id else None
        children.setdefault(parent, []).append(code)
    out: list[TreeRow] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for code in children.get(parent, []):
            if code.id in seen:
                continue
            seen.add(code.id)
            out.append(TreeRow(depth, code.id, code.name, code.colour, code.parent_id, code.group, code.definition))
            walk(code.id, depth + 1)

    walk(None, 0)
    for code in codes:  # codes in a cycle have no root above them
        if code.id not in seen:
            seen.add(code.id)
            out.append(TreeRow(0, code.id, code.name, code.colour, code.parent_id, code.group, code.definition))
            walk(code.id, 1)
    return out


def create_code(
    store: Store,
    actor: str,
    code_id: str,
    name: str,
    definition: str,
    *,
    parent: str | None = None,
    colour: str = "#888888",
    examples: list[str] | None = None,
    codebook: str | None = None,
) -> None:
    """Add a new code; it joins ``codebook`` (default: the store's only codebook) so an export carries it.

    Raises:
        CodebookError: a bad id or colour, an empty definition, an id in use, or an unknown parent.
    """
    if not _CODE_ID.match(code_id):
        raise CodebookError(f"{code_id!r} is not a code id (lower case, dots between levels, e.g. root_cause.family)")
    if not definition.strip():
        raise CodebookError(f"code {code_id!r} needs a definition")
    if not _COLOUR.match(colour):
        raise CodebookError(f"{colour!r} is not a colour; use #RRGGBB")
    with store.transaction(actor=actor) as tx:
        if tx.session.get(Code, code_id) is not None:
            raise CodebookError(f"code {code_id!r} exists already")
        if parent:
            _get(tx, parent)
        books = list(tx.session.scalars(select(Codebook.id)))
        book = codebook or (books[0] if len(books) == 1 else None)
        if book is not None and book not in books:
            raise NotFoundError(f"no codebook {book!r}")
        code = Code(
            id=code_id,
            codebook_id=book,
            group=code_id.split(".")[0],
            name=name.strip() or code_id,
            definition=" ".join(definition.split()),
            colour=colour.lower(),
            parent_id=parent or None,
            include=[],
            exclude=[],
            examples=[e.strip() for e in examples or [] if e.strip()],
            keywords=[],
        )
        tx.session.add(code)
        tx.audit("code.create", "code", code_id, after=_snapshot(code))


def rename_code(store: Store, actor: str, code_id: str, name: str) -> None:
    """Change a code's display name (its id stays, so codings stay attached)."""
    if not name.strip():
        raise CodebookError("a code needs a name")
    with store.transaction(actor=actor) as tx:
        code = _get(tx, code_id)
        before = code.name
        code.name = name.strip()
        tx.audit("code.rename", "code", code_id, before={"name": before}, after={"name": code.name})


def recolour_code(store: Store, actor: str, code_id: str, colour: str) -> None:
    """Give a code another ``#rrggbb`` colour."""
    if not _COLOUR.match(colour):
        raise CodebookError(f"{colour!r} is not a colour; use #RRGGBB")
    with store.transaction(actor=actor) as tx:
        code = _get(tx, code_id)
        before = code.colour
        code.colour = colour.lower()
        tx.audit("code.recolour", "code", code_id, before={"colour": before}, after={"colour": code.colour})


def edit_code(store: Store, actor: str, code_id: str, **fields: Any) -> None:
    """Change a code's definition and/or its include, exclude, examples or keywords lists.

    Raises:
        CodebookError: an unknown field, an empty definition, or a list that is not a list of texts.
    """
    unknown = sorted(set(fields) - set(_EDITABLE))
    if unknown:
        raise CodebookError(f"cannot edit {unknown[0]!r}; editable: {', '.join(_EDITABLE)}")
    with store.transaction(actor=actor) as tx:
        code = _get(tx, code_id)
        before = _snapshot(code)
        for key, value in fields.items():
            if key == "definition":
                if not str(value).strip():
                    raise CodebookError(f"code {code_id!r} needs a definition")
                code.definition = " ".join(str(value).split())
                continue
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise CodebookError(f"{key} must be a list of texts")
            setattr(code, key, [v.strip() for v in value if v.strip()])
        tx.audit("code.edit", "code", code_id, before=before, after=_snapshot(code))


def move_code(store: Store, actor: str, code_id: str, parent: str | None) -> None:
    """Put a code under another (``None``: to the top level); a code never goes under its own descendant."""
    with store.transaction(actor=actor) as tx:
        code = _get(tx, code_id)
        if parent is not None:
            ancestor: Code | None = _get(tx, parent)
            while ancestor is not None:
                if ancestor.id == code_id:
                    raise CodebookError(f"cannot move {code_id!r} under {parent!r}: {parent!r} is inside it")
                ancestor = tx.session.get(Code, ancestor.parent_id) if ancestor.parent_id else None
        before = code.parent_id
        code.parent_id = parent
        tx.audit("code.move", "code", code_id, before={"parent": before}, after={"parent": parent})


def merge_codes(store: Store, actor: str, source: str, target: str) -> dict[str, int]:
    """Fold ``source`` into ``target``: its codings, suggestions, reviews, memos and child codes move, then it goes.

    A coding that would duplicate one the same coder already has with ``target`` on the same span is
    dropped (the audit event counts it). Returns the counts moved.

    Raises:
        CodebookError: source and target are the same, or target lies under source.
    """
    if source == target:
        raise CodebookError("a code cannot be merged into itself")
    with store.transaction(actor=actor) as tx:
        code = _get(tx, source)
        into = _get(tx, target)
        ancestor: Code | None = into
        while ancestor is not None:
            if ancestor.parent_id == source:
                raise CodebookError(f"cannot merge {source!r} into {target!r}, which is inside it")
            ancestor = tx.session.get(Code, ancestor.parent_id) if ancestor.parent_id else None
        before = {"source": _snapshot(code), "target": target}
        kept = {
            (c.document_id, c.coder_id, c.start, c.end)
            for c in tx.session.scalars(select(Coding).where(Coding.code_id == target))
        }
        moved = dropped = 0
        for coding in tx.session.scalars(select(Coding).where(Coding.code_id == source)).all():
            key = (coding.document_id, coding.coder_id, coding.start, coding.end)
            if key in kept:
                tx.session.delete(coding)
                dropped += 1
            else:
                coding.code_id = target
                kept.add(key)
                moved += 1
        counts = {"codings": moved, "duplicate_codings_dropped": dropped}
        for table, column in ((Suggestion, Suggestion.code_id), (Review, Review.new_code_id), (Code, Code.parent_id)):
            result = tx.session.execute(update(table).where(column == source).values({column.key: target}))
            counts[table.__tablename__] = changed_rows(result)
        result = tx.session.execute(
            update(Memo).where(Memo.target_type == "code", Memo.target_id == source).values(target_id=target)
        )
        counts["memos"] = changed_rows(result)
        tx.session.flush()
        tx.session.delete(code)
        tx.audit("code.merge", "code", source, before=before, after={"into": target, **counts})
    return counts


def export_codebook(store: Store, codebook: str | None = None) -> str:
    """The store's codebook (its codes in tree order, with parents) as YAML that ``qda codebook load`` reads.

    Raises:
        NotFoundError: no codebook, or several and none named.
    """
    with store.read() as session:
        books = {b.id: b for b in session.scalars(select(Codebook).order_by(Codebook.id))}
        if not books:
            raise NotFoundError("no codebook in the store; load one with `qda codebook load FILE`")
        if codebook is None and len(books) > 1:
            raise NotFoundError(f"several codebooks ({', '.join(books)}); name one")
        book = books.get(codebook or next(iter(books)))
        if book is None:
            raise NotFoundError(f"no codebook {codebook!r} (codebooks: {', '.join(books)})")
        codes = {c.id: c for c in session.scalars(select(Code).where(Code.codebook_id == book.id))}
        spec = CodebookSpec(
            id=book.id,
            name=book.name,
            version=book.version,
            groups=dict(book.groups or {}),
            codes=tuple(
                CodeSpec(
                    id=c.id,
                    name=c.name,
                    definition=c.definition,
                    group=c.group,
                    colour=c.colour,
                    parent=c.parent_id,
                    include=tuple(c.include),
                    exclude=tuple(c.exclude),
                    examples=tuple(c.examples),
                    keywords=tuple(c.keywords),
                )
                for c in (codes[row.id] for row in code_tree(store) if row.id in codes)
            ),
        )
    return dump_codebook(spec)
