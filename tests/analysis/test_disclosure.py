"""Small-number suppression: no breakdown by attributes shows a cell of one or two people."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from toolkit.analysis.disclosure import (
    default_min_cell,
    merge_small_groups,
    protected_code_by_attribute,
    protected_composition,
    protected_matrix,
)
from toolkit.analysis.plots import by_attribute_figure, composition_figure
from toolkit.errors import ToolkitError
from toolkit.io.csv_safe import frame_to_csv
from toolkit.studies.snapshot import report

CASES = pd.DataFrame(
    {
        "document": [f"S{i}" for i in range(9)],
        "gender": ["female"] * 4 + ["male"] * 4 + [None],
        "destination": ["Russia"] * 5 + ["Poland"] * 3 + ["Kazakhstan"],
    }
)
CODINGS = pd.DataFrame({"document": ["S0", "S1", "S2", "S4", "S8"], "code": ["a"] * 5})


def test_disclosure_small_groups_are_merged_and_small_cells_left_empty():
    frame = protected_code_by_attribute(CODINGS, CASES, "gender", min_cell=3)
    cells = {row.value: (row.interviews, row.n, row.suppressed) for row in frame.itertuples()}
    assert cells["female"] == (3, 4, False)
    assert cells["male"] == (None, 4, True)  # one man: no number
    assert cells["other (groups under 3)"] == (None, None, True)  # the one interview without a gender
    assert "(missing) merged" in frame.attrs["suppression"] and "2 cell(s)" in frame.attrs["suppression"]


def test_disclosure_zero_is_shown_and_zero_threshold_lifts_it():
    frame = protected_code_by_attribute(CODINGS.iloc[:0], CASES, "gender", codes=["a"], min_cell=3)
    assert frame.loc[frame["value"] == "female", "interviews"].item() == 0
    lifted = protected_code_by_attribute(CODINGS, CASES, "gender", min_cell=0)
    assert not lifted["suppressed"].any() and "off" in lifted.attrs["suppression"]
    assert lifted.loc[lifted["value"] == "male", "interviews"].item() == 1


def test_disclosure_composition_matrix_and_their_charts():
    composition = protected_composition(CASES, "destination", min_cell=3)
    assert dict(zip(composition["value"], composition["interviews"], strict=True)) == {
        "Poland": 3,
        "Russia": 5,
        "other (groups under 3)": None,
    }
    composition_figure(composition, "destination").to_json()  # empty cells draw as gaps
    matrix = protected_matrix(CODINGS, CASES, ["gender", "destination"], min_cell=3)
    assert set(matrix["attribute"]) == {"gender", "destination"} and "suppressed" in matrix
    assert "Kazakhstan merged" in matrix.attrs["suppression"]
    csv_text = frame_to_csv(matrix)
    assert "Kazakhstan" not in csv_text
    figure = by_attribute_figure(protected_code_by_attribute(CODINGS, CASES, "gender"), {"a": "#ff0000"}, "gender")
    assert any("n hidden" in label for label in figure.data[0].x)


def test_disclosure_report_by_default(monkeypatch):
    result = report(CODINGS, CASES, "gold")
    json.dumps(result, allow_nan=False)
    assert result["code_by_attribute"]["gender"]["a"]["male"] == {"interviews": None, "share": None}
    assert result["case_counts"]["destination"] == {"Poland": 3, "Russia": 5, "other (groups under 3)": None}
    assert result["suppression"]["min_cell"] == 3
    monkeypatch.setenv("QDA_MIN_CELL", "2")
    assert report(CODINGS, CASES, "gold")["suppression"]["min_cell"] == 2
    monkeypatch.setenv("QDA_MIN_CELL", "few")
    with pytest.raises(ToolkitError, match="QDA_MIN_CELL"):
        default_min_cell()


def test_disclosure_merge_keeps_large_groups():
    merged, small = merge_small_groups(CASES, "destination", 3)
    assert small == ["Kazakhstan"] and set(merged["destination"]) == {"Russia", "Poland", "other (groups under 3)"}
    same, none = merge_small_groups(CASES, "destination", 0)
    assert none == [] and same is CASES


def test_disclosure_small_cells_are_judged_after_the_filter():
    """A page filtered to a subgroup judges its cells on the filtered interviews, not on the whole sample."""
    from toolkit.analysis.findings import filter_cases, filter_codings

    cases = CASES.assign(exploitation_type=["labour", "labour", "sexual", "sexual", "labour", "labour", "labour",
                                            "sexual", "labour"])  # fmt: skip
    whole = protected_code_by_attribute(CODINGS, cases, "gender", min_cell=3)
    assert whole.set_index("value").loc["female", "interviews"] == 3  # 3 women coded "a": shown unfiltered

    labour = filter_cases(cases, exploitation_type=["labour"])
    frame = protected_code_by_attribute(filter_codings(CODINGS, labour), labour, "gender", min_cell=3)
    cells = {row.value: (row.interviews, row.n, row.suppressed) for row in frame.itertuples()}
    # Labour only: 2 women (both coded "a"), 3 men (one coded), one without a gender (coded).
    assert "female" not in cells  # a group of 2 within the filter is merged, never shown on its own
    assert cells["male"] == (None, 3, True)  # 1 of 3 men: suppressed within the filter
    assert cells["other (groups under 3)"] == (3, 3, False)  # the 2 women and the 1 without a gender
    assert "female" in frame.attrs["suppression"]
    # The rule, whatever the data: no shown cell or group counts 1 or 2 of the filtered interviews.
    shown = frame[~frame["suppressed"]]
    assert not shown["interviews"].between(1, 2).any() and not shown["n"].between(1, 2).any()
