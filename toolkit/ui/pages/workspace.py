"""The coding workspace's pages: full-text search and the QDA queries (coding, matrix, co-occurrence, words).

Both call :mod:`toolkit.analysis.search` and :mod:`toolkit.analysis.queries` with the coder chosen in the
sidebar, so their numbers are the CLI's (``qda search``, ``qda query ...``). The sidebar's attribute
filters do not apply here: a query names its own filters and attributes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from toolkit.analysis.disclosure import protected_matrix_query
from toolkit.analysis.queries import (
    coding_query,
    cooccurrence,
    matrix_cell_quotes,
    matrix_query,
    word_frequencies,
)
from toolkit.analysis.query_plots import matrix_heatmap
from toolkit.analysis.search import kwic, search, search_memos
from toolkit.errors import ToolkitError
from toolkit.store.models import MODEL_ORIGINS, ROLES
from toolkit.ui.components import (
    caption,
    show_html,
    show_quotes,
    show_transcript_link,
)
from toolkit.ui.highlight import kwic_html, md_escape
from toolkit.ui.state import ACCEPTED_LABEL, Context, context

__all__ = ["queries_page", "search_page"]

_ATTRIBUTE_NONE = "(any)"


def _attributes(ctx: Context) -> list[str]:
    return [c for c in ctx.all_cases.columns if c != "document"]


def _origins() -> list[str] | None:
    """Only accepted suggestions, when that is the sidebar's choice (as on every other page)."""
    return list(MODEL_ORIGINS) if st.session_state.get("coder_choice") == ACCEPTED_LABEL else None


def _note(ctx: Context) -> None:
    caption(ctx)
    st.caption("The sidebar's attribute filters do not apply on this page; use the filters here.")


def search_page() -> None:
    """Search the turns for a word in all its forms, with filters; results as keyword in context."""
    ctx = context()
    st.title("Search")
    _note(ctx)
    query = st.text_input('Words (any form) and "quoted phrases"', key="search_query")
    left, middle, right = st.columns(3)
    roles = left.multiselect("Speaker role", list(ROLES), key="search_roles")
    codes = middle.multiselect(
        "Coded with", sorted(ctx.names), key="search_codes", format_func=lambda c: ctx.names.get(c, c)
    )
    attribute = right.selectbox("Attribute", [_ATTRIBUTE_NONE, *_attributes(ctx)], key="search_attribute")
    values: list[str] = []
    if attribute != _ATTRIBUTE_NONE:
        choices = sorted({str(v) for v in ctx.all_cases[attribute].dropna()})
        values = right.multiselect("Values", choices, key="search_values")
    if not query.strip():
        st.info("Type a word: `passport` also finds `passports`, `паспорт` also finds `паспорта`.")
        return
    _memo_hits(ctx, query)
    try:
        hits = search(
            ctx.store,
            query,
            roles=roles or None,
            codes=codes or None,
            attributes={attribute: values} if values else None,
            coder=ctx.coder,
            origins=_origins(),
        )
    except ToolkitError as exc:
        st.error(md_escape(str(exc)))
        return
    st.metric("Matching turns", len(hits))
    st.metric("Interviews", len({h.document for h in hits}))
    for hit in hits[:200]:
        lines = "<br>".join(kwic_html(*k) for k in kwic(hit))
        show_html(lines)  # built by highlight.kwic_html from escaped pieces only
        st.caption(md_escape(f"{hit.document}, turn {hit.position} ({hit.role}), characters {hit.start}-{hit.end}"))
    if len(hits) > 200:
        st.caption(f"The first 200 of {len(hits)} turns are shown; narrow the search to see the rest.")
    show_transcript_link(list(dict.fromkeys(h.document for h in hits)), key="search")


def _memo_hits(ctx: Context, query: str) -> None:
    """Memos holding the words too, with what each is about (text shown verbatim)."""
    try:
        memos = search_memos(ctx.store, query)
    except ToolkitError:
        return
    if not memos:
        return
    with st.expander(md_escape(f"Memos ({len(memos)})")):
        for memo in memos:
            st.caption(md_escape(f"{memo['target_type']} {memo['about']} - {memo['coder']}"))
            st.text(memo["text"])


def _coding_tab(ctx: Context) -> None:
    expression = st.text_input(
        "Codes with AND, OR, NOT and parentheses",
        key="query_expression",
        placeholder="root_cause.economic AND NOT root_cause.family",
    )
    scope = st.radio("In the same", ["turn", "interview"], horizontal=True, key="query_scope")
    if not expression.strip():
        st.info("Write a coding query, e.g. `root_cause.economic AND root_cause.family`.")
        return
    try:
        result = coding_query(ctx.store, expression, scope, ctx.coder, _origins())  # type: ignore[arg-type]
    except ToolkitError as exc:
        st.error(md_escape(str(exc)))
        return
    one, two = st.columns(2)
    one.metric("Interviews", result.interviews)
    two.metric("Turns", result.segments)
    turns = pd.DataFrame(result.turns, columns=["document", "segment", "role", "codes", "text"])
    if not turns.empty:
        turns["codes"] = turns["codes"].map(", ".join)
    st.dataframe(turns, hide_index=True, width="stretch")
    show_transcript_link(result.documents, key="query_coding")


def _matrix_tab(ctx: Context) -> None:
    attributes = _attributes(ctx)
    if not attributes:
        st.info("No case attributes yet (`qda attributes import cases.csv`).")
        return
    attribute = st.selectbox("Attribute (columns)", attributes, key="matrix_attribute")
    count = st.radio("Count", ["interviews", "segments"], horizontal=True, key="matrix_count")
    try:
        exact = matrix_query(ctx.store, attribute, coder=ctx.coder, origins=_origins())
    except ToolkitError as exc:
        st.error(md_escape(str(exc)))
        return
    frames = protected_matrix_query(exact, attribute, ctx.min_cell)  # small groups merged, small cells left empty
    merged = list(frames["interviews"].attrs["merged"])
    totals = frames["totals"].iloc[0]
    st.plotly_chart(
        matrix_heatmap(frames[count], totals, attribute, ctx.names, count),
        key="matrix_chart",
        width="stretch",
        config={"displaylogo": False},
    )
    shown_totals = ", ".join(f"{k}: {'-' if v is None else v}" for k, v in totals.items())
    st.caption("Interviews per value: " + md_escape(shown_totals))
    st.caption(md_escape(frames["interviews"].attrs["suppression"]))
    st.subheader("Open a cell")
    st.caption("Choose a cell's code and value to read the quotes behind its count.")
    one, two = st.columns(2)
    code = one.selectbox(
        "Code", list(frames[count].index), key="matrix_code", format_func=lambda c: ctx.names.get(c, c)
    )
    value = two.selectbox("Value", [str(v) for v in frames[count].columns], key="matrix_value")
    with st.expander("The matrix as a table"):
        st.dataframe(frames[count], width="stretch")
    if frames["interviews"].loc[code, value] is None:
        st.info("This cell counts too few people to show, so its quotes are not shown either.")
        return
    values = merged if merged and value not in exact["interviews"].columns else [value]
    quotes = pd.concat(
        [matrix_cell_quotes(ctx.store, attribute, v, code, ctx.coder, _origins()) for v in values], ignore_index=True
    )
    st.metric("Quotes in this cell", len(quotes))
    show_quotes(quotes, key="matrix_quotes")


def _cooccurrence_tab(ctx: Context) -> None:
    codes = st.multiselect(
        "Codes (default: all)", sorted(ctx.names), key="cooc_codes", format_func=lambda c: ctx.names.get(c, c)
    )
    scope = st.radio("Both in the same", ["turn", "interview"], horizontal=True, key="cooc_scope")
    frame = cooccurrence(ctx.store, codes or None, scope, ctx.coder, _origins())  # type: ignore[arg-type]
    st.dataframe(frame, width="stretch")


def _words_tab(ctx: Context) -> None:
    groups = sorted({c.split(".", 1)[0] for c in ctx.names})
    how = st.radio("Passages of", ["a code group", "codes"], horizontal=True, key="words_how")
    if how == "codes":
        codes = st.multiselect("Codes", sorted(ctx.names), key="words_codes", format_func=lambda c: ctx.names.get(c, c))
        group = None
        if not codes:
            st.info("Choose one or more codes.")
            return
    else:
        codes = []
        group = st.selectbox("Code group", groups, key="words_group")
    top = st.slider("How many words", 5, 100, 30, key="words_top")
    frame = word_frequencies(ctx.store, codes or None, group, top=top, coder=ctx.coder, origins=_origins())
    st.dataframe(frame, hide_index=True, width="stretch")


def queries_page() -> None:
    """Coding query, matrix query, co-occurrence and word frequency."""
    ctx = context()
    st.title("Queries")
    _note(ctx)
    coding, matrix, cooc, words = st.tabs(["Coding query", "Matrix", "Co-occurrence", "Word frequency"])
    with coding:
        _coding_tab(ctx)
    with matrix:
        _matrix_tab(ctx)
    with cooc:
        _cooccurrence_tab(ctx)
    with words:
        _words_tab(ctx)
