"""Inter-coder agreement: published worked examples, reference implementations, and the tidy-frame API."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import cohen_kappa_score

from toolkit.analysis.agreement import (
    agreement_table,
    cohen_kappa,
    disagreements,
    krippendorff_alpha_nominal,
    percent_agreement,
)

from ..conftest import ROOT

NAN = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: observers A-D, 12 units.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)


def reference_alpha(data: np.ndarray) -> float:
    """The krippendorff package, with its refusals (one value, nothing pairable) read as undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
        except ValueError:
            return NAN


def reference_kappa(a: list, b: list) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b))


def long_frame(rows: dict[tuple, dict[str, dict[str, bool]]]) -> pd.DataFrame:
    """{(unit,): {coder: {code: applied}}} -> the long frame, one row per covered unit, coder and code."""
    records = [
        {"unit": unit, "coder": coder, "code": code, "applied": applied}
        for unit, by_coder in rows.items()
        for coder, by_code in by_coder.items()
        for code, applied in by_code.items()
    ]
    return pd.DataFrame(records, columns=["unit", "coder", "code", "applied"])


T, F = True, False
# Units 1-4 coded by ana and ben; unit 5 by ana only. debt disagrees on unit 2, coercion on unit 4.
TWO_CODERS = {
    1: {"ana": {"debt": T, "coercion": F}, "ben": {"debt": T, "coercion": F}},
    2: {"ana": {"debt": T, "coercion": T}, "ben": {"debt": F, "coercion": T}},
    3: {"ana": {"debt": F, "coercion": F}, "ben": {"debt": F, "coercion": F}},
    4: {"ana": {"debt": T, "coercion": F}, "ben": {"debt": T, "coercion": T}},
    5: {"ana": {"debt": T, "coercion": T}},
}


def test_agreement_krippendorff_2011_worked_example():
    assert round(krippendorff_alpha_nominal(KRIPPENDORFF_2011), 3) == 0.743
    assert krippendorff_alpha_nominal(KRIPPENDORFF_2011) == pytest.approx(reference_alpha(KRIPPENDORFF_2011), abs=1e-12)


def test_agreement_alpha_accepts_labels_and_none_for_missing():
    labels = np.where(np.isnan(KRIPPENDORFF_2011), None, KRIPPENDORFF_2011.astype(object))
    as_text = [[None if v is None else f"v{int(v)}" for v in row] for row in labels]
    assert krippendorff_alpha_nominal(as_text) == pytest.approx(krippendorff_alpha_nominal(KRIPPENDORFF_2011))


def test_agreement_alpha_degenerate_cases():
    assert math.isnan(krippendorff_alpha_nominal([[1, NAN], [NAN, 2]]))  # nothing pairable
    assert math.isnan(krippendorff_alpha_nominal(np.empty((2, 0))))
    assert krippendorff_alpha_nominal([[1, 1, 2], [1, 1, NAN]]) == 1.0  # pairable values all identical
    assert krippendorff_alpha_nominal([[1, 2], [2, 1]]) < 0


def test_agreement_percent_agreement_pools_pairs_over_units():
    # unit 1: values 1, 1, 2 -> 1 of 3 pairs agrees; unit 2: 1, 1 -> 1 of 1; unit 3 has one value, not pairable.
    assert percent_agreement([[1, 1, 3], [1, 1, NAN], [2, NAN, NAN]]) == pytest.approx(2 / 4)
    assert percent_agreement([["a", "b", None, "c"], ["a", "a", "b", "c"]]) == pytest.approx(2 / 3)
    assert math.isnan(percent_agreement([[1, NAN], [NAN, 1]]))


def test_agreement_cohen_kappa_drops_missing_and_checks_shape():
    assert cohen_kappa(["x", "x", "y", "y", None], ["x", "y", "y", "y", "x"]) == pytest.approx(0.5)
    assert cohen_kappa([1.0, NAN, 2.0], [1.0, 2.0, 2.0]) == 1.0
    assert cohen_kappa(["x", "x"], ["x", "x"]) == 1.0  # one shared label: sklearn says nan, never disagreed
    assert math.isnan(cohen_kappa([None, "x"], ["y", None]))
    with pytest.raises(ValueError, match="one length"):
        cohen_kappa(["x"], ["x", "y"])


label_pairs = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", None]), st.sampled_from(["a", "b", "c", None])), max_size=30
)


@settings(deadline=None, max_examples=100)
@given(label_pairs)
def test_agreement_cohen_kappa_matches_scikit_learn(pairs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    both = [(x, y) for x, y in pairs if x is not None and y is not None]
    ours = cohen_kappa(a, b)
    if not both:
        assert math.isnan(ours) and math.isnan(percent_agreement([a, b]))
        return
    first, second = [x for x, _ in both], [y for _, y in both]
    assert percent_agreement([a, b]) == pytest.approx(np.mean([x == y for x, y in both]), abs=1e-12)
    if len(set(first) | set(second)) == 1:
        assert ours == 1.0 and math.isnan(reference_kappa(first, second))
    else:
        assert ours == pytest.approx(reference_kappa(first, second), abs=1e-9)


reliability_matrices = arrays(
    dtype=float,
    shape=st.tuples(st.integers(2, 5), st.integers(1, 15)),
    elements=st.sampled_from([NAN, 1.0, 2.0, 3.0, 4.0]),
)


@settings(deadline=None, max_examples=100)
@given(reliability_matrices)
def test_agreement_alpha_matches_krippendorff_package(data):
    ours = krippendorff_alpha_nominal(data)
    reference = reference_alpha(data)
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    values = np.unique(pairable[~np.isnan(pairable)])
    if len(values) == 0:
        assert math.isnan(ours) and math.isnan(reference)
    elif len(values) == 1:  # expected disagreement 0: the package cannot say, no pair disagrees
        assert ours == 1.0 and math.isnan(reference)
    else:
        assert ours == pytest.approx(reference, abs=1e-9)


def test_agreement_table_per_code_and_overall_by_hand():
    table = agreement_table(long_frame(TWO_CODERS), codes=["debt", "coercion"])
    assert table["coders"] == ["ana", "ben"]
    assert table["n_units"] == 5
    assert list(table["per_code"]) == ["debt", "coercion"]
    debt, coercion, overall = table["per_code"]["debt"], table["per_code"]["coercion"], table["overall"]
    # debt on units 1-4: ana T T F T, ben T F F T. p_o = 3/4, p_e = (3*2 + 1*2) / 16 = 1/2.
    # alpha: n = 8 pairable values (5 T, 3 F), one disagreeing unit -> 1 - 7 * 2 / (64 - 25 - 9) = 16/30.
    assert debt == pytest.approx(
        {
            "percent_agreement": 0.75,
            "cohen_kappa": 0.5,
            "krippendorff_alpha": 16 / 30,
            "n_units": 4,
            "prevalence": 6 / 9,
        }
    )
    assert coercion == pytest.approx(
        {
            "percent_agreement": 0.75,
            "cohen_kappa": 0.5,
            "krippendorff_alpha": 16 / 30,
            "n_units": 4,
            "prevalence": 4 / 9,
        }
    )
    # Pooled: 8 (unit, code) pairs, 2 disagree; 8 T and 8 F -> alpha = 1 - 15 * 4 / (256 - 128).
    assert overall == pytest.approx(
        {
            "percent_agreement": 0.75,
            "cohen_kappa": 0.5,
            "krippendorff_alpha": 1 - 60 / 128,
            "n_units": 8,
            "prevalence": 10 / 18,
        }
    )
    assert json.loads(json.dumps(table, allow_nan=False)) == table


def test_agreement_table_missing_coder_is_missing_data_not_disagreement():
    with_unit_5 = agreement_table(long_frame(TWO_CODERS))
    without_unit_5 = agreement_table(long_frame({u: v for u, v in TWO_CODERS.items() if u != 5}))
    for code in ("debt", "coercion"):
        for key in ("percent_agreement", "cohen_kappa", "krippendorff_alpha", "n_units"):
            assert with_unit_5["per_code"][code][key] == without_unit_5["per_code"][code][key]
    # Had ben's missing rows been read as "not applied", unit 5 would disagree on both codes.
    filled = long_frame({**TWO_CODERS, 5: {**TWO_CODERS[5], "ben": {"debt": F, "coercion": F}}})
    assert agreement_table(filled)["overall"]["percent_agreement"] == pytest.approx(6 / 10)
    assert with_unit_5["overall"]["percent_agreement"] == pytest.approx(6 / 8)


def test_agreement_table_three_coders_has_no_kappa():
    carl = {1: {"debt": F, "coercion": F}, 2: {"debt": T, "coercion": T}, 3: {"debt": F, "coercion": T}}
    rows = {u: {**v, "carl": carl[u]} if u in carl else v for u, v in TWO_CODERS.items()}
    table = agreement_table(long_frame(rows))
    assert table["coders"] == ["ana", "ben", "carl"]
    assert table["overall"]["cohen_kappa"] is None
    assert all(stats["cohen_kappa"] is None for stats in table["per_code"].values())
    # debt as coders x units, units 1-5, against the reference implementation.
    debt = np.array([[1, 1, 0, 1, 1], [1, 0, 0, 1, NAN], [0, 1, 0, NAN, NAN]], dtype=float)
    assert table["per_code"]["debt"]["krippendorff_alpha"] == pytest.approx(reference_alpha(debt), abs=1e-12)
    assert table["per_code"]["debt"]["n_units"] == 4
    # Pairs agreeing on debt: unit 1 (T,T,F) 1 of 3, unit 2 (T,F,T) 1 of 3, unit 3 (F,F,F) 3 of 3, unit 4 1 of 1.
    assert table["per_code"]["debt"]["percent_agreement"] == pytest.approx(6 / 10)
    # Choosing two of the three coders brings kappa back.
    assert agreement_table(long_frame(rows), coders=["ben", "carl"])["per_code"]["debt"]["cohen_kappa"] is not None


def test_agreement_table_undefined_statistics_are_none():
    frame = long_frame({1: {"ana": {"debt": T}}, 2: {"ana": {"debt": F}, "ben": {"debt": F}}})
    table = agreement_table(frame, coders=["ana", "ben"], codes=["debt", "shame"])
    assert table["per_code"]["shame"] == {
        "percent_agreement": None,
        "cohen_kappa": None,
        "krippendorff_alpha": None,
        "n_units": 0,
        "prevalence": None,
    }
    debt = table["per_code"]["debt"]
    assert (debt["percent_agreement"], debt["cohen_kappa"], debt["krippendorff_alpha"]) == (1.0, 1.0, 1.0)
    assert debt["prevalence"] == pytest.approx(1 / 3)
    empty = agreement_table(long_frame({}))
    assert empty["coders"] == [] and empty["n_units"] == 0 and empty["overall"]["krippendorff_alpha"] is None


def test_agreement_table_repeated_rows_count_as_applied_and_bad_frames_are_named():
    frame = long_frame(TWO_CODERS)
    repeated = pd.concat([frame, frame.assign(applied=False)], ignore_index=True)
    assert agreement_table(repeated) == agreement_table(frame)
    with pytest.raises(ValueError, match="applied"):
        agreement_table(frame.drop(columns="applied"))


def test_agreement_disagreements_lists_exactly_the_disagreeing_units():
    found = disagreements(long_frame(TWO_CODERS))
    assert list(found.columns) == ["unit", "code", "ana", "ben"]
    assert found.to_dict("records") == [
        {"unit": 2, "code": "debt", "ana": True, "ben": False},
        {"unit": 4, "code": "coercion", "ana": False, "ben": True},
    ]
    assert disagreements(long_frame(TWO_CODERS), codes=["debt"])["unit"].tolist() == [2]


def test_agreement_disagreements_show_uncovered_coders_as_none():
    rows = {**TWO_CODERS, 3: {**TWO_CODERS[3], "carl": {"debt": T}}, 6: {"carl": {"debt": T}}}
    found = disagreements(long_frame(rows), codes=["debt"])
    assert found.to_dict("records") == [
        {"unit": 2, "code": "debt", "ana": True, "ben": False, "carl": None},
        {"unit": 3, "code": "debt", "ana": False, "ben": False, "carl": True},
    ]
    agreeing = long_frame({1: TWO_CODERS[1], 3: TWO_CODERS[3]})
    assert disagreements(agreeing).empty and list(disagreements(agreeing).columns) == ["unit", "code", "ana", "ben"]


def test_agreement_module_imports_neither_krippendorff_nor_sklearn():
    code = (
        "import sys, toolkit.analysis.agreement\n"
        "loaded = {'krippendorff', 'sklearn', 'sqlalchemy', 'streamlit'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
