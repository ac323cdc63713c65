"""Small shared readers for CSV and JSONL files that report the line of every row.

Hostile or mistaken tables end in an :class:`InputFileError` naming the file and line: files over
:data:`MAX_TABLE_BYTES`, CSV fields over :data:`MAX_FIELD_CHARS`, JSONL lines over :data:`MAX_JSONL_LINE_CHARS`
(checked before ``json.loads`` sees the line), JSON nested past Python's recursion limit, and the
non-standard constants ``NaN`` / ``Infinity`` (or numbers too large for a float or an int).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from toolkit.errors import InputFileError
from toolkit.io.csv_safe import restore_cell
from toolkit.io.source import SourceLike, read_source
from toolkit.io.transcripts import decode_transcript_bytes

__all__ = ["MAX_FIELD_CHARS", "MAX_JSONL_LINE_CHARS", "MAX_TABLE_BYTES", "read_rows"]

MAX_TABLE_BYTES = 50 * 1024 * 1024  # one attributes or codings file
MAX_FIELD_CHARS = 1_000_000  # one CSV field (csv's own default, 131,072, is lower than a long quote may need)
MAX_JSONL_LINE_CHARS = 1_000_000  # one JSONL row: a coding with a long quote is a few KB


def _load(source: SourceLike, name: str | None) -> tuple[str, str]:
    loaded = read_source(source, name, limit=MAX_TABLE_BYTES, error=InputFileError)
    data, display = loaded.data, loaded.display
    if not data.strip():
        raise InputFileError("empty file", file=display, line=1)
    text, _ = decode_transcript_bytes(data, display)
    return text.lstrip("\ufeff"), display


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with their numbers, one at a time (no list of all lines next to the text)."""
    line_no, start = 1, 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield line_no, text[start:end].rstrip("\r")
        line_no, start = line_no + 1, end + 1


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; write a number or leave the field out")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"number {literal[:40]!r} is too large")
    return value


def _json_row(line: str, display: str, line_no: int) -> dict[str, Any]:
    """One JSONL row, refusing over-long lines, NaN/Infinity, huge numbers and deep nesting clearly."""
    if len(line) > MAX_JSONL_LINE_CHARS:
        raise InputFileError(
            f"line is {len(line):,} characters long (limit {MAX_JSONL_LINE_CHARS:,} per row); one row holds one coding",
            file=display,
            line=line_no,
        )
    try:
        row = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"not valid JSON: {exc.msg}", file=display, line=line_no) from exc
    except ValueError as exc:  # from the hooks above, or an integer with more than 4,300 digits
        raise InputFileError(f"not valid JSON: {exc}", file=display, line=line_no) from None
    except RecursionError:
        raise InputFileError(
            "not valid JSON: nested too deeply; a row is a flat object {document, quote | segment, codes}",
            file=display,
            line=line_no,
        ) from None
    if not isinstance(row, dict):
        raise InputFileError("each line must be a JSON object", file=display, line=line_no)
    return row


def read_rows(
    source: str | Path | bytes | BinaryIO, name: str | None = None, kind: str | None = None
) -> tuple[str, Iterator[tuple[int, dict[str, Any]]]]:
    """Rows of a CSV or JSONL file as (line number, dict); the kind comes from the suffix or ``kind``."""
    text, display = _load(source, name)
    kind = kind or ("jsonl" if display.lower().endswith((".jsonl", ".json", ".ndjson")) else "csv")

    def jsonl_rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for line_no, line in _lines(text):
            if line.strip():
                yield line_no, _json_row(line, display, line_no)

    def csv_rows() -> Iterator[tuple[int, dict[str, Any]]]:
        csv.field_size_limit(MAX_FIELD_CHARS)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            if not reader.fieldnames:
                raise InputFileError("no header row", file=display, line=1)
            for row in reader:
                if None in row:
                    raise InputFileError("more fields than the header has", file=display, line=reader.line_num)
                yield (
                    reader.line_num,
                    {k.strip(): restore_cell((v or "").strip()) for k, v in row.items() if k is not None},
                )
        except csv.Error as exc:
            raise InputFileError(
                f"not valid CSV: {exc} (a field may hold at most {MAX_FIELD_CHARS:,} characters)",
                file=display,
                line=reader.line_num + 1,  # the line being parsed is not counted yet
            ) from None

    return display, (jsonl_rows() if kind == "jsonl" else csv_rows())
