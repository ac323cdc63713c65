"""The project as tables for Excel and statistics packages: codings, code x case, code x attribute, agreement.

``xlsx`` writes one workbook with one sheet per table (openpyxl); ``csv`` writes a folder with one file per
table, each through :func:`toolkit.io.csv_safe.write_csv`. Cells that a spreadsheet would run as a formula
are neutralised in both. The first sheet (``about``) says whose codings the matrices count and when.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from toolkit.analysis.agreement import agreement_table
from toolkit.analysis.agreement_store import agreement_frame, disagreement_rows
from toolkit.analysis.exchange import ExchangeReport
from toolkit.analysis.findings import agreement_table_frame, code_attribute_matrix
from toolkit.analysis.frames import DEFAULT_CODER, load_frames
from toolkit.coding.blind import allowed_coders, is_blind
from toolkit.coding.codings import EXPORT_COLUMNS, coding_rows
from toolkit.errors import ToolkitError
from toolkit.io.csv_safe import frame_to_csv, neutralise_cell
from toolkit.store.engine import Store
from toolkit.store.models import Code

__all__ = ["build_tables", "export_tables", "xlsx_bytes"]


def _code_by_case(codings: pd.DataFrame, cases: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Codings per code (rows) and document (columns), every code and every document present."""
    counts = pd.crosstab(codings["code"], codings["document"]) if not codings.empty else pd.DataFrame()
    frame = counts.reindex(index=codes, columns=list(cases["document"]), fill_value=0).fillna(0).astype(int)
    frame.index.name = "code"
    return frame.reset_index()


def _agreement(store: Store, coders: list[str] | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Agreement per code and the disagreeing turns (the agenda of a consensus meeting), or why there are none."""
    if is_blind(store):
        return pd.DataFrame(), pd.DataFrame(), "omitted: blind mode is on (run `qda agreement` when coders may compare)"
    frame, _ = agreement_frame(store, coders)
    if frame.empty or frame["coder"].nunique() < 2:
        return pd.DataFrame(), pd.DataFrame(), "omitted: agreement needs two coders with codings in the same documents"
    table = agreement_table(frame)
    model = " ('model' = suggestions at probability >= 0.5)" if "model" in table["coders"] else ""
    disagreeing = pd.DataFrame(disagreement_rows(store, coders))
    note = f"respondent turns; coders: {', '.join(table['coders'])}{model}"
    return agreement_table_frame(table), disagreeing, note


def build_tables(store: Store, coders: list[str] | None = None) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Every table by sheet name, and notes on what each counts."""
    allowed = allowed_coders(store, coders)
    rows = coding_rows(store, allowed)
    one = allowed[0] if allowed and len(allowed) == 1 else None
    codings, cases = load_frames(store, one if one else (None if allowed else DEFAULT_CODER))
    if allowed and len(allowed) > 1:
        codings = codings[codings["coder"].isin(allowed)]
    with store.read() as session:
        codes = list(session.scalars(select(Code.id).order_by(Code.id)))
    attributes = [c for c in cases.columns if c != "document"]
    agreement, disagreements, agreement_note = _agreement(store, allowed)
    tables = {
        "codings": pd.DataFrame(rows, columns=list(EXPORT_COLUMNS)),
        "code_x_case": _code_by_case(codings, cases, codes),
        "code_x_attribute": code_attribute_matrix(codings, cases, attributes),
        "agreement": agreement,
        "disagreements": disagreements,
    }
    label = codings.attrs.get("coder", "") if one or not allowed else ", ".join(allowed)
    notes = [
        f"exported {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"codings: every coding{' of ' + ', '.join(allowed) if allowed else ''} ({len(rows)} rows)",
        f"code_x_case and code_x_attribute count {label} ({codings.attrs.get('coder_reason', 'as asked')})",
        f"agreement: {agreement_note}",
    ]
    return tables, notes


def _cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return neutralise_cell(ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    return value.item() if hasattr(value, "item") else value


def _write_xlsx(tables: dict[str, pd.DataFrame], notes: list[str], output: Path | io.BytesIO) -> None:
    from openpyxl import Workbook

    book = Workbook()
    about = book.active
    about.title = "about"
    for note in notes:
        about.append([_cell(note)])
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        sheet.append([_cell(str(c)) for c in frame.columns])
        for values in frame.itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in values])
        if frame.empty:
            sheet.append(["(no rows)"])
    book.save(output)


def export_tables(store: Store, output: str | Path, fmt: str, coders: list[str] | None = None) -> ExchangeReport:
    """Write the tables as one .xlsx workbook or a folder of .csv files."""
    output = Path(output)
    tables, notes = build_tables(store, coders)
    if fmt == "xlsx":
        _write_xlsx(tables, notes, output)
    elif fmt == "csv":
        if output.exists() and not output.is_dir():
            raise ToolkitError(f"{output} is a file; csv export writes a folder of tables")
        output.mkdir(parents=True, exist_ok=True)
        (output / "about.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
        for name, frame in tables.items():
            (output / f"{name}.csv").write_text(frame_to_csv(frame), encoding="utf-8")
    else:
        raise ToolkitError(f"unknown table format {fmt!r}; use csv or xlsx")
    return ExchangeReport(counts={name: len(frame) for name, frame in tables.items()}, warnings=[])


def xlsx_bytes(store: Store, coders: list[str] | None = None) -> bytes:
    """The workbook as bytes, for a download button."""
    buffer = io.BytesIO()
    _write_xlsx(*build_tables(store, coders), buffer)
    return buffer.getvalue()
