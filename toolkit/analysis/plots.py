"""Plotly figure factories for the report's findings: each takes what :mod:`toolkit.analysis.findings` returns.

Free functions returning ``go.Figure``, no Streamlit, so a notebook, an HTML export and the dashboard draw
the same charts. A code has the same colour in every chart: the codebook's colour, passed in as
``colours`` (code id -> ``#rrggbb``, see :func:`toolkit.analysis.frames.load_colours`); a code without one is grey.
``labels`` (code id -> name) replaces code ids on axes and legends.

Drill-through: every point's ``customdata`` is a list a UI can read on click to show the quotes behind
it with :func:`toolkit.analysis.findings.quotes_for`.

- Bar and funnel charts: :data:`CUSTOMDATA_FIELDS` = ``[code, attribute, value, interviews, share, n]``.
  ``code`` may be a code group such as ``"contract"`` (``quotes_for`` selects its sub-codes);
  ``attribute`` and ``value`` name the case attribute of the point (None where there is none), so the
  interviews are ``filter_cases(cases, **{attribute: [value]})``; ``n`` is the denominator (None when
  the input does not carry it).
- The co-occurrence heatmap: :data:`HEATMAP_CUSTOMDATA_FIELDS` = ``[code, other_code, interviews, share]``.

:func:`drill_target` turns a clicked point (a Plotly selection event's point) into the arguments of
:func:`toolkit.analysis.findings.drill_quotes`.

Every breakdown names its group sizes (``female (n=12)``), so a group of one does not read as 100 % of
something large; the heatmap writes its counts in the cells. Names and values from the data are
escaped, since Plotly reads ``<b>``, ``<a href>`` and entities in labels.

Which function draws what: :func:`prevalence_figure` (code prevalence), :func:`by_attribute_figure`
(prevalence split by a case attribute), :func:`cooccurrence_figure`, :func:`contract_funnel_figure`,
:func:`awareness_figure`, :func:`recruitment_figure`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "CUSTOMDATA_FIELDS",
    "FALLBACK_COLOUR",
    "HEATMAP_CUSTOMDATA_FIELDS",
    "awareness_figure",
    "by_attribute_figure",
    "composition_figure",
    "contract_funnel_figure",
    "cooccurrence_figure",
    "drill_target",
    "prevalence_figure",
    "recruitment_figure",
]

CUSTOMDATA_FIELDS: Final = ("code", "attribute", "value", "interviews", "share", "n")
"""Order of the fields in a bar or funnel point's ``customdata``."""

HEATMAP_CUSTOMDATA_FIELDS: Final = ("code", "other_code", "interviews", "share")
"""Order of the fields in a heatmap cell's ``customdata`` (share = of the interviews with ``code``)."""

FALLBACK_COLOUR: Final = "#888888"
"""Colour of a code the ``colours`` mapping does not name (the data model's default code colour)."""

_TEMPLATE: Final = "plotly_white"
_HOVER_BAR: Final = (
    "<b>%{y}</b> (%{customdata[0]})<br>%{customdata[3]} interviews<br>%{customdata[4]:.1%} of interviews<extra></extra>"
)


def _colour(colours: Mapping[str, str], code: str) -> str:
    return colours.get(code, FALLBACK_COLOUR)


def _tint(hex_colour: str, amount: float = 0.55) -> str:
    """The colour mixed with white, for the "no" side of a yes/no chart of one code."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(c + (255 - c) * amount) for c in (red, green, blue))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _escape(text: Any) -> str:
    """Data as Plotly label text shown verbatim (Plotly parses a few HTML tags and entities)."""
    return html.escape(str(text), quote=False)


def _label(labels: Mapping[str, str] | None, code: str) -> str:
    return _escape((labels or {}).get(code, code))


def _with_n(title: str, n: Any) -> str:
    return title if n is None else f"{title} (n={n})"


def drill_target(point: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a clicked chart element stands for: keyword arguments of :func:`toolkit.analysis.findings.drill_quotes`.

    A bar or funnel point (:data:`CUSTOMDATA_FIELDS`) gives its code (None: every code) and its case
    attribute and value; a heatmap cell (:data:`HEATMAP_CUSTOMDATA_FIELDS`) gives both codes, which must
    occur together. A point without customdata gives None.

    Example:
        >>> drill_target({"customdata": ["root_cause.debt", "gender", "female", 3, 0.5, 6]})
        {'codes': ['root_cause.debt'], 'attribute': 'gender', 'value': 'female', 'together': False}
        >>> drill_target({"customdata": ["a", "b", 2, 1.0]})
        {'codes': ['a', 'b'], 'attribute': None, 'value': None, 'together': True}
    """
    data = point.get("customdata") if isinstance(point, Mapping) else None
    if not isinstance(data, list | tuple) or not data:
        return None
    if len(data) == len(HEATMAP_CUSTOMDATA_FIELDS):
        codes = [str(c) for c in data[:2] if c is not None]
        return {"codes": list(dict.fromkeys(codes)), "attribute": None, "value": None, "together": True}
    code, attribute, value = [*data, None, None, None][:3]
    return {
        "codes": None if code is None else [str(code)],
        "attribute": None if attribute is None else str(attribute),
        "value": None if value is None else str(value),
        "together": False,
    }


def _number(value: Any) -> Any:
    """Plain Python numbers for customdata (NaN and None become None, so JSON stays valid)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _percent(share: Any) -> str:
    """A share as "46%" ("-" when there is none)."""
    value = _number(share)
    return "-" if value is None else f"{value:.0%}"


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str, **extra: Any) -> go.Figure:
    figure.update_layout(
        title={"text": title},
        xaxis_title={"text": x_title},
        yaxis_title={"text": y_title},
        template=_TEMPLATE,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        **extra,
    )
    return figure


def prevalence_figure(
    prevalence: pd.DataFrame,
    colours: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    title: str = "Interviews in which each code occurs",
    n: int | None = None,
) -> go.Figure:
    """Horizontal bars of :func:`~toolkit.analysis.findings.code_prevalence`: share of interviews per code, in order.

    Args:
        prevalence: Frame with ``code``, ``interviews``, ``share``.
        colours: Code id -> ``#rrggbb``.
        labels: Code id -> display name (default: the id).
        title: Figure title.
        n: Number of interviews, shown on hover as the denominator when given.

    Example:
        >>> frame = pd.DataFrame({"code": ["a"], "interviews": [3], "share": [0.5]})
        >>> prevalence_figure(frame, {"a": "#1f77b4"}).data[0].marker.color
        ('#1f77b4',)
    """
    codes = prevalence["code"].astype(str).tolist()
    counts = [_number(i) for i in prevalence["interviews"]]
    figure = go.Figure(
        go.Bar(
            x=prevalence["share"].tolist(),
            y=[_label(labels, c) + (" (not shown)" if i is None else "") for c, i in zip(codes, counts, strict=True)],
            orientation="h",
            marker_color=[_colour(colours, c) for c in codes],
            customdata=[
                [code, None, None, i, _number(s), n]
                for code, i, s in zip(codes, counts, prevalence["share"], strict=True)
            ],
            texttemplate="%{customdata[3]} (%{x:.0%})",
            textposition="auto",
            hovertemplate=_HOVER_BAR,
            name="interviews",
        )
    )
    _layout(figure, _with_n(title, n), "Share of interviews", "Code", showlegend=False)
    figure.update_xaxes(tickformat=".0%", range=[0, 1])
    figure.update_yaxes(autorange="reversed")
    return figure


def by_attribute_figure(
    by_attribute: pd.DataFrame,
    colours: Mapping[str, str],
    attribute: str,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Grouped bars of :func:`toolkit.analysis.findings.code_by_attribute`: one colour per code, one group per value.

    Shares are of the interviews with each value, so groups of different size compare fairly; the hover
    shows the counts behind each bar.

    Args:
        by_attribute: Frame with ``code``, ``value``, ``interviews``, ``n``, ``share``.
        colours: Code id -> ``#rrggbb``.
        attribute: The case attribute the frame is split by (axis title and customdata).
        labels: Code id -> display name (default: the id).
        title: Figure title (default names the attribute).

    Example:
        >>> frame = pd.DataFrame(
        ...     {"code": ["a", "a"], "value": ["f", "m"], "interviews": [1, 2], "n": [2, 2], "share": [0.5, 1.0]}
        ... )
        >>> [t.marker.color for t in by_attribute_figure(frame, {"a": "#ff7f0e"}, "gender").data]
        ['#ff7f0e']
    """
    readable = attribute.replace("_", " ")
    figure = go.Figure()
    # x labels carry the group size: "female (n=12)"; customdata keeps the plain value for drill-down.
    for code, rows in by_attribute.groupby("code", sort=False):
        code = str(code)
        figure.add_trace(
            go.Bar(
                x=[
                    f"{_escape(v)} (n={_number(n)})" if _number(n) is not None else f"{_escape(v)} (n hidden)"
                    for v, n in zip(rows["value"], rows["n"], strict=True)
                ],
                y=rows["share"].tolist(),
                name=_label(labels, code),
                marker_color=_colour(colours, code),
                customdata=[
                    [code, attribute, str(v), _number(i), _number(s), _number(n)]
                    for v, i, s, n in zip(rows["value"], rows["interviews"], rows["share"], rows["n"], strict=True)
                ],
                hovertemplate=(
                    f"<b>%{{fullData.name}}</b><br>{_escape(readable)}: %{{x}}<br>"
                    "%{customdata[3]} of %{customdata[5]} interviews (%{customdata[4]:.1%})<extra></extra>"
                ),
            )
        )
    _layout(
        figure,
        _escape(title or f"Codes by {readable}"),
        _escape(readable.capitalize()) + " (n = interviews in the group)",
        f"Share of interviews per {readable}",
        barmode="group",
        legend_title_text="Code",
    )
    figure.update_yaxes(tickformat=".0%", range=[0, 1])
    return figure


def cooccurrence_figure(
    matrix: pd.DataFrame,
    colours: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    title: str = "Codes occurring in the same interviews",
) -> go.Figure:
    """Heatmap of :func:`toolkit.analysis.findings.cooccurrence`; axis labels in each code's colour.

    The hover gives the number of interviews with both codes and what share of the row code's
    interviews that is (the diagonal is each code's own count).

    Example:
        >>> matrix = pd.DataFrame([[2, 1], [1, 1]], index=["a", "b"], columns=["a", "b"])
        >>> figure = cooccurrence_figure(matrix, {"a": "#1f77b4", "b": "#ff7f0e"})
        >>> figure.data[0].customdata[0][1][:3]
        ['a', 'b', 1]
    """
    rows = [str(c) for c in matrix.index]
    columns = [str(c) for c in matrix.columns]
    values = [[_number(v) for v in line] for line in matrix.to_numpy().tolist()]  # None: withheld (few people)
    own = {code: values[i][columns.index(code)] if code in columns else 0 for i, code in enumerate(rows)}
    customdata = [
        [
            [row, column, values[i][j], (values[i][j] / own[row]) if own[row] and values[i][j] is not None else None]
            for j, column in enumerate(columns)
        ]
        for i, row in enumerate(rows)
    ]
    text = [["-" if v is None else str(v) for v in line] for line in values]

    def ticks(codes: list[str]) -> list[str]:
        return [f"<span style='color:{_colour(colours, c)}'>{_label(labels, c)}</span>" for c in codes]

    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=columns,
            y=rows,
            customdata=customdata,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}",
            colorbar={"title": {"text": "Interviews"}},
            hovertemplate=(
                "<b>%{customdata[0]}</b> and <b>%{customdata[1]}</b><br>%{customdata[2]} interviews"
                "<br>%{customdata[3]:.1%} of interviews with %{customdata[0]}<extra></extra>"
            ),
        )
    )
    _layout(figure, title, "Code", "Code")
    figure.update_xaxes(tickvals=columns, ticktext=ticks(columns), tickangle=-45)
    figure.update_yaxes(tickvals=rows, ticktext=ticks(rows), autorange="reversed")
    return figure


def contract_funnel_figure(
    funnel: Mapping[str, Any],
    colours: Mapping[str, str],
    title: str = "Contracts: signed, received, employer checked",
) -> go.Figure:
    """Funnel of :func:`toolkit.studies.snapshot.contract_funnel`: signed -> received their copy; checked the employer.

    Received and checked are shares of those who signed, as in the report, and are labelled so. Stage
    colours are those of ``contract.received`` and ``contract.vetted``; the signed stage takes the colour
    of the ``contract`` group if given, else grey.

    Example:
        >>> funnel = {"n": 4, "signed": 2, "signed_share": 0.5, "received": 1, "received_share_of_signed": 0.5,
        ...           "checked_employer": 0, "checked_employer_share": 0.0}
        >>> contract_funnel_figure(funnel, {"contract.received": "#e377c2"}).data[0].marker.color[1]
        '#e377c2'
    """
    signed = funnel.get("signed")
    stages = [
        ("Signed documents", "contract", "signed_documents", funnel.get("n"), signed, funnel.get("signed_share")),
        (
            "Received their copy",
            "contract.received",
            "received_documents",
            signed,
            funnel.get("received"),
            funnel.get("received_share_of_signed"),
        ),
        (
            "Checked the employer",
            "contract.vetted",
            "checked_employer",
            signed,
            funnel.get("checked_employer"),
            funnel.get("checked_employer_share"),
        ),
    ]
    figure = go.Figure(
        go.Funnel(
            y=[stage[0] + (" (not shown)" if signed is not None and stage[4] is None else "") for stage in stages],
            x=[_number(stage[4]) or 0 for stage in stages],
            marker={"color": [_colour(colours, stage[1]) for stage in stages]},
            customdata=[
                [code, attribute, "yes", _number(count), _number(share), _number(n)]
                for _name, code, attribute, n, count, share in stages
            ],
            text=["-" if stage[4] is None else f"{stage[4]} ({_percent(stage[5])})" for stage in stages],
            texttemplate="%{text}",
            textinfo="text",
            hovertemplate=(
                "<b>%{y}</b><br>%{customdata[3]} of %{customdata[5]} interviews (%{customdata[4]:.1%})<extra></extra>"
            ),
        )
    )
    _layout(figure, title, "Interviews", "Stage (received and checked: of those who signed)", showlegend=False)
    return figure


def awareness_figure(
    awareness: Mapping[str, Any],
    colours: Mapping[str, str],
    code: str = "root_cause.awareness",
    title: str = "Had heard of trafficking in persons",
) -> go.Figure:
    """Bars of :func:`toolkit.studies.snapshot.awareness`: heard vs had not heard, in the awareness code's colour.

    Example:
        >>> figure = awareness_figure({"heard": 3, "not_heard": 1, "n": 4, "share": 0.75}, {})
        >>> figure.data[0].customdata[0][:3]
        ['root_cause.awareness', 'heard_of_tip', 'yes']
    """
    n = _number(awareness.get("n")) or 0
    hidden = n > 0 and awareness.get("heard") is None
    heard = _number(awareness.get("heard")) or 0
    not_heard = _number(awareness.get("not_heard")) or 0
    colour = _colour(colours, code)
    figure = go.Figure(
        go.Bar(
            x=["Heard of it (not shown)", "Had not heard (not shown)"] if hidden else ["Heard of it", "Had not heard"],
            y=[heard, not_heard],
            marker_color=[colour, _tint(colour)],
            customdata=[
                [code, "heard_of_tip", "yes", None, None, n],
                [code, "heard_of_tip", "no", None, None, n],
            ]
            if hidden
            else [
                [code, "heard_of_tip", "yes", heard, heard / n if n else None, n],
                [code, "heard_of_tip", "no", not_heard, not_heard / n if n else None, n],
            ],
            texttemplate="-" if hidden else "%{y} (%{customdata[4]:.0%})",
            hovertemplate="<b>%{x}</b><br>%{customdata[3]} of %{customdata[5]} interviews (%{customdata[4]:.1%})"
            "<extra></extra>",
        )
    )
    _layout(figure, title, "Answer", "Interviews", showlegend=False)
    return figure


def recruitment_figure(
    recruitment: pd.DataFrame,
    colours: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    title: str = "How respondents were recruited",
    n: int | None = None,
) -> go.Figure:
    """Horizontal bars of :func:`toolkit.analysis.findings.recruitment_counts`, the predominant method on top.

    Example:
        >>> frame = pd.DataFrame({"code": ["recruitment.online"], "interviews": [2], "share": [0.5]})
        >>> recruitment_figure(frame, {"recruitment.online": "#17becf"}).data[0].marker.color
        ('#17becf',)
    """
    codes = recruitment["code"].astype(str).tolist()
    counts = [_number(i) for i in recruitment["interviews"]]
    figure = go.Figure(
        go.Bar(
            x=counts,
            y=[_label(labels, c) + (" (not shown)" if i is None else "") for c, i in zip(codes, counts, strict=True)],
            orientation="h",
            marker_color=[_colour(colours, c) for c in codes],
            customdata=[
                [code, None, None, _number(i), _number(s), n]
                for code, i, s in zip(codes, recruitment["interviews"], recruitment["share"], strict=True)
            ],
            texttemplate="%{x} (%{customdata[4]:.0%})",
            hovertemplate=_HOVER_BAR,
        )
    )
    _layout(figure, _with_n(title, n), "Interviews", "Recruitment method", showlegend=False)
    figure.update_yaxes(autorange="reversed")
    return figure


def composition_figure(frame: pd.DataFrame, attribute: str, title: str | None = None) -> go.Figure:
    """Bars of :func:`toolkit.analysis.findings.composition`: how many interviews have each value of an attribute."""
    name = attribute.replace("_", " ")
    figure = go.Figure(
        go.Bar(
            x=[_escape(v) for v in frame["value"].astype(str)],
            y=frame["interviews"].tolist(),
            marker_color="#4c78a8",
            customdata=[
                [None, attribute, v, _number(i), _number(s), None]
                for v, i, s in zip(frame["value"].astype(str), frame["interviews"], frame["share"], strict=True)
            ],
            texttemplate="%{y}",
            hovertemplate=(
                f"{_escape(name)}: %{{x}}<br>interviews: %{{y}}<br>share: %{{customdata[4]:.1%}}<extra></extra>"
            ),
        )
    )
    return _layout(
        figure,
        _escape(_with_n(title or f"Interviews by {name}", int(frame["interviews"].sum()) if len(frame) else None)),
        _escape(name.capitalize()),
        "Interviews",
        showlegend=False,
    )
