"""The export page: codings, matrices and the report as downloads."""

from __future__ import annotations

import json

import streamlit as st

from toolkit.analysis.disclosure import protected_matrix
from toolkit.coding.codes import export_codebook
from toolkit.coding.codings import export_codings
from toolkit.coding.memos import export_memos
from toolkit.errors import ToolkitError
from toolkit.io.csv_safe import frame_to_csv
from toolkit.studies import snapshot
from toolkit.ui.components import (
    caption,
)
from toolkit.ui.highlight import md_escape
from toolkit.ui.state import Context, context


def export_page() -> None:
    """Codings, the code x attribute matrix and the report, as CSV and JSON downloads.

    The codings exported are those of the coder chosen in the sidebar (everyone's when "all coders" is
    chosen and blind mode is off), read through the blind-mode policy; every CSV is formula-safe.
    """
    ctx = context()
    st.title("Export")
    caption(ctx)
    coders = None if ctx.coder is None else [ctx.coder]
    who = "all coders" if coders is None else ctx.coder
    # Generated on click (deferred), so a large project renders this page as fast as a small one.
    st.download_button(
        f"Codings of {md_escape(who)} (CSV)",
        lambda: export_codings(ctx.store, "csv", coders),
        "codings.csv",
        "text/csv",
        key="export_csv",
    )
    st.download_button(
        f"Codings of {md_escape(who)} (JSON lines)",
        lambda: export_codings(ctx.store, "jsonl", coders),
        "codings.jsonl",
        key="export_jsonl",
    )
    st.download_button(
        "Code x attribute matrix (CSV)",
        lambda: frame_to_csv(protected_matrix(ctx.codings, ctx.cases, snapshot.REPORT_ATTRIBUTES, ctx.min_cell)),
        "code_by_attribute.csv",
        "text/csv",
        key="export_matrix",
    )
    st.download_button(
        "Report (JSON)",
        lambda: json.dumps(snapshot.report(ctx.codings, ctx.cases, ctx.coder_text, min_cell=ctx.min_cell), indent=2),
        "report.json",
        "application/json",
        key="export_report",
    )
    try:
        codebook_yaml = export_codebook(ctx.store)
    except ToolkitError as exc:
        st.caption(md_escape(f"No codebook export: {exc}"))
    else:
        st.download_button(
            "Codebook with its code tree (YAML)",
            codebook_yaml,
            "codebook.yaml",
            "application/yaml",
            key="export_codebook",
        )
    st.download_button(
        "Memos (CSV)", lambda: export_memos(ctx.store, "csv"), "memos.csv", "text/csv", key="export_memos_csv"
    )
    st.download_button(
        "Memos (JSON lines)", lambda: export_memos(ctx.store, "jsonl"), "memos.jsonl", key="export_memos_jsonl"
    )
    st.caption(f"{len(ctx.codings)} codings of {len(ctx.cases)} interviews in the current selection.")
    st.caption(
        "Quotes are de-identified (identifiers replaced by pseudonyms). In the matrix and the report, groups and "
        "cells of fewer people than the threshold (QDA_MIN_CELL, default 3) are merged or left empty."
    )
    _report_and_exchange(ctx, coders)


def _report_and_exchange(ctx: Context, coders: list[str] | None) -> None:
    """The report of the current view (Word, offline HTML), Excel tables and the REFI-QDA project."""
    from toolkit.analysis.exchange import export_qdpx
    from toolkit.analysis.tables_export import xlsx_bytes
    from toolkit.studies.report_files import report_bytes

    st.subheader("Report")
    st.caption(
        "The findings of the current view (whose codings count and the filters are stated on the first page), "
        "each chart with its n and group sizes, the quotes behind each number, the codebook and the method."
    )
    left, right = st.columns(2)
    left.download_button(
        "Download report (Word)",
        lambda: report_bytes(
            ctx.store, ctx.codings, ctx.cases, ctx.coder_text, "docx", ctx.filters, min_cell=ctx.min_cell
        ),
        "report.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key="export_report_docx",
    )
    right.download_button(
        "Download report (HTML, opens offline)",
        lambda: report_bytes(
            ctx.store, ctx.codings, ctx.cases, ctx.coder_text, "html", ctx.filters, min_cell=ctx.min_cell
        ),
        "report.html",
        "text/html",
        key="export_report_html",
    )
    st.subheader("Exchange")
    st.download_button(
        "Tables for Excel (codings, code x case, code x attribute, agreement)",
        lambda: xlsx_bytes(ctx.store, coders),
        "tables.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="export_xlsx",
    )
    st.download_button(
        "REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, QualCoder (.qdpx)",
        lambda: export_qdpx(ctx.store, coders=coders)[0],
        "project.qdpx",
        "application/zip",
        key="export_qdpx",
    )
    st.caption(
        "Other tools do not see the codes' criteria and examples, the speaker turns, or the suggestions' "
        "probabilities (suggestions appear as codings of the user 'survivor-qda suggestions (model)'); "
        "survivor-qda keeps them inside the file and restores them on import."
    )
