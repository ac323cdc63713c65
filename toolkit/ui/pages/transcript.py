"""The transcript page: one interview, its turns and codings, and hand coding."""

from __future__ import annotations

import streamlit as st

from toolkit.analysis.status import document_segments
from toolkit.corpus.language import LANGUAGE_NAMES
from toolkit.suggest.suggestions import suggestion_rows
from toolkit.ui.components import (
    caption,
    show_html,
)
from toolkit.ui.highlight import Span, highlight_html, md_escape, safe_text
from toolkit.ui.state import context


def transcript_page() -> None:
    """A transcript's turns with coded spans in the code's colour; suggestions shown apart."""
    ctx = context()
    st.title("Transcript")
    caption(ctx)
    names = sorted(ctx.all_cases["document"])
    if not names:
        st.info("No documents yet.")
        return
    wanted = st.session_state.get("transcript_document") or st.query_params.get("document")
    index = names.index(wanted) if wanted in names else 0
    name = st.selectbox("Document", names, index=index, key="transcript_select")
    language = ctx.languages.get(name, "")
    st.caption(f"Language: {md_escape(LANGUAGE_NAMES.get(language, language) or 'unknown')} ({md_escape(language)})")
    segments = document_segments(ctx.store, name)
    codings = ctx.codings[ctx.codings["document"] == name]
    suggestions = suggestion_rows(ctx.store, [name], status=None)
    by_position: dict[int, list[dict]] = {}
    for row in suggestions:
        by_position.setdefault(row["position"], []).append(row)
    legend = " ".join(
        f'<span style="border-bottom:3px solid {ctx.colours.get(c, "#888888")}">{safe_text(ctx.names.get(c, c))}</span>'
        for c in sorted(set(codings["code"]))
    )
    if legend:
        show_html(legend)  # built from escaped text only (safe_text); st.html applies no Markdown
    for segment in segments:
        spans = [
            Span(
                max(0, int(row.start) - segment["start"]),
                min(segment["end"], int(row.end)) - segment["start"],
                row.code,
                ctx.colours.get(row.code, "#888888"),
                row.coder,
            )
            for row in codings.itertuples()
            if row.start < segment["end"] and row.end > segment["start"]
        ]
        speaker = safe_text(segment["speaker_label"] or segment["role"])
        body = highlight_html(segment["text"], spans)  # escapes the transcript text
        show_html(f'<p lang="{safe_text(language)}"><b>{speaker}</b> &nbsp; {body}</p>')
        for row in by_position.get(segment["position"], []):
            name = md_escape(ctx.names.get(row["code"], row["code"]))
            st.caption(f"suggested: {name} p={row['probability']:.2f} ({row['status']})")
