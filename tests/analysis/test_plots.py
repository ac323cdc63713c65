"""Every figure factory returns a titled figure with axis titles, codebook colours and drill-through data."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from toolkit.analysis.findings import (
    CODING_COLUMNS,
    code_by_attribute,
    code_prevalence,
    cooccurrence,
    recruitment_counts,
)
from toolkit.analysis.plots import (
    CUSTOMDATA_FIELDS,
    FALLBACK_COLOUR,
    awareness_figure,
    by_attribute_figure,
    contract_funnel_figure,
    cooccurrence_figure,
    drill_target,
    prevalence_figure,
    recruitment_figure,
)
from toolkit.studies.snapshot import awareness, contract_funnel

COLOURS = {
    "root_cause.education": "#1f77b4",
    "root_cause.family": "#ff7f0e",
    "root_cause.awareness": "#9467bd",
    "recruitment.in_person": "#e377c2",
    "recruitment.online": "#7f7f7f",
    "contract.received": "#843c39",
    "contract.vetted": "#e7ba52",
}
CODE = CUSTOMDATA_FIELDS.index("code")
VALUE = CUSTOMDATA_FIELDS.index("value")


@pytest.fixture
def cases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "document": ["D1", "D2", "D3", "D4"],
            "gender": ["female", "female", "male", "male"],
            "heard_of_tip": ["yes", "no", "yes", "yes"],
            "signed_documents": ["no", "yes", "yes", "yes"],
            "received_documents": ["n.a.", "yes", "no", "no"],
            "checked_employer": ["no", "no", "yes", "no"],
        }
    )


@pytest.fixture
def codings() -> pd.DataFrame:
    rows = [
        ("D1", "root_cause.education"),
        ("D1", "root_cause.family"),
        ("D1", "recruitment.online"),
        ("D2", "root_cause.education"),
        ("D2", "recruitment.in_person"),
        ("D2", "contract.received"),
        ("D3", "recruitment.in_person"),
        ("D3", "root_cause.awareness"),
        ("D4", "recruitment.unknown_method"),
    ]
    return pd.DataFrame(
        [
            {
                "document": d,
                "segment": i,
                "start": i,
                "end": i + 1,
                "quote": "q",
                "code": c,
                "coder": "gold",
                "origin": "human",
            }
            for i, (d, c) in enumerate(rows)
        ],
        columns=list(CODING_COLUMNS),
    )


def _assert_titled(figure: go.Figure) -> None:
    assert isinstance(figure, go.Figure)
    assert figure.layout.title.text
    assert figure.layout.xaxis.title.text
    assert figure.layout.yaxis.title.text
    json.loads(figure.to_json())  # serialisable as the browser will receive it


def test_plots_prevalence_colours_and_customdata(codings, cases):
    prevalence = code_prevalence(codings, cases, codes=["root_cause.education", "root_cause.family"])
    figure = prevalence_figure(prevalence, COLOURS, labels={"root_cause.family": "Family"})
    _assert_titled(figure)
    bar = figure.data[0]
    assert list(bar.marker.color) == [COLOURS["root_cause.education"], COLOURS["root_cause.family"]]
    assert [row[CODE] for row in bar.customdata] == ["root_cause.education", "root_cause.family"]
    assert list(bar.y) == ["root_cause.education", "Family"]
    assert "interviews" in bar.hovertemplate and "%" in bar.hovertemplate


def test_plots_by_attribute_one_trace_per_code_in_its_colour(codings, cases):
    frame = code_by_attribute(codings, cases, "gender", codes=["root_cause.education", "recruitment.in_person"])
    figure = by_attribute_figure(frame, COLOURS, "gender")
    _assert_titled(figure)
    assert figure.layout.barmode == "group"
    assert [t.marker.color for t in figure.data] == [COLOURS["root_cause.education"], COLOURS["recruitment.in_person"]]
    first = figure.data[0]
    sizes = frame.drop_duplicates("value").set_index("value")["n"]
    assert list(first.x) == [f"female (n={sizes['female']})", f"male (n={sizes['male']})"]
    assert [(row[CODE], row[VALUE]) for row in first.customdata] == [
        ("root_cause.education", "female"),
        ("root_cause.education", "male"),
    ]
    assert "gender" in figure.layout.title.text


def test_plots_cooccurrence_heatmap(codings):
    codes = ["root_cause.education", "root_cause.family", "recruitment.in_person"]
    figure = cooccurrence_figure(cooccurrence(codings, codes), COLOURS)
    _assert_titled(figure)
    heatmap = figure.data[0]
    assert isinstance(heatmap, go.Heatmap)
    assert heatmap.customdata[0][1][:3] == ["root_cause.education", "root_cause.family", 1]
    assert COLOURS["root_cause.family"] in figure.layout.xaxis.ticktext[1]
    assert COLOURS["recruitment.in_person"] in figure.layout.yaxis.ticktext[2]


def test_plots_contract_funnel(codings, cases):
    funnel = contract_funnel(cases, codings)
    figure = contract_funnel_figure(funnel, COLOURS)
    _assert_titled(figure)
    trace = figure.data[0]
    assert list(trace.x) == [funnel["signed"], funnel["received"], funnel["checked_employer"]]
    assert list(trace.marker.color) == [FALLBACK_COLOUR, COLOURS["contract.received"], COLOURS["contract.vetted"]]
    assert [row[CODE] for row in trace.customdata] == ["contract", "contract.received", "contract.vetted"]
    assert trace.customdata[1][CUSTOMDATA_FIELDS.index("share")] == funnel["received_share_of_signed"]


def test_plots_contract_funnel_without_attributes(codings, cases):
    figure = contract_funnel_figure(contract_funnel(cases[["document"]], codings), COLOURS)
    _assert_titled(figure)
    assert list(figure.data[0].x) == [0, 0, 0]


def test_plots_awareness(codings, cases):
    result = awareness(cases, codings)
    figure = awareness_figure(result, COLOURS)
    _assert_titled(figure)
    bar = figure.data[0]
    assert list(bar.y) == [result["heard"], result["not_heard"]]
    assert bar.marker.color[0] == COLOURS["root_cause.awareness"]
    assert [row[VALUE] for row in bar.customdata] == ["yes", "no"]


def test_plots_recruitment_descending_with_fallback_colour(codings, cases):
    frame = recruitment_counts(codings, cases)
    figure = recruitment_figure(frame, COLOURS)
    _assert_titled(figure)
    bar = figure.data[0]
    assert [row[CODE] for row in bar.customdata] == frame["code"].tolist()
    assert bar.customdata[0][CODE] == "recruitment.in_person"
    colours = dict(zip(frame["code"], bar.marker.color, strict=True))
    assert colours["recruitment.online"] == COLOURS["recruitment.online"]
    assert colours["recruitment.unknown_method"] == FALLBACK_COLOUR


def test_plots_every_breakdown_shows_n_per_group(codings, cases):
    """Issue 9 item 16: a group of one must not read as 100 % without its size beside it."""
    frame = code_by_attribute(codings, cases, "gender", codes=["root_cause.education"])
    figure = by_attribute_figure(frame, COLOURS, "gender")
    for value, n in frame[["value", "n"]].itertuples(index=False):
        assert f"{value} (n={n})" in list(figure.data[0].x)
    prevalence = prevalence_figure(code_prevalence(codings, cases), COLOURS, n=len(cases))
    assert f"(n={len(cases)})" in prevalence.layout.title.text
    recruitment = recruitment_figure(recruitment_counts(codings, cases), COLOURS, n=len(cases))
    assert f"(n={len(cases)})" in recruitment.layout.title.text


def test_plots_cooccurrence_writes_counts_in_the_cells(codings):
    """Issue 9 item 17: the heatmap's values are readable without hovering."""
    matrix = cooccurrence(codings, ["root_cause.education", "root_cause.family"])
    figure = cooccurrence_figure(matrix, COLOURS)
    assert figure.data[0].texttemplate == "%{text}"
    assert [list(row) for row in figure.data[0].text] == [[str(int(v)) for v in row] for row in matrix.to_numpy()]


def test_plots_labels_from_data_are_escaped(codings, cases):
    """Plotly reads <b>, <a href> and entities in labels: names and values from the data are escaped."""
    frame = code_prevalence(codings, cases, ["root_cause.education"])
    figure = prevalence_figure(frame, COLOURS, {"root_cause.education": "<a href='http://x.invalid'>E</a>"})
    assert list(figure.data[0].y) == ["&lt;a href='http://x.invalid'&gt;E&lt;/a&gt;"]


def test_plots_drill_target_from_a_clicked_point(codings, cases):
    """Issue 9 item 13: a click's customdata says which quotes to open."""
    frame = code_by_attribute(codings, cases, "gender", codes=["root_cause.education"])
    point = {"customdata": list(by_attribute_figure(frame, COLOURS, "gender").data[0].customdata[0])}
    assert drill_target(point) == {
        "codes": ["root_cause.education"],
        "attribute": "gender",
        "value": frame.iloc[0]["value"],
        "together": False,
    }
    heatmap = cooccurrence_figure(cooccurrence(codings, ["root_cause.education", "root_cause.family"]), COLOURS)
    cell = {"customdata": list(heatmap.data[0].customdata[0][1])}
    assert drill_target(cell)["codes"] == ["root_cause.education", "root_cause.family"]
    assert drill_target(cell)["together"] is True
    assert drill_target({"x": 1}) is None
