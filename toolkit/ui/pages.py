"""The dashboard's pages. Each reads its widgets, calls toolkit functions and renders what they return."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from toolkit import analysis, plots
from toolkit.codebook import list_codes
from toolkit.codings import export_codings
from toolkit.errors import ToolkitError
from toolkit.io.csv_safe import frame_to_csv
from toolkit.review import (
    AlreadyDecidedError,
    add_coder,
    add_coding,
    add_memo,
    decide,
    explanation_lines,
    suggestion_context,
    undo_last,
)
from toolkit.status import document_segments, project_status
from toolkit.suggestions import MODEL_CODER, review_queue, suggestion_rows
from toolkit.ui.components import (
    caption,
    chart_with_drill,
    clicked_target,
    nothing_to_show,
    show_html,
    show_quotes,
)
from toolkit.ui.highlight import Span, highlight_html, md_escape, safe_text
from toolkit.ui.state import Context, context, keep, remember, remember_widget

__all__ = [
    "agreement_page",
    "awareness_page",
    "codebook_page",
    "contracts_page",
    "export_page",
    "overview_page",
    "quotes_page",
    "recruitment_page",
    "review_page",
    "root_causes_page",
    "transcript_page",
]

ROOT_CAUSES = "root_cause."
EDUCATION = "root_cause.education"


def _share(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


def _metric(column, label: str, value: str, share: float | None = None) -> None:
    """A count with its share shown beside it, neutral (a share is not a change); the value shown verbatim."""
    column.metric(label, md_escape(value), _share(share), delta_color="off", delta_arrow="off")


def _prefixed(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return frame[frame["code"].str.startswith(prefix)]


def overview_page() -> None:
    """Interviews, segments, coverage, who coded what, and the composition of the sample."""
    ctx = context()
    st.title("Overview")
    caption(ctx)
    status = project_status(ctx.store)
    coverage = analysis.coded_coverage(ctx.codings, status["segments_by_role"].get("respondent", 0))
    a, b, c, d = st.columns(4)
    a.metric("Interviews", len(ctx.cases))
    b.metric("Segments", status["segments"])
    _metric(c, "Respondent turns coded", f"{coverage['coded']} of {coverage['total']}", coverage["share"])
    d.metric("Codings counted", len(ctx.codings))
    st.subheader("Who coded what")
    st.dataframe(analysis.codings_by_coder(status["codings_per_code"]), width="stretch")
    st.subheader("Composition")
    columns = st.columns(2)
    for index, attribute in enumerate(("gender", "age_group", "exploitation_type", "destination")):
        frame = analysis.composition(ctx.cases, attribute)
        if not frame.empty:
            columns[index % 2].plotly_chart(plots.composition_figure(frame, attribute), width="stretch")


def root_causes_page() -> None:
    """Prevalence of each root cause, by gender and exploitation type, and co-occurrence."""
    ctx = context()
    st.title("Root causes of vulnerability")
    caption(ctx)
    if nothing_to_show(ctx):
        return
    prevalence = _prefixed(analysis.code_prevalence(ctx.codings, ctx.cases), ROOT_CAUSES)
    education = prevalence[prevalence["code"] == EDUCATION]
    if not education.empty:
        row = education.iloc[0]
        _metric(
            st,
            "Forced to change careers by low pay in their field (education)",
            f"{int(row['interviews'])} of {len(ctx.cases)}",
            row["share"],
        )
    chart_with_drill(
        plots.prevalence_figure(prevalence, ctx.colours, ctx.names, n=len(ctx.cases)), key="rc_prevalence", group="rc"
    )
    codes = list(prevalence["code"])
    _by_attribute_charts(ctx, codes, "rc")
    chart_with_drill(
        plots.cooccurrence_figure(analysis.cooccurrence(ctx.codings, codes), ctx.colours, ctx.names),
        key="rc_cooccurrence",
        group="rc",
    )
    _drill(ctx, codes, "rc")


def _by_attribute_charts(ctx: Context, codes: list[str], group: str) -> None:
    """The codes by gender and by exploitation type, each group labelled with its size."""
    for attribute in ("gender", "exploitation_type"):
        if attribute not in ctx.cases:
            continue
        frame = analysis.code_by_attribute(ctx.codings, ctx.cases, attribute, codes)
        figure = plots.by_attribute_figure(frame, ctx.colours, attribute, ctx.names)
        chart_with_drill(figure, key=f"{group}_{attribute}", group=group)


def _describe(ctx: Context, target: dict) -> str:
    """Words for a clicked chart element (escaped for Markdown)."""
    codes = " and ".join(ctx.names.get(c, c) for c in target.get("codes") or []) or "every code"
    where = ""
    if target.get("attribute"):
        where = f" where {str(target['attribute']).replace('_', ' ')} is {target['value']}"
    both = " (interviews with both)" if target.get("together") else ""
    return md_escape(f"{codes}{where}{both}")


def _drill(ctx: Context, codes: list[str], group: str, fallback: pd.DataFrame | None = None) -> None:
    """Quotes behind the clicked chart element, else behind a code chosen from the list (or ``fallback``)."""
    st.subheader("Quotes behind the numbers")
    target = clicked_target(group)
    if target:
        st.caption(f"Clicked: {_describe(ctx, target)}. Click another bar or cell to change; double-click to clear.")
        show_quotes(analysis.drill_quotes(ctx.codings, ctx.cases, **target), key=f"{group}_quotes")
        return
    if fallback is not None:
        st.caption("Click a bar to see the quotes behind it.")
        show_quotes(fallback, key=f"{group}_quotes")
        return
    if not codes:
        return
    st.caption("Click a bar or cell above, or choose a code.")
    code = st.selectbox("Code", codes, key=f"{group}_code", format_func=lambda c: ctx.names.get(c, c))
    show_quotes(analysis.quotes_for(ctx.codings, code), key=f"{group}_quotes")


def recruitment_page() -> None:
    """Recruitment methods, overall and by gender and exploitation type."""
    ctx = context()
    st.title("Recruitment methods")
    caption(ctx)
    if nothing_to_show(ctx):
        return
    counts = analysis.recruitment_counts(ctx.codings, ctx.cases)
    if counts.empty:
        st.info(f"Nothing to show: no recruitment codes by {md_escape(ctx.coder_text)} in these interviews.")
        return
    top = counts.iloc[0]
    st.metric(
        "Most common method", md_escape(ctx.names.get(top["code"], top["code"])), f"{int(top['interviews'])} interviews"
    )
    chart_with_drill(
        plots.recruitment_figure(counts, ctx.colours, ctx.names, n=len(ctx.cases)), key="rec_counts", group="rec"
    )
    codes = list(counts["code"])
    _by_attribute_charts(ctx, codes, "rec")
    _drill(ctx, codes, "rec")


def contracts_page() -> None:
    """Signed -> received a copy, the employer checked, substituted and promised-later contracts."""
    ctx = context()
    st.title("Contracts and vetting")
    caption(ctx)
    funnel = analysis.contract_funnel(ctx.cases, ctx.codings)
    a, b, c = st.columns(3)
    _metric(a, "Signed documents", f"{funnel['signed']} of {funnel['n']}", funnel.get("signed_share"))
    _metric(
        b,
        "Received their copy (of those who signed)",
        f"{funnel['received']} of {funnel['signed']}",
        funnel["received_share_of_signed"],
    )
    _metric(
        c,
        "Checked the employer with the authorities (of those who signed)",
        f"{funnel['checked_employer']} of {funnel['signed']}",
        funnel["checked_employer_share"],
    )
    chart_with_drill(plots.contract_funnel_figure(funnel, ctx.colours), key="contracts_funnel", group="contracts")
    st.write(
        f"Substituted contracts: {funnel['substituted']} interviews; contract promised for later: "
        f"{funnel['promised']} interviews."
    )
    codes = [c for c in ctx.names if c.startswith("contract.")]
    if not nothing_to_show(ctx):
        _drill(ctx, codes, "contracts")


def awareness_page() -> None:
    """Had they heard of trafficking, from where, and did they think it could happen to them."""
    ctx = context()
    st.title("Awareness of trafficking")
    caption(ctx)
    aware = analysis.awareness(ctx.cases, ctx.codings)
    _metric(st, "Had heard of trafficking before", f"{aware['heard']} of {aware['n']}", aware["share"])
    chart_with_drill(plots.awareness_figure(aware, ctx.colours), key="awareness_chart", group="awareness")
    _drill(ctx, [], "awareness", fallback=aware["quotes"])


def quotes_page() -> None:
    """Every quote for the chosen codes and documents."""
    ctx = context()
    st.title("Quotes")
    caption(ctx)
    codes = sorted(ctx.names)
    chosen = st.multiselect("Codes", codes, format_func=lambda c: ctx.names.get(c, c), key="quotes_codes")
    documents = st.multiselect("Documents", sorted(ctx.cases["document"]), key="quotes_docs")
    quotes = analysis.quotes_for(ctx.codings, chosen or None, documents or None)
    st.write(f"{len(quotes)} quotes")
    show_quotes(quotes, key="quotes_all", limit=500)


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
        show_html(f"<p><b>{speaker}</b> &nbsp; {body}</p>")
        for row in by_position.get(segment["position"], []):
            name = md_escape(ctx.names.get(row["code"], row["code"]))
            st.caption(f"suggested: {name} p={row['probability']:.2f} ({row['status']})")


def _add_reviewer(ctx: Context, reviewers: list[str]) -> None:
    """Let a new reviewer add themselves (an audited action: ``coder.add`` by that reviewer)."""
    with st.expander("New reviewer? Add yourself", expanded=not reviewers):
        name = st.text_input("Your name", key="review_new_reviewer")
        if st.button("Add me as a reviewer", key="review_add_reviewer"):
            try:
                add_coder(ctx.store, name.strip(), actor=name.strip() or "system")
                st.session_state["review_pending_reviewer"] = name.strip()
                st.session_state["review_message"] = f"Reviewer {name.strip()} added."
            except ToolkitError as exc:
                st.session_state["review_message"] = str(exc)
            st.rerun()


def _review_card(ctx: Context, item: dict) -> None:
    """The suggestion with the turns around it, shown verbatim."""
    st.subheader(f"{md_escape(ctx.names.get(item['code'], item['code']))} - probability {item['probability']:.2f}")
    st.caption(f"{md_escape(item['document'])}, turn {item['segment']['position']} - suggestion {item['id']}")
    for turn in item["before"]:
        st.text(f"{turn['speaker'] or turn['role']}: {turn['text']}")
    show_html(
        f"<p><b>{safe_text(item['segment']['speaker'] or 'Respondent')}:</b> {safe_text(item['segment']['text'])}</p>"
    )
    for turn in item["after"]:
        st.text(f"{turn['speaker'] or turn['role']}: {turn['text']}")
    with st.expander("Why this suggestion", expanded=True):
        for line in explanation_lines(item["explanation"]):
            st.text(line)


def _decide(ctx: Context, reviewer: str, item: dict) -> None:
    """Accept, reject, change, adjust or skip the card; every input is keyed by the suggestion's id.

    Keying by id gives each card fresh inputs: a span or a "Change to" code chosen on one card can never
    be applied to the next. The new code is a row of pills (buttons): Streamlit ignores shortcut keys while
    any <input> has the focus, and a selectbox or a radio keeps it after a choice, so E did nothing.
    """
    sid = item["id"]
    codes = sorted(ctx.names)
    a, r, c, n = st.columns(4)  # the buttons, drawn above the choices below
    with st.expander("Change to another code (choose one, then E or Change code)"):
        new_code = st.pills(
            "Change to",
            codes,
            selection_mode="single",
            key=f"review_new_code_{sid}",
            format_func=lambda x: md_escape(ctx.names.get(x, x)),
        )
    action = None
    if a.button("Accept", key="review_accept", type="primary", shortcut="a"):
        action = ("accept", None)
    if r.button("Reject", key="review_reject", shortcut="d"):
        action = ("reject", None)
    if c.button("Change code", key="review_change", shortcut="e"):
        action = ("change", new_code)
    if n.button("Skip", key="review_skip", shortcut="n", help="Decide later; it stays open for everyone."):
        st.session_state.setdefault("review_skipped", []).append(sid)
        st.session_state["review_message"] = f"Skipped suggestion {sid}."
        st.rerun()
    with st.expander("Accept a narrower or wider span"):
        left, right, go = st.columns(3)
        start = left.number_input("start", value=item["start"], step=1, key=f"review_start_{sid}")
        end = right.number_input("end", value=item["end"], step=1, key=f"review_end_{sid}")
        if go.button("Accept with this span", key="review_adjust"):
            action = ("adjust", None)
    with st.expander("Add another code or a memo"):
        other = st.selectbox(
            "Another code for this turn",
            codes,
            index=None,
            placeholder="choose a code",
            key=f"review_add_code_{sid}",
            format_func=lambda x: ctx.names.get(x, x),
        )
        if st.button("Add this code to the turn", key="review_add_coding"):
            _act(
                lambda: add_coding(ctx.store, reviewer, item["document"], item["start"], item["end"], other),
                f"Added {other} to turn {item['segment']['position']}." if other else "",
                other is not None,
            )
        memo = st.text_area("Memo on this interview", key=f"review_memo_{sid}")
        if st.button("Save memo", key="review_add_memo"):
            _act(lambda: add_memo(ctx.store, reviewer, "document", item["document"], memo), "Memo saved.", True)
    if action:
        if action[0] == "change" and not action[1]:
            st.session_state["review_message"] = "Choose the code to change to first (under Change to another code)."
            st.rerun()
        span = {"start": int(start), "end": int(end)} if action[0] == "adjust" else {}
        _act(
            lambda: decide(ctx.store, reviewer, sid, action[0], new_code=action[1], **span),
            f"{action[0]}: suggestion {sid} decided.",
            True,
        )


def _act(run, done: str, ready: bool) -> None:
    """Run one toolkit action, keep its outcome (or its error) for the next run's message, and rerun."""
    if not ready:
        st.session_state["review_message"] = "Choose a code first."
        st.rerun()
    try:
        run()
        st.session_state["review_message"] = done
    except (AlreadyDecidedError, ToolkitError) as exc:
        st.session_state["review_message"] = str(exc)
    st.rerun()


def review_page() -> None:
    """The review queue: one suggestion at a time with its context; accept, reject, change, skip, undo."""
    ctx = context()
    st.title("Review queue")
    st.caption(
        "Keys: a accept, d decline (reject), e change to the chosen code, n skip, u undo your last decision "
        "(r and c are Streamlit's own)."
    )
    reviewers = [c for c in ctx.coders if c != MODEL_CODER]
    _add_reviewer(ctx, reviewers)
    message = st.session_state.pop("review_message", None)
    if message:
        st.info(md_escape(message))
    if not reviewers:
        st.info("Add yourself as a reviewer above to start.")
        return
    pending = st.session_state.pop("review_pending_reviewer", None)
    if pending in reviewers:
        remember("reviewer", pending)
    keep("reviewer", reviewers)
    reviewer = st.selectbox("Reviewer", reviewers, key="reviewer", on_change=remember_widget, args=("reviewer",))
    remember("reviewer", reviewer)
    order = st.radio("Order", ["uncertainty", "document"], horizontal=True, key="review_order")
    skipped = st.session_state.setdefault("review_skipped", [])
    queue = [q for q in review_queue(ctx.store, order) if q["id"] not in skipped]
    st.write(f"{len(queue)} open suggestions" + (f" ({len(skipped)} skipped)" if skipped else ""))
    if skipped and st.button("Show the skipped ones again", key="review_unskip"):
        skipped.clear()
        st.rerun()
    if st.button("Undo my last decision", key="review_undo", shortcut="u"):
        undone = undo_last(ctx.store, reviewer)
        st.session_state["review_message"] = "Undone." if undone else "Nothing to undo."
        st.rerun()
    if not queue:
        return
    item = suggestion_context(ctx.store, queue[0]["id"])
    _review_card(ctx, item)
    _decide(ctx, reviewer, item)


def agreement_page() -> None:
    """Agreement between coders (the model counts as one) and the disagreement list."""
    from toolkit.agreement_store import compute_agreement, disagreement_rows, disagreements_csv

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
        lambda: frame_to_csv(analysis.code_attribute_matrix(ctx.codings, ctx.cases)),
        "code_by_attribute.csv",
        "text/csv",
        key="export_matrix",
    )
    st.download_button(
        "Report (JSON)",
        lambda: json.dumps(analysis.report(ctx.codings, ctx.cases, ctx.coder_text), indent=2),
        "report.json",
        "application/json",
        key="export_report",
    )
    st.caption(f"{len(ctx.codings)} codings of {len(ctx.cases)} interviews in the current selection.")
