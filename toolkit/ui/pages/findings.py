"""The findings pages: overview, root causes, recruitment, contracts, awareness, quotes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from toolkit.analysis import findings as analysis
from toolkit.analysis import plots
from toolkit.analysis.disclosure import (
    protected_awareness,
    protected_code_by_attribute,
    protected_composition,
    protected_cooccurrence,
    protected_counts,
    protected_funnel,
    reveals_few,
)
from toolkit.analysis.estimates import display_table, next_to_code
from toolkit.analysis.estimates_store import coded_documents, store_estimates, unfamiliar_lines
from toolkit.analysis.status import project_status
from toolkit.studies import report_doc, snapshot
from toolkit.studies.report_doc import with_scope
from toolkit.ui.components import (
    caption,
    chart_with_drill,
    clicked_target,
    nothing_to_show,
    show_quotes,
)
from toolkit.ui.highlight import md_escape
from toolkit.ui.state import Context, context


def _share(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


def _metric(column, label: str, value: str, share: float | None = None) -> None:
    """A count with its share shown beside it, neutral (a share is not a change); the value shown verbatim."""
    column.metric(label, md_escape(value), _share(share), delta_color="off", delta_arrow="off")


def _count_metric(ctx: Context, column, label: str, count: int | None, n: int, share: float | None = None) -> None:
    """Show "count of n", unless the sidebar's filters make it a number about one or two people of a subgroup.

    Unfiltered, the numbers are the study's own findings (the report's); filtered to, say, women, "1 of 13
    checked the employer" is the cell the by-gender chart hides, so it is not shown here either.
    """
    if count is None or (ctx.filters and reveals_few(count, n, ctx.min_cell)):
        column.metric(label, "not shown")
        column.caption(f"Fewer than {ctx.min_cell} people (or all but so few) in this filtered view.")
        return
    _metric(column, label, f"{count} of {n}", share)


def _too_few_in_view(ctx: Context) -> bool:
    """Say so and show no finding when the filters leave 1..min_cell-1 interviews (each number is a person)."""
    n, min_cell = len(ctx.cases), ctx.min_cell
    if ctx.filters and 0 < n < min_cell:
        st.info(
            f"The filters leave {n} interview(s), fewer than {min_cell}: every number here would describe "
            "one or two people, so no finding is shown. Choose fewer filters in the sidebar."
        )
        return True
    return False


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
        frame = protected_composition(ctx.cases, attribute, ctx.min_cell)
        if not frame.empty:
            figure = with_scope(plots.composition_figure(frame, attribute), f"Counting {ctx.coder_text}")
            columns[index % 2].plotly_chart(figure, width="stretch")
            columns[index % 2].caption(md_escape(frame.attrs["suppression"]))
    _estimates(ctx)


def _estimates(ctx: Context) -> None:
    """Root causes counted in the coded interviews and ESTIMATED for the uncoded ones, when some are uncoded."""
    coded = set(coded_documents(ctx.store, ctx.coder))
    uncoded = [d for d in ctx.all_cases["document"].astype(str) if d not in coded]
    if not coded or not uncoded:
        return
    st.subheader("Root causes: estimate before coding is finished")
    st.caption(
        f"{len(coded)} interviews coded by {md_escape(ctx.coder_text)}, {len(uncoded)} not yet. For those, the "
        "suggestion model estimates how many have each root cause: an estimate with a 90 % interval, not a count."
    )
    key = f"estimates::{ctx.url}::{ctx.coder}"
    if st.button("Estimate the uncoded interviews", key="estimate_uncoded"):
        with st.spinner("Fitting the suggestion model on the coded interviews..."):
            result = store_estimates(ctx.store, coder=ctx.coder)
        estimates = result["estimates"]
        estimates = estimates[estimates["code"].str.startswith(snapshot.ROOT_CAUSE_PREFIX)]
        following = next_to_code(result["interviews"], list(estimates["code"]))
        st.session_state[key] = (estimates, following, unfamiliar_lines(result["unfamiliar"], len(uncoded)))
    if key in st.session_state:
        estimates, following, unlike = st.session_state[key]
        st.markdown("**Estimate** (not a count): coded so far, plus the model's estimate for the uncoded interviews")
        st.dataframe(display_table(estimates, ctx.names), width="stretch", hide_index=True)
        if following:
            st.markdown(f"**Code next: {md_escape(following)}** (narrows these estimates most)")
        for line in unlike:
            st.caption(md_escape(line[0].upper() + line[1:]))


def root_causes_page() -> None:
    """Prevalence of each root cause, by gender and exploitation type, and co-occurrence."""
    ctx = context()
    st.title("Root causes of vulnerability")
    caption(ctx)
    if _too_few_in_view(ctx) or nothing_to_show(ctx):
        return
    prevalence = _prefixed(analysis.code_prevalence(ctx.codings, ctx.cases), snapshot.ROOT_CAUSE_PREFIX)
    education = prevalence[prevalence["code"] == snapshot.EDUCATION_CODE]
    if not education.empty:
        row = education.iloc[0]
        _count_metric(
            ctx,
            st,
            "Forced to change careers by low pay in their field (education)",
            int(row["interviews"]),
            len(ctx.cases),
            row["share"],
        )
    shown = protected_counts(prevalence, len(ctx.cases), ctx.min_cell) if ctx.filters else prevalence
    chart_with_drill(
        plots.prevalence_figure(shown, ctx.colours, ctx.names, n=len(ctx.cases)),
        key="rc_prevalence",
        group="rc",
        scope=ctx.coder_text,
    )
    codes = list(prevalence["code"])
    _by_attribute_charts(ctx, codes, "rc")
    together = analysis.cooccurrence(ctx.codings, codes)
    chart_with_drill(
        plots.cooccurrence_figure(
            protected_cooccurrence(together, len(ctx.cases), ctx.min_cell) if ctx.filters else together,
            ctx.colours,
            ctx.names,
        ),
        key="rc_cooccurrence",
        group="rc",
        scope=ctx.coder_text,
    )
    _drill(ctx, codes, "rc")


def _by_attribute_charts(ctx: Context, codes: list[str], group: str) -> None:
    """The codes by any case attribute (gender and exploitation type first), each group labelled with its size.

    Groups under :data:`~toolkit.studies.report_doc.MIN_GROUP` interviews are marked "small" on the chart.
    """
    options = [c for c in ctx.cases.columns if c != "document"]
    default = [a for a in ("gender", "exploitation_type") if a in options]
    chosen = st.multiselect(
        "Compare by", options, default=default, key=f"{group}_compare", format_func=lambda a: a.replace("_", " ")
    )
    for attribute in chosen:
        frame = protected_code_by_attribute(ctx.codings, ctx.cases, attribute, codes, ctx.min_cell)
        small = report_doc.small_groups_shown(frame)
        figure = report_doc.mark_small_groups(
            plots.by_attribute_figure(frame, ctx.colours, attribute, ctx.names), small
        )
        chart_with_drill(figure, key=f"{group}_{attribute}", group=group, scope=ctx.coder_text)
        st.caption(md_escape(frame.attrs["suppression"]))
        if small:
            st.caption(
                f"Groups under {report_doc.MIN_GROUP} interviews are marked 'small': read their shares with care."
            )


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
        show_quotes(
            analysis.drill_quotes(ctx.codings, ctx.cases, **target), key=f"{group}_quotes", languages=ctx.languages
        )
        return
    if fallback is not None:
        st.caption("Click a bar to see the quotes behind it.")
        show_quotes(fallback, key=f"{group}_quotes", languages=ctx.languages)
        return
    if not codes:
        return
    st.caption("Click a bar or cell above, or choose a code.")
    code = st.selectbox("Code", codes, key=f"{group}_code", format_func=lambda c: ctx.names.get(c, c))
    show_quotes(analysis.quotes_for(ctx.codings, code), key=f"{group}_quotes", languages=ctx.languages)


def recruitment_page() -> None:
    """Recruitment methods, overall and by gender and exploitation type."""
    ctx = context()
    st.title("Recruitment methods")
    caption(ctx)
    if _too_few_in_view(ctx) or nothing_to_show(ctx):
        return
    counts = analysis.recruitment_counts(ctx.codings, ctx.cases)
    if counts.empty:
        st.info(f"Nothing to show: no recruitment codes by {md_escape(ctx.coder_text)} in these interviews.")
        return
    top = counts.iloc[0]
    many = not (ctx.filters and reveals_few(int(top["interviews"]), len(ctx.cases), ctx.min_cell))
    st.metric(
        "Most common method",
        md_escape(ctx.names.get(top["code"], top["code"])),
        f"{int(top['interviews'])} interviews" if many else "count not shown",
    )
    chart_with_drill(
        plots.recruitment_figure(
            protected_counts(counts, len(ctx.cases), ctx.min_cell) if ctx.filters else counts,
            ctx.colours,
            ctx.names,
            n=len(ctx.cases),
        ),
        key="rec_counts",
        group="rec",
        scope=ctx.coder_text,
    )
    codes = list(counts["code"])
    _by_attribute_charts(ctx, codes, "rec")
    _drill(ctx, codes, "rec")


def contracts_page() -> None:
    """Signed -> received a copy, the employer checked, substituted and promised-later contracts."""
    ctx = context()
    st.title("Contracts and vetting")
    caption(ctx)
    if _too_few_in_view(ctx):
        return
    exact = snapshot.contract_funnel(ctx.cases, ctx.codings)
    funnel = protected_funnel(exact, ctx.min_cell) if ctx.filters else exact  # filtered: a breakdown, so protected
    a, b, c = st.columns(3)
    _count_metric(ctx, a, "Signed documents", funnel["signed"], funnel["n"], funnel.get("signed_share"))
    _count_metric(
        ctx,
        b,
        "Received their copy (of those who signed)",
        funnel["received"],
        exact["signed"],
        funnel["received_share_of_signed"],
    )
    _count_metric(
        ctx,
        c,
        "Checked the employer with the authorities (of those who signed)",
        funnel["checked_employer"],
        exact["signed"],
        funnel["checked_employer_share"],
    )
    chart_with_drill(
        plots.contract_funnel_figure(funnel, ctx.colours),
        key="contracts_funnel",
        group="contracts",
        scope=ctx.coder_text,
    )
    substituted, promised = (
        "not shown" if funnel[k] is None else f"{funnel[k]} interviews" for k in ("substituted", "promised")
    )
    st.write(f"Substituted contracts: {substituted}; contract promised for later: {promised}.")
    codes = [c for c in ctx.names if c.startswith(snapshot.CONTRACT_PREFIX)]
    if not nothing_to_show(ctx):
        _drill(ctx, codes, "contracts")


def awareness_page() -> None:
    """Had they heard of trafficking, from where, and did they think it could happen to them."""
    ctx = context()
    st.title("Awareness of trafficking")
    caption(ctx)
    if _too_few_in_view(ctx):
        return
    aware = snapshot.awareness(ctx.cases, ctx.codings)
    _count_metric(ctx, st, "Had heard of trafficking before", aware["heard"], aware["n"], aware["share"])
    shown = protected_awareness(aware, ctx.min_cell) if ctx.filters else aware
    chart_with_drill(
        plots.awareness_figure(shown, ctx.colours), key="awareness_chart", group="awareness", scope=ctx.coder_text
    )
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
    show_quotes(quotes, key="quotes_all", limit=500, languages=ctx.languages)
