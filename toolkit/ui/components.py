"""Small shared widgets: the one place quotes are shown, the coder caption, chart drill-through."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

__all__ = ["caption", "chart_with_drill", "show_quotes", "show_transcript_link"]

QUOTE_COLUMNS = ("document", "segment", "code", "coder", "quote")


def caption(ctx: Any) -> None:
    """Say on every page whose codings the numbers count."""
    st.caption(f"Counting: {ctx.coder_text}. {len(ctx.cases)} interviews in view.")


def show_quotes(quotes: pd.DataFrame, key: str, limit: int = 200) -> None:
    """Show quotes as plain text cells (never HTML), with document and position.

    Every quote in the dashboard goes through here, so that de-identified text can replace raw text in
    one place later.
    """
    if quotes is None or quotes.empty:
        st.info("No quotes for this selection.")
        return
    columns = [c for c in QUOTE_COLUMNS if c in quotes.columns]
    st.dataframe(
        quotes[columns].head(limit),
        hide_index=True,
        width="stretch",
        key=key,
        column_config={"quote": st.column_config.TextColumn("quote", width="large")},
    )
    documents = list(dict.fromkeys(quotes["document"].head(limit)))
    show_transcript_link(documents, key)


def show_transcript_link(documents: list[str], key: str) -> None:
    """Open one of these documents in the transcript view."""
    if not documents:
        return
    column, button = st.columns([3, 1])
    chosen = column.selectbox("Open a transcript", documents, key=f"{key}_doc")
    if button.button("Open transcript", key=f"{key}_open"):
        st.session_state["transcript_document"] = chosen
        st.switch_page(st.session_state["pages"]["transcript"])


def chart_with_drill(figure: go.Figure, key: str) -> list[Any]:
    """Draw a Plotly chart; return the ``customdata`` of clicked or selected points (for quotes)."""
    event = st.plotly_chart(figure, key=key, on_select="rerun", selection_mode=("points",), width="stretch")
    points = []
    selection = getattr(event, "selection", None) or (event.get("selection") if isinstance(event, dict) else None)
    if selection:
        for point in selection.get("points", []):
            data = point.get("customdata")
            if data is not None:
                points.append(data[0] if isinstance(data, list | tuple) and data else data)
    return points
