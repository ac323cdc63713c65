"""The codebook page: codes, definitions, colours."""

from __future__ import annotations

import streamlit as st

from toolkit.analysis import findings as analysis
from toolkit.coding.codebook import list_codes
from toolkit.ui.components import (
    caption,
)
from toolkit.ui.highlight import md_escape
from toolkit.ui.state import context


def codebook_page() -> None:
    """Codes with definitions, examples and how often they are used."""
    ctx = context()
    st.title("Codebook")
    caption(ctx)
    prevalence = analysis.code_prevalence(ctx.codings, ctx.cases).set_index("code")
    for code in list_codes(ctx.store):
        count = int(prevalence["interviews"].get(code.id, 0)) if not prevalence.empty else 0
        with st.expander(md_escape(f"{code.name} ({code.id}) - {count} interviews")):
            st.text(code.definition)
            if code.include:
                st.text("Include: " + " | ".join(code.include))
            if code.exclude:
                st.text("Exclude: " + " | ".join(code.exclude))
            st.text("Examples: " + " | ".join(code.examples))
            st.text("Keywords: " + ", ".join(code.keywords))
