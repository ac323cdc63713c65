"""Codings in and out: import a coder's work from JSONL or CSV, export everyone's as CSV or JSONL.

An import row is ``{document, quote | segment, codes}``. A quote is found in the document text exactly,
then ignoring differences in white space; ``segment`` is a segment position. Every row is checked before
anything is written, so one bad row (unknown document or code, quote not found) leaves the store as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from toolkit.coding.blind import allowed_coders
from toolkit.corpus.identifiers import views
from toolkit.corpus.importer import segment_at
from toolkit.errors import CodingsError
from toolkit.io.csv_safe import write_csv
from toolkit.io.tables import read_rows
from toolkit.store.engine import Store
from toolkit.store.models import ORIGIN_IMPORTED, Code, Coder, Coding, Document, Segment

__all__ = ["CodingImportReport", "export_codings", "find_quote", "import_codings"]

EXPORT_COLUMNS = ("document", "language", "segment", "start", "end", "quote", "code", "coder", "origin")
"""``language`` is the document's (``en``, ``ru``, ``be``): quotes are exported in the original language."""


@dataclass
class CodingImportReport:
    """Counts of what an import did."""

    rows: int = 0
    added: int = 0
    already_present: int = 0


def find_quote(text: str, quote: str, start_at: int = 0) -> tuple[int, int] | None:
    """Locate ``quote`` in ``text``: exact match first, then with any run of white space matching any other.

    The search prefers the first match at or after ``start_at`` (rows of a file usually follow the
    document), then falls back to the first match anywhere.

    Example:
        >>> find_quote("We signed.\\n\\nThey kept it.", "signed. They")
        (3, 16)
    """
    quote = quote.strip()
    if not quote:
        return None
    for begin in (start_at, 0):
        index = text.find(quote, begin)
        if index >= 0:
            return index, index + len(quote)
    pattern = re.compile(r"\s+".join(re.escape(word) for word in quote.split()))
    for begin in (start_at, 0):
        match = pattern.search(text, begin)
        if match:
            return match.start(), match.end()
    return None


def _codes_of(value: Any, display: str, line: int) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [c.strip() for c in re.split(r"[;,|]", value) if c.strip()]
    if isinstance(value, list) and all(isinstance(c, str) for c in value):
        return [c.strip() for c in value if c.strip()]
    raise CodingsError("'codes' must be a list of code ids or a ';'-separated text", file=display, line=line)


def _segment_at_position(document: Document, position: Any, display: str, line: int) -> Segment:
    """The segment at a position given as a non-negative integer (or its digits in a CSV cell).

    ``-1``, ``true`` or ``1.9`` are not positions: Python would read them as the last segment or
    segment 1, so a typo would code the wrong turn silently.
    """
    if isinstance(position, bool) or not (
        (isinstance(position, int) and position >= 0) or (isinstance(position, str) and position.strip().isdecimal())
    ):
        raise CodingsError(
            f"segment must be a non-negative whole number (a turn's position), not {position!r}",
            file=display,
            line=line,
        )
    index = int(position)
    by_position = {s.position: s for s in document.segments}
    if index not in by_position:
        raise CodingsError(
            f"document {document.name!r} has no segment {index} (positions 0-{len(by_position) - 1})",
            file=display,
            line=line,
        )
    return by_position[index]


def import_codings(
    store: Store,
    source: str | Path | bytes | BinaryIO,
    coder: str,
    name: str | None = None,
    actor: str | None = None,
    *,
    new_coder: bool = False,
) -> CodingImportReport:
    """Import one coder's codings; all rows are validated first, then written in one transaction.

    The coder must be registered (:func:`toolkit.coding.review.add_coder`) unless ``new_coder`` registers
    them here, in the same transaction: a typo never creates a coder silently.
    """
    if not coder.strip():
        raise CodingsError("a coder name is required (--coder NAME)")
    display, rows = read_rows(source, name)
    report = CodingImportReport()
    with store.transaction(actor=actor or coder) as tx:
        project = tx.project()
        documents = {d.name: d for d in tx.session.scalars(select(Document).where(Document.project_id == project.id))}
        code_ids = set(tx.session.scalars(select(Code.id)))
        cursor: dict[str, int] = {}
        planned: list[tuple[Document, Segment | None, int, int, str]] = []
        for line, row in rows:
            report.rows += 1
            doc_name = str(row.get("document") or "").strip()
            if doc_name not in documents:
                raise CodingsError(f"unknown document {doc_name!r}", file=display, line=line)
            document = documents[doc_name]
            codes = _codes_of(row.get("codes", row.get("code")), display, line)
            unknown = [c for c in codes if c not in code_ids]
            if unknown:
                raise CodingsError(
                    f"unknown code {unknown[0]!r}; load the codebook that defines it first", file=display, line=line
                )
            quote = str(row.get("quote") or "")
            position = row.get("segment", row.get("position"))
            if quote.strip():
                span = find_quote(document.text, quote, cursor.get(doc_name, 0))
                if span is None:
                    raise CodingsError(
                        f"quote not found in document {doc_name!r}: {quote.strip()[:80]!r}", file=display, line=line
                    )
                segment = segment_at(document.segments, *span)
            elif position not in (None, ""):
                segment = _segment_at_position(document, position, display, line)
                span = (segment.start, segment.end)
            else:
                raise CodingsError("each row needs a 'quote' or a 'segment' position", file=display, line=line)
            cursor[doc_name] = span[1]
            planned.extend((document, segment, span[0], span[1], code) for code in codes)
        coder_row: Coder = tx.coder(coder, create=new_coder)
        existing = {
            (c.document_id, c.code_id, c.start, c.end)
            for c in tx.session.scalars(select(Coding).where(Coding.coder_id == coder_row.id))
        }
        for document, segment, start, end, code in planned:
            key = (document.id, code, start, end)
            if key in existing:
                report.already_present += 1
                continue
            existing.add(key)
            tx.session.add(
                Coding(
                    document_id=document.id,
                    segment_id=segment.id if segment else None,
                    code_id=code,
                    coder_id=coder_row.id,
                    start=start,
                    end=end,
                    origin=ORIGIN_IMPORTED,
                )
            )
            report.added += 1
        tx.audit(
            "codings.import",
            "coder",
            coder,
            after={"file": display, "rows": report.rows, "added": report.added},
        )
    return report


def coding_rows(store: Store, coders: Iterable[str] | None = None, *, raw: bool = False) -> list[dict[str, Any]]:
    """Every coding as a flat dict (columns of :data:`EXPORT_COLUMNS`), in document order.

    ``coders`` None means everyone's; in blind mode exactly one coder must be named
    (:func:`toolkit.coding.blind.allowed_coders` raises otherwise). Quotes are de-identified
    (:mod:`toolkit.corpus.identifiers`) unless ``raw``; the caller audits raw reads.
    """
    allowed = allowed_coders(store, coders)
    wanted = set(allowed) if allowed else None
    with store.read() as session:
        shown = views(session, raw=raw)
        query = (
            select(Coding, Document.name, Document.id, Coder.name, Segment.position, Document.language)
            .join(Document, Coding.document_id == Document.id)
            .join(Coder, Coding.coder_id == Coder.id)
            .outerjoin(Segment, Coding.segment_id == Segment.id)
            .order_by(Document.name, Coding.start, Coding.code_id, Coder.name)
        )
        out = []
        for coding, doc_name, doc_id, coder_name, position, language in session.execute(query):
            if wanted and coder_name not in wanted:
                continue
            out.append(
                {
                    "document": doc_name,
                    "language": language,
                    "segment": position,
                    "start": coding.start,
                    "end": coding.end,
                    "quote": shown[doc_id].slice(coding.start, coding.end),
                    "code": coding.code_id,
                    "coder": coder_name,
                    "origin": coding.origin,
                }
            )
        return out


def export_codings(
    store: Store, fmt: str = "csv", coders: Iterable[str] | None = None, *, raw: bool = False, actor: str = "system"
) -> str:
    """Codings as CSV or JSONL text (document, language, segment, offsets, quote, code, coder, origin).

    Quotes are de-identified; ``raw=True`` exports the original text and records that in the audit trail.
    Offsets always point into the original text.
    """
    rows = coding_rows(store, coders, raw=raw)
    if raw:
        from toolkit.corpus.identifiers import audit_raw_access

        audit_raw_access(store, sorted({r["document"] for r in rows}), actor, "codings export")
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if fmt != "csv":
        raise CodingsError(f"unknown format {fmt!r}; use csv or jsonl")
    return write_csv(rows, EXPORT_COLUMNS)
