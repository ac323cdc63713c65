"""The report as a file: choose whose codings count and the filters, build it, render HTML or Word.

The CLI (``qda report --format html|docx OUT``) and the dashboard's "Download report" button both come
here, so the two give the same report for the same view.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.analysis.findings import filter_cases, filter_codings
from toolkit.analysis.frames import DEFAULT_CODER, choose_coder, load_frames
from toolkit.errors import ToolkitError
from toolkit.store.engine import Store
from toolkit.store.models import MODEL_ORIGINS
from toolkit.studies.report_doc import MIN_GROUP, build_report
from toolkit.studies.report_render import render_docx, render_html

__all__ = ["parse_filters", "report_bytes", "write_report"]

FORMATS = ("html", "docx")


def parse_filters(items: list[str]) -> dict[str, list[str]]:
    """``["gender=female", "gender=male", "age_group=18-25"]`` -> ``{"gender": ["female", "male"], ...}``."""
    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ToolkitError(f"a filter is ATTRIBUTE=VALUE, not {item!r}")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def report_bytes(
    store: Store,
    codings: pd.DataFrame,
    cases: pd.DataFrame,
    coder_text: str,
    fmt: str,
    filters: dict[str, list[Any]] | None = None,
    compare: list[str] | None = None,
    min_group: int = MIN_GROUP,
    min_cell: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The report of an already selected view (frames filtered, ``coder_text`` whose codings) as file bytes.

    ``on_progress(done, total)``: the Word file's charts as they are drawn (:func:`render_docx`).
    """
    if fmt not in FORMATS:
        raise ToolkitError(f"unknown report format {fmt!r}; use html or docx")
    report = build_report(store, codings, cases, coder_text, filters, compare, min_group, min_cell=min_cell)
    return render_html(report).encode("utf-8") if fmt == "html" else render_docx(report, on_progress)


def write_report(
    store: Store,
    output: str | Path,
    fmt: str,
    coder: str | None = None,
    filters: list[str] | None = None,
    compare: list[str] | None = None,
    min_group: int = MIN_GROUP,
    min_cell: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> str:
    """Select the view as ``qda report`` does (reference coder by default), write the file; say what it counts."""
    chosen = parse_filters(filters or [])
    if coder == "accepted":
        codings, cases = load_frames(store, None, origins=list(MODEL_ORIGINS))
        label = "accepted suggestions (any reviewer)"
    else:
        choice = choose_coder(store, None if coder == "all" else (coder or DEFAULT_CODER))
        codings, cases = load_frames(store, choice.coder)
        label = f"{choice.label} ({choice.reason})"
    cases = filter_cases(cases, **chosen)
    codings = filter_codings(codings, cases)
    data = report_bytes(store, codings, cases, label, fmt, chosen, compare, min_group, min_cell, on_progress)
    Path(output).write_bytes(data)
    return f"{len(cases)} interviews, counting {label}"
