"""Inter-coder agreement: how far coders who coded the same turns agree, code by code.

Which function to use when:

* :func:`agreement_table` is what the rest of the toolkit calls. It takes the tidy long frame (one row per
  ``unit, coder, code`` a coder covered, see :data:`LONG_COLUMNS`) and returns, per code and pooled over
  all codes, percent agreement, Cohen's kappa (two coders only), Krippendorff's alpha, the number of units
  at least two coders covered and the code's prevalence, as a JSON-ready dict.
* :func:`disagreements` takes the same frame and lists the ``unit, code`` pairs on which covering coders
  differ, one column per coder: the worklist for a consensus meeting.
* :func:`krippendorff_alpha_nominal` is the statistic to report. It works for any number of coders and
  treats a coder who did not code a unit as missing data rather than as a disagreement, which matters
  because coders rarely cover exactly the same interviews.
* :func:`cohen_kappa` is for exactly two coders and is kept because reviewers still ask for it; units
  either coder left out are dropped first.
* :func:`percent_agreement` is the share of agreeing pairs. It is easy to explain but flatters rare codes
  (two coders who never apply a code agree almost everywhere), so report it beside a chance-corrected one.

The matrix functions take ``coders x units`` data with ``np.nan`` (or ``None``) for a value a coder did not
give, the layout of Krippendorff (2011) and of the ``krippendorff`` package. Nothing here rounds: callers
round for display. Everything is plain numpy and pandas, so the module is cheap to import anywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "LONG_COLUMNS",
    "agreement_table",
    "cohen_kappa",
    "disagreements",
    "krippendorff_alpha_nominal",
    "percent_agreement",
]

LONG_COLUMNS = ("unit", "coder", "code", "applied")
"""Columns of the long frame: ``unit`` (hashable), ``coder`` (str), ``code`` (str), ``applied`` (bool)."""


def _value_counts(matrix: ArrayLike) -> np.ndarray:
    """Units x values table of how many coders gave each value to each unit; missing values are not counted.

    Values are compared as labels (nominal data), so strings, booleans and numbers all work.
    """
    arr = np.asarray(matrix, dtype=object)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D coders x units array, got {arr.ndim} dimension(s)")
    present = ~pd.isna(arr)
    labels, uniques = pd.factorize(arr[present])
    unit_index = np.broadcast_to(np.arange(arr.shape[1]), arr.shape)[present]
    counts = np.zeros((arr.shape[1], len(uniques)), dtype=np.int64)
    np.add.at(counts, (unit_index, labels), 1)
    return counts


def _pairable_counts(matrix: ArrayLike) -> np.ndarray:
    """Value counts of the units at least two coders gave a value to: the only units that carry information."""
    counts = _value_counts(matrix)
    return counts[counts.sum(axis=1) >= 2]


def percent_agreement(matrix: ArrayLike) -> float:
    """Share of pairs of values given to the same unit that agree, over units with at least two values.

    Pairs are pooled over units, so a unit three coders covered weighs more than a unit two covered; for two
    coders this is simply the share of units both coded on which they agree.

    Args:
        matrix: ``coders x units`` labels, ``np.nan`` or ``None`` where a coder gave no value.

    Returns:
        A share between 0 and 1; ``nan`` when no unit has two values.

    Examples:
        >>> percent_agreement([[1, 1, 0, np.nan], [1, 0, 0, 1]])
        0.6666666666666666
    """
    counts = _pairable_counts(matrix)
    if len(counts) == 0:
        return float("nan")
    per_unit = counts.sum(axis=1)
    agreeing = int((counts * (counts - 1)).sum())
    pairs = int((per_unit * (per_unit - 1)).sum())
    return agreeing / pairs


def cohen_kappa(a: ArrayLike, b: ArrayLike) -> float:
    """Cohen's kappa of two coders' nominal labels: agreement beyond what their label frequencies predict.

    Units where either coder gave no label (``None`` or ``nan``) are dropped, so a coder who skipped a unit
    is not counted as disagreeing. Matches ``sklearn.metrics.cohen_kappa_score`` except when both coders
    used one and the same label throughout: scikit-learn returns ``nan`` there (chance explains all), this
    returns 1.0 as :func:`krippendorff_alpha_nominal` does, since the coders never disagreed.

    Args:
        a: The first coder's labels, one per unit.
        b: The second coder's labels for the same units.

    Returns:
        Kappa, at most 1; ``nan`` when no unit was labelled by both.

    Raises:
        ValueError: ``a`` and ``b`` are not 1-D sequences of the same length.

    Examples:
        >>> cohen_kappa(["x", "x", "y", "y", None], ["x", "y", "y", "y", "x"])
        0.5
    """
    first = np.asarray(a, dtype=object)
    second = np.asarray(b, dtype=object)
    if first.ndim != 1 or first.shape != second.shape:
        raise ValueError(
            f"cohen_kappa needs two label sequences of one length, got shapes {first.shape} and {second.shape}"
        )
    keep = ~(pd.isna(first) | pd.isna(second))
    n = int(keep.sum())
    if n == 0:
        return float("nan")
    labels, uniques = pd.factorize(np.concatenate([first[keep], second[keep]]))
    label_a, label_b = labels[:n], labels[n:]
    agreeing = int((label_a == label_b).sum())
    # Integer numerator and denominator: (p_o - p_e) / (1 - p_e) scaled by n**2, so no rounding until the end.
    chance = int((np.bincount(label_a, minlength=len(uniques)) * np.bincount(label_b, minlength=len(uniques))).sum())
    if chance == n * n:  # both coders used a single, shared label: they agree on every unit
        return 1.0
    return (n * agreeing - chance) / (n * n - chance)


def krippendorff_alpha_nominal(reliability_data: ArrayLike) -> float:
    """Krippendorff's alpha for nominal data, any number of coders, missing values allowed.

    Standard coincidence-matrix computation (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"):
    each unit with ``m >= 2`` values adds every ordered pair of its values to the coincidence matrix with
    weight ``1 / (m - 1)``; alpha is ``1 - D_o / D_e``, observed over expected disagreement. Units with fewer
    than two values cannot be paired and are ignored. Agrees with ``krippendorff.alpha(...,
    level_of_measurement="nominal")``, which this module does not import.

    Args:
        reliability_data: ``coders x units`` labels, ``np.nan`` or ``None`` where a coder gave no value.

    Returns:
        Alpha, at most 1 (1 is perfect agreement, 0 is chance). ``nan`` when no unit has two values. When all
        pairable values are identical the expected disagreement is 0 and alpha is undefined by the formula;
        this returns 1.0 then, since no pair disagrees (the ``krippendorff`` package returns ``nan`` or
        raises).

    Examples:
        >>> round(krippendorff_alpha_nominal([[1, 2, 1, np.nan], [1, 2, 2, 1], [np.nan, 2, 1, 1]]), 3)
        0.625
    """
    counts = _pairable_counts(reliability_data)
    if len(counts) == 0:
        return float("nan")
    weights = 1.0 / (counts.sum(axis=1) - 1)
    coincidences = (counts.T * weights) @ counts - np.diag(weights @ counts)
    n_c = counts.sum(axis=0)  # equals coincidences.sum(axis=0), but exact
    n = int(n_c.sum())
    observed = float(coincidences.sum() - np.trace(coincidences))  # n * D_o
    expected = n * n - int((n_c * n_c).sum())  # (n - 1) * n * D_e
    if expected == 0:
        return 1.0 if observed == 0 else float("nan")
    return 1.0 - (n - 1) * observed / expected


def _ordered(values: Sequence[str] | None, found: pd.Series) -> list[str]:
    """The caller's order without repeats when given, else the values found, sorted."""
    if values is None:
        return sorted(found.unique().tolist())
    return list(dict.fromkeys(values))


def _cube(
    long_frame: pd.DataFrame, coders: Sequence[str] | None, codes: Sequence[str] | None
) -> tuple[list[str], list[str], list[Hashable], np.ndarray]:
    """Reshape the long frame into a ``codes x coders x units`` array of 1.0, 0.0 and ``nan`` (not covered).

    A coder with several rows for one unit and code (two highlights in one turn) applied it if any row says so.
    """
    missing = [column for column in LONG_COLUMNS if column not in long_frame.columns]
    if missing:
        raise ValueError(
            f"the long frame lacks column(s) {', '.join(missing)}; it needs {', '.join(LONG_COLUMNS)}, "
            "one row per unit, coder and code the coder covered"
        )
    frame = long_frame.loc[long_frame["applied"].notna(), list(LONG_COLUMNS)]
    coder_list = _ordered(coders, frame["coder"])
    code_list = _ordered(codes, frame["code"])
    frame = frame[frame["coder"].isin(coder_list) & frame["code"].isin(code_list)]
    unit_index, units = pd.factorize(frame["unit"].to_numpy())
    coder_index = pd.Index(coder_list).get_indexer(pd.Index(frame["coder"]))
    code_index = pd.Index(code_list).get_indexer(pd.Index(frame["code"]))
    cube = np.full((len(code_list), len(coder_list), len(units)), np.nan)
    np.fmax.at(cube, (code_index, coder_index, unit_index), frame["applied"].astype(bool).to_numpy(dtype=float))
    return coder_list, code_list, list(units), cube


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def _statistics(matrix: np.ndarray) -> dict[str, Any]:
    """All the statistics of one ``coders x units`` matrix of 1.0, 0.0 and ``nan``."""
    covered = ~np.isnan(matrix)
    two_coders = matrix.shape[0] == 2
    return {
        "percent_agreement": _none_if_nan(percent_agreement(matrix)),
        "cohen_kappa": _none_if_nan(cohen_kappa(matrix[0], matrix[1])) if two_coders else None,
        "krippendorff_alpha": _none_if_nan(krippendorff_alpha_nominal(matrix)),
        "n_units": int((covered.sum(axis=0) >= 2).sum()),
        "prevalence": _none_if_nan(float(matrix[covered].mean()) if covered.any() else None),
    }


def agreement_table(
    long_frame: pd.DataFrame, coders: Sequence[str] | None = None, codes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Agreement per code and over all codes, from the tidy long frame, ready for JSON.

    A missing row means the coder did not code that unit for that code: missing data, never a disagreement.
    So a turn only one coder has coded so far changes ``prevalence`` but none of the agreement statistics.

    Args:
        long_frame: Columns ``unit`` (hashable), ``coder`` (str), ``code`` (str) and ``applied`` (bool), one row
            per unit, coder and code the coder covered. Rows whose ``applied`` is missing count as not covered;
            repeated rows count as applied if any of them is.
        coders: Coders to compare, in this order; default all coders in the frame, sorted. A listed coder with
            no rows is kept and counts as covering nothing.
        codes: Codes to report, in this order; default all codes in the frame, sorted.

    Returns:
        ``{"coders": [...], "n_units": int, "per_code": {code: stats}, "overall": stats}`` where ``n_units``
        counts the distinct units any selected coder covered and ``stats`` holds ``percent_agreement``,
        ``cohen_kappa`` (``None`` unless there are exactly two coders), ``krippendorff_alpha``, ``n_units``
        (units at least two coders covered) and ``prevalence`` (share of covered unit and coder observations
        where the code was applied). ``overall`` pools every ``(unit, code)`` pair as one unit, so its
        ``n_units`` counts such pairs. Undefined statistics are ``None``; nothing is rounded.

    Raises:
        ValueError: The frame lacks one of :data:`LONG_COLUMNS`.

    Examples:
        >>> frame = pd.DataFrame(
        ...     {
        ...         "unit": [1, 1, 2, 2, 3],
        ...         "coder": ["ana", "ben", "ana", "ben", "ana"],
        ...         "code": ["debt"] * 5,
        ...         "applied": [True, True, False, True, True],
        ...     }
        ... )
        >>> table = agreement_table(frame)
        >>> table["per_code"]["debt"]["percent_agreement"], table["per_code"]["debt"]["n_units"]
        (0.5, 2)
    """
    coder_list, code_list, units, cube = _cube(long_frame, coders, codes)
    pooled = cube.transpose(1, 0, 2).reshape(len(coder_list), len(code_list) * len(units))
    return {
        "coders": coder_list,
        "n_units": len(units),
        "per_code": {code: _statistics(cube[k]) for k, code in enumerate(code_list)},
        "overall": _statistics(pooled),
    }


def disagreements(
    long_frame: pd.DataFrame, coders: Sequence[str] | None = None, codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """The ``(unit, code)`` pairs on which the coders who covered the unit did not all agree.

    Only covering coders count: a coder without a row for the pair is shown as ``None`` and never makes a
    disagreement by absence. Rows follow the units' first appearance in the frame, then the code order.

    Args:
        long_frame: The long frame described in :func:`agreement_table`.
        coders: Coders to compare, in this order (also the column order); default all, sorted.
        codes: Codes to check, in this order; default all, sorted.

    Returns:
        A frame with columns ``unit``, ``code`` and one column per coder holding ``True``, ``False`` or
        ``None`` (not covered); empty, with the same columns, when everyone agrees.

    Raises:
        ValueError: The frame lacks one of :data:`LONG_COLUMNS`, or a coder is called ``unit`` or ``code``.

    Examples:
        >>> frame = pd.DataFrame(
        ...     {
        ...         "unit": [1, 1, 2, 2],
        ...         "coder": ["ana", "ben", "ana", "ben"],
        ...         "code": ["debt"] * 4,
        ...         "applied": [True, True, False, True],
        ...     }
        ... )
        >>> disagreements(frame).to_dict("records")
        [{'unit': 2, 'code': 'debt', 'ana': False, 'ben': True}]
    """
    coder_list, code_list, units, cube = _cube(long_frame, coders, codes)
    clash = {"unit", "code"} & set(coder_list)
    if clash:
        raise ValueError(f"a coder may not be called {', '.join(sorted(clash))}: rename the coder in the frame")
    covering = (~np.isnan(cube)).sum(axis=1)
    applying = np.nansum(cube, axis=1)
    differ = (covering >= 2) & (applying > 0) & (applying < covering)  # codes x units
    unit_index, code_index = np.nonzero(differ.T)  # row-major: by unit, then by code
    columns: dict[str, list[Any]] = {
        "unit": [units[u] for u in unit_index],
        "code": [code_list[k] for k in code_index],
    }
    for c, coder in enumerate(coder_list):
        values = cube[code_index, c, unit_index]
        columns[coder] = [None if np.isnan(v) else bool(v) for v in values]
    return pd.DataFrame(columns, columns=["unit", "code", *coder_list])
