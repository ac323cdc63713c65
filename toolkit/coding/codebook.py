"""Codebooks in the store: load a YAML codebook, add a code, list codes.

Loading the same codebook again updates its codes in place (their ids are fixed, so codings stay
attached); a code id that another codebook already defines is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from toolkit.errors import CodebookError
from toolkit.io.codebook_yaml import CodebookSpec, CodeSpec, parse_codebook
from toolkit.store.engine import Store, Transaction
from toolkit.store.models import Code, Codebook

__all__ = ["add_code", "list_codes", "load_codebook"]

_FIELDS = (
    "name",
    "definition",
    "group",
    "colour",
    "include",
    "exclude",
    "examples",
    "keywords",
    "translations",
    "excludes",
)


def _code_values(spec: CodeSpec) -> dict[str, object]:
    return {
        "name": spec.name,
        "definition": spec.definition,
        "group": spec.group,
        "colour": spec.colour,
        "parent_id": spec.parent,
        "include": list(spec.include),
        "exclude": list(spec.exclude),
        "examples": list(spec.examples),
        "keywords": list(spec.keywords),
        "translations": {lang: {k: list(v) for k, v in fields.items()} for lang, fields in spec.translations.items()},
        "excludes": list(spec.excludes),
    }


def _upsert_codes(tx: Transaction, codebook_id: str | None, specs: tuple[CodeSpec, ...], file: str) -> int:
    changed = 0
    for spec in specs:
        code = tx.session.get(Code, spec.id)
        values = _code_values(spec)
        if code is None:
            tx.session.add(Code(id=spec.id, codebook_id=codebook_id, **values))
            tx.audit("code.add", "code", spec.id, after=values)
            changed += 1
            continue
        if code.codebook_id != codebook_id:
            raise CodebookError(
                f"code {spec.id!r} is already defined by codebook {code.codebook_id!r}; choose another id",
                file=file,
                line=spec.line,
            )
        before = {k: getattr(code, k) for k in (*_FIELDS, "parent_id")}
        if before != values:
            for key, value in values.items():
                setattr(code, key, value)
            tx.audit("code.update", "code", spec.id, before=before, after=values)
            changed += 1
    return changed


def _check_lengths(spec: CodebookSpec) -> None:
    """Refuse, naming the file and line, a value longer than the store's column for it.

    Why here and not at the flush: the store's own check (``toolkit.store.limits``) cannot know the file and
    line, and a code's group is derived from its id (the part before the first dot), so a 150-character id
    without a dot passes the id's limit of 200 and fails the group's of 100. The limits are read from the
    data model, so they cannot drift apart from it.
    """
    checks: list[tuple[type[Code] | type[Codebook], str, str, str, int | None]] = [
        (Codebook, "id", "codebook id", spec.id, 1),
        (Codebook, "name", "codebook name", spec.name, 1),
        (Codebook, "version", "version", spec.version, 1),
    ]
    for code in spec.codes:
        where, line = f"code {code.id[:40]!r}: ", code.line or None
        checks += [
            (Code, "id", where + "id", code.id, line),
            (Code, "name", where + "name", code.name, line),
            (
                Code,
                "group",
                where + "group (the id's part before the first dot unless `group:` is given)",
                code.group,
                line,
            ),
            (Code, "colour", where + "colour", code.colour, line),
        ]
    for model, column, label, value, line in checks:
        limit = getattr(model.__table__.c[column].type, "length", None)
        if limit and len(value) > limit:
            raise CodebookError(
                f"{label} is {len(value)} characters long; the store holds at most {limit}; shorten it",
                file=spec.source,
                line=line,
            )


def load_codebook(
    store: Store, source: str | Path | bytes | BinaryIO, name: str | None = None, actor: str = "system"
) -> CodebookSpec:
    """Validate a codebook file and store its codes in one transaction; return the parsed spec."""
    with store.read() as session:
        known = frozenset(session.scalars(select(Code.id)))
    spec = parse_codebook(source, name, known_ids=known)
    _check_lengths(spec)
    with store.transaction(actor=actor) as tx:
        book = tx.session.get(Codebook, spec.id)
        before = {"version": book.version, "sha256": book.sha256} if book else None
        if book is None:
            book = Codebook(id=spec.id, name=spec.name, version=spec.version)
            tx.session.add(book)
        book.name, book.version, book.source_path, book.sha256 = spec.name, spec.version, spec.source, spec.sha256
        book.groups = spec.groups
        tx.session.flush()
        changed = _upsert_codes(tx, spec.id, spec.codes, spec.source)
        tx.audit(
            "codebook.load",
            "codebook",
            spec.id,
            before=before,
            after={"version": spec.version, "sha256": spec.sha256, "codes": len(spec.codes), "changed": changed},
        )
    return spec


def add_code(store: Store, spec: CodeSpec, actor: str = "system") -> None:
    """Add one code outside any codebook file (a researcher's own, emergent code)."""
    with store.transaction(actor=actor) as tx:
        if tx.session.get(Code, spec.id) is not None:
            raise CodebookError(f"code {spec.id!r} exists already")
        if spec.parent and tx.session.get(Code, spec.parent) is None:
            raise CodebookError(f"unknown parent {spec.parent!r} of {spec.id!r}")
        _upsert_codes(tx, None, (spec,), "<add>")


def list_codes(store: Store) -> list[Code]:
    """All codes, by id."""
    with store.read() as session:
        return list(session.scalars(select(Code).order_by(Code.id)))
