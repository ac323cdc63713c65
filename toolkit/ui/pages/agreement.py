"""The agreement page: coder vs coder and model vs reviewer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from toolkit.analysis import findings as analysis
from toolkit.store.models import MODEL_CODER
from toolkit.ui.highlight import md_escape
from toolkit.ui.state import context


def agreement_page() -> None:
    """Agreement between coders (the model counts as one) and the disagreement list."""
    from toolkit.analysis.agreement_store import compute_agreement, disagreement_rows, disagreements_csv

    ctx = context()
    st.title("Agreement")
    options = [*ctx.coders, *([MODEL_CODER] if MODEL_CODER not in ctx.coders else [])]
    chosen = st.multiselect("Coders", options, default=options[:2], key="agreement_coders")
    unit = st.radio("Unit", ["respondent", "all"], horizontal=True, key="agreement_unit")
    if len(chosen) < 2:
        st.info("Choose at least two coders.")
        return
    if st.button("Compute agreement", key="agreement_compute"):
        st.session_state["agreement_table"] = compute_agreement(ctx.store, chosen, unit=unit)
        st.session_state["agreement_rows"] = disagreement_rows(ctx.store, chosen, unit=unit)
    table = st.session_state.get("agreement_table")
    if not table:
        return
    st.caption(f"Unit: {md_escape(table['unit'])}; coders: {md_escape(', '.join(table['coders']))}")
    st.dataframe(analysis.agreement_table_frame(table), width="stretch")
    rows = st.session_state.get("agreement_rows", [])
    st.subheader(f"Disagreements ({len(rows)})")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.download_button("Disagreements as CSV", disagreements_csv(rows), "disagreements.csv", "text/csv")
