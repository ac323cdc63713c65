"""CSV that a spreadsheet cannot execute: every CSV the toolkit writes goes through :func:`write_csv`.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (CSV injection). Transcript quotes, document and coder names
are typed by people outside the project, so such cells are written with a leading apostrophe, as OWASP
recommends; the spreadsheet shows the text unchanged. :func:`restore_cell` undoes it exactly when the
toolkit reads its own CSV back (consensus sheets, codings), so a round trip is lossless: a value that
already starts with an apostrophe before a formula character gets one more.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["FORMULA_STARTS", "frame_to_csv", "neutralise_cell", "restore_cell", "write_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _needs_prefix(text: str) -> bool:
    if text.startswith(FORMULA_STARTS):
        return True
    return text.startswith("'") and _needs_prefix(text[1:])


def neutralise_cell(value: Any) -> Any:
    """The value as it is safe to write: strings that a spreadsheet would evaluate get an apostrophe.

    Example:
        >>> neutralise_cell("=HYPERLINK(...)")
        "'=HYPERLINK(...)"
    """
    if isinstance(value, str) and _needs_prefix(value):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The inverse of :func:`neutralise_cell` for a cell read back from a toolkit CSV."""
    if value.startswith("'") and _needs_prefix(value[1:]):
        return value[1:]
    return value


def write_csv(rows: Iterable[Mapping[str, Any]], fieldnames: Sequence[str]) -> str:
    """Rows as CSV text (header first, ``\\n`` line ends), every string cell neutralised."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fieldnames), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralise_cell(value) for key, value in row.items()})
    return buffer.getvalue()


def frame_to_csv(frame: Any) -> str:
    """A pandas DataFrame as CSV through :func:`write_csv` (columns in order, no index, missing as empty).

    Example:
        >>> import pandas as pd
        >>> frame_to_csv(pd.DataFrame({"quote": ["=1+1"], "n": [2]}))
        "quote,n\\n'=1+1,2\\n"
    """
    columns = [str(c) for c in frame.columns]
    rows = (
        {c: (None if _missing(v) else v) for c, v in zip(columns, values, strict=True)}
        for values in frame.itertuples(index=False, name=None)
    )
    return write_csv(rows, columns)


def _missing(value: Any) -> bool:
    """None, NaN, NaT and pandas' NA (whose comparisons are NA, so ``bool`` raises TypeError)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:
        return repr(value) == "<NA>"
    except ValueError:
        return False
