"""Small-number suppression: no breakdown by attributes shows a cell of one or two people."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # 3 of 4 women would name the one woman who did not say it; the group of 1 (no gender) would be
    # 9 - 4 - 4 from the shown sizes, so one more size (the women's, smallest, first by name) is hidden.
    assert cells["female"] == (None, None, True)
    assert cells["male"] == (None, 4, True)  # one man: no number
    assert cells["other (groups under 3)"] == (None, None, True)  # the one interview without a gender
    assert "(missing) merged" in frame.attrs["suppression"] and "3 cell(s)" in frame.attrs["suppression"]
    assert "2 of them (or group sizes) hidden only because" in frame.attrs["suppression"]


def test_disclosure_zero_is_shown_and_zero_threshold_lifts_it():
    frame = protected_code_by_attribute(CODINGS.iloc[:0], CASES, "gender", codes=["a"], min_cell=3)
    # female's 0 is hidden too: the lone interview without a gender is a hidden group, and the code's
    # total (0) minus the shown cells would say it did not mention "a"; male's 0 is shown.
    assert frame.loc[frame["value"] == "male", "interviews"].item() == 0
    assert frame.loc[frame["value"] == "female", "interviews"].item() is None
    lifted = protected_code_by_attribute(CODINGS, CASES, "gender", min_cell=0)
    assert not lifted["suppressed"].any() and "off" in lifted.attrs["suppression"]
    assert lifted.loc[lifted["value"] == "male", "interviews"].item() == 1


def test_disclosure_composition_matrix_and_their_charts():
    composition = protected_composition(CASES, "destination", min_cell=3)
    assert dict(zip(composition["value"], composition["interviews"], strict=True)) == {
        "Poland": None,  # else the one in Kazakhstan is 9 - 5 - 3
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
    assert result["case_counts"]["destination"] == {"Poland": None, "Russia": 5, "other (groups under 3)": None}
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
    assert whole.set_index("value").loc["female", "n"] is None  # hidden (sizes), but a group of its own

    labour = filter_cases(cases, exploitation_type=["labour"])
    frame = protected_code_by_attribute(filter_codings(CODINGS, labour), labour, "gender", min_cell=3)
    cells = {row.value: (row.interviews, row.n, row.suppressed) for row in frame.itertuples()}
    # Labour only: 2 women (both coded "a"), 3 men (one coded), one without a gender (coded).
    assert "female" not in cells  # a group of 2 within the filter is merged, never shown on its own
    assert cells["male"] == (None, 3, True)  # 1 of 3 men: suppressed within the filter
    # The 2 women and the 1 without a gender: 3 coded "a", hidden too, else the one man is 4 - 3.
    assert cells["other (groups under 3)"] == (None, 3, True)
    assert "female" in frame.attrs["suppression"]
    # The rule, whatever the data: no shown cell or group counts 1 or 2 of the filtered interviews.
    shown = frame[~frame["suppressed"]]
    assert not shown["interviews"].between(1, 2).any() and not shown["n"].between(1, 2).any()


def _recovered(frame: pd.DataFrame, totals: dict[str, int], n_total: int, min_cell: int = 3) -> list[tuple]:
    """What a reader works out by subtraction from a by-attribute frame and the totals shown beside it.

    The totals are the code's prevalence (shown on the same page and in the report) and the number of
    interviews. Returns every number of 1..min_cell-1 people so recovered: a hidden cell that is the only
    one hidden in its code's line, a hidden group size that is the only one hidden, and a shown count whose
    group size is shown and leaves 1..min_cell-1 of the group out.
    """
    found = []
    for code, line in frame.groupby("code"):
        hidden = line[line["interviews"].isna()]
        if len(hidden) == 1:
            value = totals[code] - line["interviews"].dropna().sum()
            if 0 < value < min_cell:
                found.append(("cell", code, hidden["value"].item(), value))
        both = line.dropna(subset=["interviews", "n"])
        for row in both.itertuples():
            if 0 < row.n - row.interviews < min_cell:
                found.append(("complement", code, row.value, row.n - row.interviews))
    sizes = frame.drop_duplicates("value")
    if sizes["n"].isna().sum() == 1:
        value = n_total - sizes["n"].dropna().sum()
        if 0 < value < min_cell:
            found.append(("size", None, sizes.loc[sizes["n"].isna(), "value"].item(), value))
    return found


# Ten interviews: 5 women, 4 men, 1 without a gender. "debt": 1 man and 4 women (so 1 woman did not).
SUBTRACT_CASES = pd.DataFrame(
    {"document": [f"T{i}" for i in range(10)], "gender": ["female"] * 5 + ["male"] * 4 + [None]}
)
SUBTRACT_CODINGS = pd.DataFrame(
    {"document": ["T0", "T1", "T2", "T3", "T5", "T9"], "code": ["debt"] * 4 + ["debt", "family"]}
)


def test_disclosure_no_hidden_number_comes_back_by_subtraction():
    """Primary suppression alone (before secondary) leaks: the man, the woman who did not, the lone case."""
    from toolkit.analysis.findings import code_by_attribute, code_prevalence

    totals = dict(zip(*code_prevalence(SUBTRACT_CODINGS, SUBTRACT_CASES)[["code", "interviews"]].values.T, strict=True))
    merged, _ = merge_small_groups(SUBTRACT_CASES, "gender", 3)
    primary_only = code_by_attribute(SUBTRACT_CODINGS, merged, "gender").astype(object)
    few = primary_only["interviews"].between(1, 2) | primary_only["n"].between(1, 2)
    primary_only.loc[few, "interviews"] = None
    primary_only.loc[primary_only["n"].between(1, 2), "n"] = None
    leaks = _recovered(primary_only, totals, len(SUBTRACT_CASES))
    assert sorted(leaks, key=str) == [
        ("cell", "family", "other (groups under 3)", 1),  # family's total 1, every shown cell 0
        ("complement", "debt", "female", 1),  # 4 of 5 women: the one who did not
        ("size", None, "other (groups under 3)", 1),  # 10 - 5 - 4
    ]

    frame = protected_code_by_attribute(SUBTRACT_CODINGS, SUBTRACT_CASES, "gender", min_cell=3)
    assert _recovered(frame, totals, len(SUBTRACT_CASES)) == []
    assert frame.attrs["secondary"] > 0 and "subtracting" in frame.attrs["suppression"]
    shown = frame.dropna(subset=["interviews"])
    assert not shown["interviews"].between(1, 2).any()


def test_disclosure_composition_leaves_no_single_hidden_group():
    composition = protected_composition(SUBTRACT_CASES, "gender", min_cell=3)
    assert composition["interviews"].isna().sum() != 1  # 10 - shown would be the hidden one
    assert composition.attrs["secondary"] == 1


@settings(max_examples=150, deadline=None)
@given(
    genders=st.lists(st.sampled_from(["female", "male", "other", None]), min_size=1, max_size=14),
    coded=st.lists(st.tuples(st.integers(0, 13), st.sampled_from(["a", "b"])), max_size=30),
)
def test_disclosure_subtraction_recovers_nothing_whatever_the_data(genders, coded):
    cases = pd.DataFrame({"document": [f"D{i}" for i in range(len(genders))], "gender": genders})
    pairs = sorted({(f"D{i}", code) for i, code in coded if i < len(genders)})
    codings = pd.DataFrame(pairs, columns=["document", "code"])
    from toolkit.analysis.findings import code_prevalence

    prevalence = code_prevalence(codings, cases)
    totals = dict(zip(prevalence["code"], prevalence["interviews"], strict=True))
    frame = protected_code_by_attribute(codings, cases, "gender", min_cell=3)
    if len(frame["value"].unique()) > 1:  # one group is the total itself: nothing to break down
        assert _recovered(frame, totals, len(cases)) == []
    composition = protected_composition(cases, "gender", min_cell=3)
    if len(composition) > 1:
        assert composition["interviews"].isna().sum() != 1


def test_one_group_numbers_hide_counts_complements_and_what_is_counted_of_them():
    from toolkit.analysis.disclosure import protected_awareness, protected_counts, protected_funnel

    frame = pd.DataFrame(
        {"code": ["a", "b", "c", "d"], "interviews": [0, 1, 5, 12], "share": [0, 1 / 13, 5 / 13, 12 / 13]}
    )
    shown = protected_counts(frame, 13, min_cell=3)
    assert shown["interviews"].tolist() == [0, None, 5, None]  # 1 of 13; 12 of 13 names the one who did not
    assert shown["share"].isna().tolist() == [False, True, False, True] and shown.attrs["hidden"] == 2
    assert protected_counts(frame, 13, min_cell=0)["interviews"].tolist() == [0, 1, 5, 12]
    funnel = {
        "n": 13,
        "signed": 11,
        "signed_share": 11 / 13,
        "received": 4,
        "received_share_of_signed": 4 / 11,
        "checked_employer": 0,
        "checked_employer_share": 0.0,
        "substituted": 4,
        "promised": 1,
    }
    hidden = protected_funnel(funnel, min_cell=3)
    # 11 of 13 signed leaves 2 who did not; "4 of 11 received" would give 11 back, so it goes too
    assert [hidden[k] for k in ("signed", "received", "checked_employer", "substituted", "promised")] == [
        None,
        None,
        None,
        4,
        None,
    ]
    assert hidden["hidden"] == ["signed", "received", "checked_employer", "promised"]
    assert protected_funnel({**funnel, "signed": 8, "received": 4}, min_cell=3)["received"] == 4
    assert protected_awareness({"heard": 12, "not_heard": 1, "n": 13, "share": 12 / 13}, 3)["heard"] is None
    assert protected_awareness({"heard": 9, "not_heard": 4, "n": 13, "share": 9 / 13}, 3)["heard"] == 9
