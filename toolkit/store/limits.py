"""Values every back-end stores the same way, and errors that never carry data or passwords.

SQLite stores a 300-character name in a ``VARCHAR(200)`` column and a NUL character in text without a
word; PostgreSQL refuses both with a ``DataError`` deep inside a command. :func:`check_flush` runs before
every flush of every transaction and refuses such values with one clear message, the same on both
back-ends, before the database sees them, so the transaction rolls back and nothing is stored.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy import JSON, String, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session

from toolkit.errors import ValueLimitError

__all__ = ["check_flush", "check_value", "conflict_subject", "fit_length", "mask_url"]

_WHAT = {
    "coders": "a coder of that name",
    "documents": "a document of that name",
    "codes": "a code with that id",
    "codebooks": "a codebook with that id",
    "segments": "a segment of that document",
    "embedding_cache": "the same cached embedding",
    "lemma_cache": "the same cached lemmas",
    "schema_info": "the same project setting",
}


def _preview(value: str) -> str:
    shown = value[:40].replace("\x00", "\\x00")
    return repr(shown + ("..." if len(value) > 40 else ""))


def check_value(entity: str, field: str, value: Any, max_length: int | None = None) -> None:
    """Refuse a value no back-end may hold differently: over ``max_length`` characters, or with a NUL.

    Raises:
        ValueLimitError: naming the entity, the field, the limit and the start of the value.
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueLimitError(
                f"{entity} {field} {_preview(value)} contains a NUL character (\\x00), which the store cannot "
                "hold; remove it from the source and try again"
            )
        if max_length is not None and len(value) > max_length:
            raise ValueLimitError(
                f"{entity} {field} {_preview(value)} is {len(value)} characters long; the store holds at most "
                f"{max_length}; shorten it and try again"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            check_value(entity, field, key)
            check_value(entity, field, item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_value(entity, field, item)


def check_flush(session: Session, _context: Any, _instances: Any) -> None:
    """SQLAlchemy ``before_flush`` hook: check every new or changed object's text columns."""
    for obj in (*session.new, *session.dirty):
        mapper = inspect(obj).mapper
        entity = mapper.class_.__name__.lower()
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            value = getattr(obj, attr.key, None)
            if value is None:
                continue
            if isinstance(column.type, String):
                check_value(entity, attr.key, value, column.type.length)
            elif isinstance(column.type, JSON):
                check_value(entity, attr.key, value)


def conflict_subject(exc: IntegrityError) -> str:
    """What a unique-constraint race was about, in words, without the values (they may be data)."""
    message = str(exc.orig)
    for table, words in _WHAT.items():
        if re.search(rf"\b{table}[._]", message):
            return words
    return "a record this change needs"


def fit_length(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in a digest of the whole so distinct texts stay distinct.

    For identifiers the toolkit composes itself (a model version naming the embedder and the lemmatiser),
    which must fit their column on every back-end whatever model a user names.
    """
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"{text[: limit - len(digest) - 1]}#{digest}"


def mask_url(url: str) -> str:
    """A database URL fit to print: the password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
