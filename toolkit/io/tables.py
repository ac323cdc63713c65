"""Small shared readers for CSV and JSONL files that report the line of every row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from toolkit.errors import InputFileError
from toolkit.io.csv_safe import restore_cell
from toolkit.io.transcripts import decode_transcript_bytes

__all__ = ["read_rows"]


def _load(source: str | Path | bytes | BinaryIO, name: str | None) -> tuple[str, str]:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise InputFileError("no such file", file=str(path))
        data, display = path.read_bytes(), str(path)
    else:
        data = source if isinstance(source, bytes) else source.read()
        display = name or getattr(source, "name", "<upload>")
    if not data.strip():
        raise InputFileError("empty file", file=display, line=1)
    text, _ = decode_transcript_bytes(data, display)
    return text.lstrip("\ufeff"), display


def read_rows(
    source: str | Path | bytes | BinaryIO, name: str | None = None, kind: str | None = None
) -> tuple[str, Iterator[tuple[int, dict[str, Any]]]]:
    """Rows of a CSV or JSONL file as (line number, dict); the kind comes from the suffix or ``kind``."""
    text, display = _load(source, name)
    kind = kind or ("jsonl" if display.lower().endswith((".jsonl", ".json", ".ndjson")) else "csv")

    def jsonl_rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(f"not valid JSON: {exc.msg}", file=display, line=line_no) from exc
            if not isinstance(row, dict):
                raise InputFileError("each line must be a JSON object", file=display, line=line_no)
            yield line_no, row

    def csv_rows() -> Iterator[tuple[int, dict[str, Any]]]:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames:
            raise InputFileError("no header row", file=display, line=1)
        for row in reader:
            if None in row:
                raise InputFileError("more fields than the header has", file=display, line=reader.line_num)
            yield reader.line_num, {
                k.strip(): restore_cell((v or "").strip()) for k, v in row.items() if k is not None
            }

    return display, (jsonl_rows() if kind == "jsonl" else csv_rows())
