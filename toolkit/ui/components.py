"""Small shared widgets: the one place quotes are shown, the coder caption, chart drill-down, safe text.

Data (transcript text, names, attribute values) reaches the browser only through :func:`show_quotes`
(table cells), ``st.text``, :func:`show_html` (escaped by :mod:`toolkit.ui.highlight`) or a Markdown
renderer after :func:`toolkit.ui.highlight.md_escape`, so nothing in the data becomes a link, an image,
LaTeX or an emoji.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from toolkit.analysis.plots import drill_target
from toolkit.studies.report_doc import with_scope
from toolkit.ui.highlight import md_escape

__all__ = [
    "caption",
    "chart_with_drill",
    "clicked_target",
    "nothing_to_show",
    "selected_points",
    "show_html",
    "show_quotes",
    "show_transcript_link",
]

QUOTE_COLUMNS = ("document", "language", "segment", "code", "coder", "quote")


def caption(ctx: Any) -> None:
    """Say on every page whose codings the numbers count."""
    st.caption(f"Counting: {md_escape(ctx.coder_text)}. {len(ctx.cases)} interviews in view.")


def show_html(html_text: str) -> None:
    """Show HTML built by :mod:`toolkit.ui.highlight` (every data piece escaped); no Markdown is applied."""
    st.html(html_text)


def nothing_to_show(ctx: Any, what: str = "codings") -> bool:
    """Say that there is nothing to chart, and why, instead of drawing empty axes; True when so."""
    if not ctx.codings.empty:
        return False
    if ctx.cases.empty:
        why = "no interview matches the filters in the sidebar"
    elif ctx.filters:
        why = f"{md_escape(ctx.coder_text)} has no {what} in the {len(ctx.cases)} interviews the filters select"
    else:
        why = f"there are no {what} by {md_escape(ctx.coder_text)} yet"
    st.info(
        f"Nothing to show: {why}. Choose another coder or fewer filters in the sidebar, "
        "or code turns and accept suggestions on the Review queue page."
    )
    return True


def show_quotes(quotes: pd.DataFrame, key: str, limit: int = 200, languages: dict[str, str] | None = None) -> None:
    """Show quotes as plain text cells (never HTML), with document, its language and position.

    Every quote in the dashboard goes through here, so that de-identified text can replace raw text in
    one place later. Quotes are shown as spoken: a Russian quote stays Russian next to an English one.
    """
    if quotes is None or quotes.empty:
        st.info("No quotes for this selection.")
        return
    if languages and "language" not in quotes.columns:
        quotes = quotes.assign(language=quotes["document"].map(languages))
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


def selected_points(state: Any) -> list[dict[str, Any]]:
    """The points of a Plotly chart's selection state (``st.plotly_chart`` event or its session value)."""
    if state is None:
        return []
    selection = getattr(state, "selection", None)
    if selection is None and isinstance(state, dict):
        selection = state.get("selection")
    if not selection:
        return []
    points = selection.get("points", []) if isinstance(selection, dict) else getattr(selection, "points", [])
    return [p for p in points or [] if isinstance(p, dict)]


def _clicked(group: str, key: str) -> None:
    """on_select callback: remember which chart of the page was clicked last."""
    st.session_state[f"{group}_drill_from"] = key


def chart_with_drill(figure: go.Figure, key: str, group: str, scope: str | None = None) -> None:
    """Draw a Plotly chart whose clicked bar or cell opens its quotes (see :func:`clicked_target`).

    ``scope`` (whose codings count, the filters) goes under the title, so the chart downloaded alone from its
    camera button still says what it counts.
    """
    if scope:
        with_scope(figure, f"Counting {scope}")
    callback: Callable[[], None] = functools.partial(_clicked, group, key)
    st.plotly_chart(
        figure, key=key, on_select=callback, selection_mode=("points",), width="stretch", config={"displaylogo": False}
    )


def clicked_target(group: str) -> dict[str, Any] | None:
    """The last clicked element of the charts in ``group``, as :func:`~toolkit.analysis.plots.drill_target` reads it."""
    key = st.session_state.get(f"{group}_drill_from")
    if not key:
        return None
    points = selected_points(st.session_state.get(key))
    return drill_target(points[-1]) if points else None
