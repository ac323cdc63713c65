"""Case attributes (gender, age group, exploitation type, ...) from a CSV, one row per document.

The whole table is validated before anything is stored: an unknown document name, a duplicate row or a
missing id column is an error naming the file and line, and the store stays as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from toolkit.errors import InputFileError
from toolkit.io.tables import read_rows
from toolkit.store.engine import Store, Transaction
from toolkit.store.models import Document

__all__ = ["AttributeTable", "apply_attributes", "import_attributes", "read_attribute_table"]

ID_COLUMNS = ("document", "id")

AttributeTable = dict[str, tuple[int, dict[str, str]]]


def read_attribute_table(source: str | Path | bytes | BinaryIO, name: str | None = None) -> tuple[str, AttributeTable]:
    """Parse the CSV into {document name: (line, attributes)}; duplicates are an error."""
    display, rows = read_rows(source, name, kind="csv")
    table: AttributeTable = {}
    id_column: str | None = None
    for line, row in rows:
        if id_column is None:
            id_column = next((c for c in ID_COLUMNS if c in row), None)
            if id_column is None:
                columns = ", ".join(repr(c) for c in row)  # repr: a column name may hold line breaks
                raise InputFileError(f"no 'document' or 'id' column (columns: {columns})", file=display, line=1)
        doc_name = row.get(id_column, "")
        if not doc_name:
            raise InputFileError(f"empty {id_column!r}", file=display, line=line)
        if doc_name in table:
            raise InputFileError(
                f"duplicate row for document {doc_name!r} (first on line {table[doc_name][0]})",
                file=display,
                line=line,
            )
        table[doc_name] = (line, {k: v for k, v in row.items() if k != id_column})
    return display, table


def apply_attributes(tx: Transaction, display: str, table: AttributeTable) -> int:
    """Merge a parsed table into the documents inside ``tx``; unknown names abort the whole transaction."""
    project = tx.project()
    docs = {d.name: d for d in tx.session.scalars(select(Document).where(Document.project_id == project.id))}
    unknown = [(n, line) for n, (line, _) in table.items() if n not in docs]
    if unknown:
        listed = ", ".join(f"{n} (line {line})" for n, line in unknown)
        raise InputFileError(
            f"unknown documents: {listed}; import the transcripts first. Nothing was imported",
            file=display,
            line=unknown[0][1],
        )
    for doc_name, (_line, values) in table.items():
        document = docs[doc_name]
        before = dict(document.attributes or {})
        document.attributes = {**before, **values}
        tx.audit("attributes.import", "document", document.id, before=before, after=document.attributes)
    return len(table)


def import_attributes(
    store: Store, source: str | Path | bytes | BinaryIO, name: str | None = None, actor: str = "system"
) -> int:
    """Merge the table's attributes into the documents; return how many documents were updated."""
    display, table = read_attribute_table(source, name)
    with store.transaction(actor=actor) as tx:
        return apply_attributes(tx, display, table)
