"""The report a programme can hand to its donor: findings of the current view, evidence, codebook and method.

:func:`build_report` gathers everything from the frames the dashboard or the CLI already selected
(whose codings count, filters), so the report says exactly what the screen shows: the first page states
the view, every chart carries its n and the size of each group (groups under ``min_group`` marked, small
numbers merged or hidden as on the dashboard, :mod:`toolkit.analysis.disclosure`), the
quotes behind each number follow each chart, then the codebook and a method section (who coded,
agreement, how suggestions were used) and the date. :mod:`toolkit.studies.report_render` writes it as
self-contained HTML or Word.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import func, select

from toolkit.analysis import findings, plots
from toolkit.analysis.agreement import agreement_table
from toolkit.analysis.agreement_store import agreement_frame
from toolkit.analysis.disclosure import default_min_cell, protected_code_by_attribute, protected_composition
from toolkit.analysis.frames import load_code_names, load_colours
from toolkit.coding.blind import is_blind
from toolkit.store.engine import Store
from toolkit.store.models import MODEL_ORIGINS, Code, Coder, Coding, Project, Suggestion
from toolkit.studies import snapshot

__all__ = [
    "MIN_GROUP",
    "Report",
    "ReportChart",
    "ReportSection",
    "build_report",
    "mark_small_groups",
    "small_groups",
    "small_groups_shown",
    "with_scope",
]

MIN_GROUP = 5
"""Groups with fewer interviews than this are marked on charts: a share of 3 people says little."""
QUOTES_PER_NUMBER = 3


@dataclass
class ReportChart:
    """One chart: the figure, what it counts (n and group sizes), and the quotes behind its numbers."""

    title: str
    figure: go.Figure
    note: str
    quotes: list[tuple[str, list[dict[str, Any]], int]] = field(default_factory=list)  # (label, shown, total)


@dataclass
class ReportSection:
    """A heading with paragraphs, charts and an optional table (header row first)."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[ReportChart] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)


@dataclass
class Report:
    """The whole report, front-end neutral."""

    title: str
    created: str
    view: list[str]
    sections: list[ReportSection]


def _quotes(frame: pd.DataFrame, limit: int) -> tuple[list[dict[str, Any]], int]:
    rows = frame.drop_duplicates(["document", "quote"]) if not frame.empty else frame
    shown = [
        {"document": str(r["document"]), "segment": r["segment"], "quote": str(r["quote"])}
        for _, r in rows.head(limit).iterrows()
    ]
    return shown, len(rows)


def _group_note(sizes: pd.DataFrame, min_group: int) -> tuple[str, list[str]]:
    """Group sizes as shown (a protected composition: a hidden size says "not shown"), and the small groups."""
    pairs = list(zip(sizes["value"].astype(str), sizes["interviews"], strict=True))
    small = [v for v, n in pairs if pd.notna(n) and n < min_group]
    listed = ", ".join(f"{v}: {'not shown' if pd.isna(n) else int(n)}" for v, n in pairs)
    note = f"Group sizes (interviews): {listed}. {sizes.attrs.get('suppression', '').capitalize()}."
    if small:
        note += f" Groups under {min_group} interviews are marked 'small': read their shares with care."
    return note, small


def with_scope(figure: go.Figure, scope: str, fallback_title: str = "") -> go.Figure:
    """Put whose codings and which filters under the title, so the chart saved on its own says what it counts."""
    title = figure.layout.title.text or html.escape(fallback_title)
    subtitle = "<br>".join(html.escape(line) for line in textwrap.wrap(scope, 110))
    figure.update_layout(title_text=f"{title}<br><sup>{subtitle}</sup>", margin={"t": 110})
    return figure


def small_groups(cases: pd.DataFrame, attribute: str, min_group: int = MIN_GROUP) -> list[str]:
    """The values of ``attribute`` held by fewer than ``min_group`` interviews."""
    sizes = findings.composition(cases, attribute)
    return [str(v) for v, n in zip(sizes["value"], sizes["interviews"], strict=True) if n < min_group]


def small_groups_shown(frame: pd.DataFrame, min_group: int = MIN_GROUP) -> list[str]:
    """The groups of a by-attribute frame (``value``, ``n``) held by fewer than ``min_group`` interviews.

    Read from the frame as drawn, so a group made by small-number merging ("other (groups under 3)") is
    judged by its own size.
    """
    sizes = frame.drop_duplicates("value")
    return [str(v) for v, n in zip(sizes["value"], sizes["n"], strict=True) if pd.notna(n) and n < min_group]


def mark_small_groups(figure: go.Figure, small: list[str]) -> go.Figure:
    """Append ', small' to the n of each group under the threshold on the x axis labels (``female (n=3, small)``)."""
    if not small:
        return figure
    for trace in figure.data:
        if trace.x is None:
            continue
        labels = list(trace.x)
        trace.x = [
            f"{label[:-1]}, small)" if any(str(label).startswith(f"{v} (n=") for v in small) else label
            for label in labels
        ]
    return figure


def _groups(codes: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code in codes:
        out.setdefault(code.split(".")[0], []).append(code)
    return out


def _comparison_attributes(cases: pd.DataFrame, attributes: Sequence[str] | None) -> list[str]:
    """The attributes asked for, else the study's, else every attribute with 2 to 12 values."""
    if attributes:
        return [a for a in attributes if a in cases.columns]
    chosen = [a for a in snapshot.REPORT_ATTRIBUTES if a in cases.columns and cases[a].nunique() > 1]
    if chosen:
        return chosen
    return [a for a in cases.columns if a != "document" and 2 <= cases[a].nunique() <= 12]


def _findings_sections(
    codings: pd.DataFrame,
    cases: pd.DataFrame,
    colours: dict[str, str],
    names: dict[str, str],
    attributes: list[str],
    min_group: int,
    min_cell: int,
) -> list[ReportSection]:
    n = len(cases)
    sections = []
    composition = ReportSection("Who was interviewed")
    for attribute in attributes:
        frame = protected_composition(cases, attribute, min_cell)
        if frame.empty:
            continue
        note, _ = _group_note(frame, min_group)
        composition.charts.append(
            ReportChart(f"Interviews by {attribute.replace('_', ' ')}", plots.composition_figure(frame, attribute),
                        f"n = {n} interviews. {note}")
        )  # fmt: skip
    sections.append(composition)
    prevalence = findings.code_prevalence(codings, cases)
    for group, codes in _groups(list(prevalence["code"])).items():
        section = ReportSection(f"Findings: {group.replace('_', ' ')}")
        part = prevalence[prevalence["code"].isin(codes)]
        chart = ReportChart(
            f"Interviews in which each {group.replace('_', ' ')} code occurs",
            plots.prevalence_figure(part, colours, names, title=f"{group.replace('_', ' ').capitalize()} codes", n=n),
            f"n = {n} interviews; a code counts once per interview however often it was coded.",
        )
        for row in part.to_dict("records"):
            code = str(row["code"])
            shown, total = _quotes(findings.quotes_for(codings, code), QUOTES_PER_NUMBER)
            label = f"{names.get(code, code)}: {int(row['interviews'])} of {n} interviews"
            chart.quotes.append((label, shown, total))
        section.charts.append(chart)
        for attribute in attributes:
            frame = protected_code_by_attribute(codings, cases, attribute, codes, min_cell)
            if frame.empty:
                continue
            note, _ = _group_note(protected_composition(cases, attribute, min_cell), min_group)
            note += f" Cells: {frame.attrs['suppression']}."
            small = small_groups_shown(frame, min_group)
            figure = plots.by_attribute_figure(
                frame, colours, attribute, names, title=f"{group.replace('_', ' ').capitalize()} codes by "
                f"{attribute.replace('_', ' ')}"
            )  # fmt: skip
            by = ReportChart(figure.layout.title.text, mark_small_groups(figure, small), f"n = {n} interviews. {note}")
            for cell in frame.to_dict("records"):
                if cell["suppressed"] or not cell["interviews"] or pd.isna(cell["n"]):  # quotes would count it
                    continue
                code, value = str(cell["code"]), cell["value"]
                quotes = findings.drill_quotes(codings, cases, [code], attribute, value)
                shown, total = _quotes(quotes, 1)
                label = (
                    f"{names.get(code, code)}, {attribute.replace('_', ' ')} {value}: "
                    f"{int(cell['interviews'])} of {int(cell['n'])}"
                )
                by.quotes.append((label, shown, total))
            section.charts.append(by)
        sections.append(section)
    study = ReportSection("Contracts and awareness")
    funnel = snapshot.contract_funnel(cases, codings)
    if funnel.get("signed") is not None:
        study.charts.append(
            ReportChart("Contracts", plots.contract_funnel_figure(funnel, colours),
                        f"n = {funnel['n']} interviews with an answer; received and checked are of the "
                        f"{funnel['signed']} who signed.")
        )  # fmt: skip
    aware = snapshot.awareness(cases, codings)
    if aware.get("n"):
        chart = ReportChart(
            "Awareness", plots.awareness_figure(aware, colours), f"n = {aware['n']} interviews with an answer."
        )
        shown, total = _quotes(aware["quotes"], QUOTES_PER_NUMBER)
        chart.quotes.append(("Where they had heard of it", shown, total))
        study.charts.append(chart)
    if study.charts:
        sections.append(study)
    return sections


def _summary_section(codings: pd.DataFrame, cases: pd.DataFrame, names: dict[str, str], top: int = 5) -> ReportSection:
    """The most frequent codes and the study's headline shares, each as 'k of n interviews'."""
    n = len(cases)
    section = ReportSection("Key findings")
    prevalence = findings.code_prevalence(codings, cases)
    prevalence = prevalence[prevalence["interviews"] > 0].sort_values("interviews", ascending=False, kind="stable")
    for row in prevalence.head(top).to_dict("records"):
        code = str(row["code"])
        section.paragraphs.append(
            f"{names.get(code, code)}: {int(row['interviews'])} of {n} interviews ({_fmt(row['share'], True)})."
        )
    funnel = snapshot.contract_funnel(cases, codings)
    if funnel.get("signed") is not None and funnel.get("n"):
        section.paragraphs.append(
            f"Signed documents: {funnel['signed']} of {funnel['n']}; of those, {funnel['received']} received a copy "
            f"and {funnel['checked_employer']} checked the employer with the authorities."
        )
    aware = snapshot.awareness(cases, codings)
    if aware.get("n"):
        section.paragraphs.append(f"Had heard of trafficking before: {aware['heard']} of {aware['n']} who answered.")
    if not section.paragraphs:
        section.paragraphs.append("No codings in this view yet.")
    return section


def _codebook_section(store: Store) -> ReportSection:
    with store.read() as session:
        codes = list(session.scalars(select(Code).order_by(Code.id)))
    section = ReportSection("Codebook", [f"{len(codes)} codes. Each code's definition is what coders applied."])
    section.table = [["Code", "Name", "Definition"], *([c.id, c.name, c.definition] for c in codes)]
    return section


def _method_section(store: Store, coder_text: str) -> ReportSection:
    with store.read() as session:
        per_coder = dict(
            session.execute(
                select(Coder.name, func.count(Coding.id)).join(Coding, Coding.coder_id == Coder.id).group_by(Coder.name)
            ).all()
        )
        from_model = session.scalar(select(func.count()).select_from(Coding).where(Coding.origin.in_(MODEL_ORIGINS)))
        statuses = dict(session.execute(select(Suggestion.status, func.count()).group_by(Suggestion.status)).all())
        models = sorted({m for m in session.scalars(select(Suggestion.model_name).distinct()) if m})
        project = session.scalar(select(Project).order_by(Project.id))
    section = ReportSection("Method")
    coders = ", ".join(f"{name} ({count} codings)" for name, count in sorted(per_coder.items())) or "nobody yet"
    section.paragraphs.append(f"Who coded: {coders}. This report counts {coder_text}.")
    if is_blind(store):
        section.paragraphs.append("Agreement: not shown, blind coding is still on (coders have not compared yet).")
    else:
        frame, _ = agreement_frame(store)
        if not frame.empty and frame["coder"].nunique() >= 2:
            table = agreement_table(frame)
            overall = table["overall"]
            alpha = overall.get("krippendorff_alpha")
            pa = overall.get("percent_agreement")
            section.paragraphs.append(
                f"Agreement between {', '.join(table['coders'])} on {overall.get('n_units')} respondent turns: "
                f"percent agreement {'-' if pa is None else f'{pa:.1%}'}, Krippendorff's alpha "
                f"{'-' if alpha is None else f'{alpha:.2f}'} ('model' = suggestions at probability 0.5 or more)."
            )
            section.table = [
                ["Code", "Agreement", "Cohen's kappa", "Krippendorff's alpha", "Units"],
                *(
                    [code, _fmt(m["percent_agreement"], pct=True), _fmt(m["cohen_kappa"]),
                     _fmt(m["krippendorff_alpha"]), str(m["n_units"])]
                    for code, m in table["per_code"].items()
                ),
            ]  # fmt: skip
        else:
            section.paragraphs.append("Agreement: only one coder's codings, so agreement cannot be computed.")
    if statuses:
        listed = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        section.paragraphs.append(
            f"Suggestions: the model ({', '.join(models) or 'unnamed'}) proposed {sum(statuses.values())} codes "
            f"({listed}); only codes a person accepted or corrected count as codings ({from_model} codings came "
            "from suggestions). Suggestions never count on their own."
        )
    else:
        section.paragraphs.append("Suggestions: none were used; every coding was made by a person.")
    if project is not None:
        section.paragraphs.append(f"Project: {project.name}. Transcripts are synthetic in the demo corpus.")
    return section


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if pct else f"{value:.2f}"


def build_report(
    store: Store,
    codings: pd.DataFrame,
    cases: pd.DataFrame,
    coder_text: str,
    filters: dict[str, list[Any]] | None = None,
    attributes: Sequence[str] | None = None,
    min_group: int = MIN_GROUP,
    title: str | None = None,
    min_cell: int | None = None,
) -> Report:
    """The report of the current view: ``codings``/``cases`` already filtered, ``coder_text`` whose they are.

    Breakdowns by attributes are protected as on the dashboard (:mod:`toolkit.analysis.disclosure`;
    ``min_cell`` default ``QDA_MIN_CELL`` or 3, 0 lifts it).
    """
    min_cell = default_min_cell() if min_cell is None else min_cell
    codings = findings.codings_in_cases(codings, cases)
    colours, names = load_colours(store), load_code_names(store)
    with store.read() as session:
        project = session.scalar(select(Project).order_by(Project.id))
    filter_text = "; ".join(f"{k.replace('_', ' ')}: {', '.join(map(str, v))}" for k, v in (filters or {}).items())
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    view = [
        f"Interviews: {len(cases)}",
        f"Whose codings count: {coder_text}",
        f"Filters: {filter_text or 'none (every interview)'}",
        f"Codings counted: {len(codings)}",
        f"Date: {created}",
        "Quotes are shown as coded; de-identify transcripts before sharing this report outside the team.",
    ]
    chosen = _comparison_attributes(cases, attributes)
    sections = [
        _summary_section(codings, cases, names),
        *_findings_sections(codings, cases, colours, names, chosen, min_group, min_cell),
        _codebook_section(store),
        _method_section(store, coder_text),
    ]
    scope = f"Counting {coder_text}; filters: {filter_text or 'none'}."
    for section in sections:  # a chart copied out of the report (its PNG button, a screenshot) says what it counts
        for chart in section.charts:
            chart.note += f" {scope}"
            with_scope(chart.figure, scope, chart.title)
    return Report(title or f"Findings: {project.name if project else 'survivor-qda'}", created, view, sections)
