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
    _learning_curve_section(ctx)
    _per_code_section(ctx)
    st.header("Coder against coder")
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


def _learning_curve_section(ctx) -> None:
    """How many interviews to code by hand: suggestion quality after 1, 2, 4 ... coded interviews."""
    from toolkit.suggest.evaluate import evaluate
    from toolkit.suggest.learning_curve import reading_sentence

    st.header("How many interviews to code by hand?")
    st.caption(
        "The model learns from the first n interviews of a random order (several orders) and is scored against "
        "the reference coder on all the others (n = 0: the codebook alone, the baseline to beat). 'Turns right' "
        "is the share of the remaining turns whose suggested codes are exactly the coder's (no code included): "
        "decisions suggestions would have made."
    )
    people = [c for c in ctx.coders if c != MODEL_CODER]
    if not people:
        st.info("No coder has coded anything yet.")
        return
    left, right = st.columns(2)
    coder = left.selectbox("Reference coder", people, key="curve_coder")
    orders = right.number_input("Random orders", min_value=1, max_value=20, value=3, key="curve_orders")
    if st.button("Compute learning curve", key="curve_compute"):
        with st.spinner("Fitting the model on growing sets of coded interviews..."):
            st.session_state["learning_curve"] = evaluate(ctx.store, coder, "learning-curve", orders=int(orders))
    curve = st.session_state.get("learning_curve")
    if not curve:
        return
    rows = []
    for point in curve["points"]:
        row: dict[str, object] = {"coded interviews": point["coded_interviews"]}
        for metric, label in (
            ("micro_f1", "micro-F1"),
            ("macro_f1", "macro-F1"),
            ("micro_precision", "precision"),
            ("micro_recall", "recall"),
            ("decisions_right", "turns right"),
        ):
            m = point[metric]
            row[label] = m["mean"]
            row[f"{label} range"] = f"{m['min']:.2f}-{m['max']:.2f}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    st.caption(
        f"{curve['documents']} interviews coded by {md_escape(curve['gold_coder'])}; "
        f"{curve['orders']} random orders; mean and range."
    )
    st.line_chart(frame.set_index("coded interviews")[["micro-F1", "macro-F1", "turns right"]])
    st.dataframe(frame, hide_index=True, width="stretch")
    reading = curve.get("reading")
    if reading:
        sentence = "0 coded interviews is the codebook alone. " + reading_sentence(reading) + "."
        (st.warning if reading["below_codebook"] else st.caption)(sentence)


def _per_code_section(ctx) -> None:
    """Which codes' suggestions to trust: each code scored on interviews the model did not learn from."""
    from toolkit.suggest.evaluate import evaluate
    from toolkit.suggest.report import interval_text, per_code_rows

    coder = st.session_state.get("curve_coder")
    if not coder:
        return
    st.subheader("Suggestions per code")
    st.caption(
        "Each interview is scored by a model that learnt from the others (leave one interview out), against "
        "the reference coder above. The interval (95 %, resampling whole interviews) shows how much each F1 "
        "could move with other interviews: a code with few coded turns has a wide one, and its F1 says little."
    )
    if st.button("Score each code", key="per_code_compute"):
        with st.spinner("Fitting one model per interview..."):
            st.session_state["per_code_report"] = evaluate(ctx.store, coder, "cross-validated")
    report = st.session_state.get("per_code_report")
    if not report:
        return
    interval = report["micro_f1_interval"]
    st.caption(
        f"All codes: micro-F1 {report['micro_f1']:.3f}"
        + ("" if interval is None else f" ({interval_text(interval)})")
        + f", {report['documents']} interviews coded by {md_escape(report['gold_coder'])}; weakest codes first."
    )
    st.dataframe(pd.DataFrame(per_code_rows(report)), hide_index=True, width="stretch")
