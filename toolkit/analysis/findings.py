"""The report's findings as pure functions over two tidy frames: codings and cases.

``codings`` has one row per coding (document, segment, start, end, quote, code, coder, origin), as
:func:`toolkit.coding.codings.coding_rows` gives and :func:`toolkit.analysis.frames.load_frames` loads.
``cases`` has one
row per interview: a ``document`` column and one column per case attribute (gender, age_group, ...).
Nothing here reads a database or draws anything, so every number on the dashboard is unit-tested here.

The unit of counting is the interview: a code "occurs" in an interview when it has at least one coding
there, whoever the coder (pass the codings of one coder to count only theirs). Shares are fractions in
[0, 1] of the interviews in ``cases``; codings of documents that are not in ``cases`` are ignored, so
filtering the cases is all it takes to restrict every figure to a subgroup.

Which function to use when:

- :func:`filter_cases` / :func:`filter_codings`: restrict to a subgroup (e.g. women aged 18-29).
- :func:`code_prevalence`: how many interviews mention each code.
- :func:`code_by_attribute`: the same, split by a case attribute (gender, age group, ...).
- :func:`cooccurrence`: which codes come up in the same interviews.
- :func:`recruitment_counts`: recruitment methods, most frequent first.
- :func:`quotes_for`: the quotes behind any of these numbers.
- :func:`drill_quotes`: the quotes behind one clicked chart element (see :func:`toolkit.analysis.plots.drill_target`).
- The snapshot study's own findings (contract funnel, awareness, the report) are in :mod:`toolkit.studies.snapshot`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Final

import pandas as pd

from toolkit.errors import NotFoundError

__all__ = [
    "CODING_COLUMNS",
    "MISSING_VALUE",
    "QUOTE_COLUMNS",
    "agreement_table_frame",
    "code_attribute_matrix",
    "code_by_attribute",
    "code_prevalence",
    "coded_coverage",
    "codings_by_coder",
    "codings_in_cases",
    "composition",
    "cooccurrence",
    "drill_quotes",
    "filter_cases",
    "filter_codings",
    "interviews_in",
    "interviews_per_code",
    "plain_value",
    "quotes_for",
    "recruitment_counts",
    "share_of",
]

CODING_COLUMNS: Final = ("document", "language", "segment", "start", "end", "quote", "code", "coder", "origin")
"""Columns of the codings frame (those of :data:`toolkit.coding.codings.EXPORT_COLUMNS`)."""

QUOTE_COLUMNS: Final = ("document", "segment", "quote", "code", "coder")
"""Columns of :func:`quotes_for`."""

MISSING_VALUE: Final = "(missing)"
"""The value :func:`code_by_attribute` shows for interviews without that attribute, so groups add up to all."""

RECRUITMENT_PREFIX: Final = "recruitment."


# ----------------------------------------------------------------------------------------------- helpers


def share_of(count: float, total: float) -> float | None:
    """A fraction, or None when there is nothing to divide by (never a made-up 0 %)."""
    return float(count) / float(total) if total else None


def interviews_in(cases: pd.DataFrame) -> pd.Index:
    """The distinct interviews (document names) of a cases frame."""
    return pd.Index(cases["document"].astype(str).unique())


def codings_in_cases(codings: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """The codings of the interviews in ``cases`` only: filtering cases is how a subgroup is chosen."""
    return codings[codings["document"].astype(str).isin(interviews_in(cases))]


def interviews_per_code(codings: pd.DataFrame) -> pd.Series:
    """Code -> number of distinct interviews with at least one coding of it."""
    if codings.empty:
        return pd.Series(dtype="int64")
    return codings.groupby("code")["document"].nunique()


def _code_list(codings: pd.DataFrame, codes: Iterable[str] | None) -> list[str]:
    if codes is not None:
        return list(dict.fromkeys(codes))
    return sorted(codings["code"].dropna().astype(str).unique())


def plain_value(value: Any) -> Any:
    """NumPy scalars and NaN to plain JSON values."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ----------------------------------------------------------------------------------------------- filters


def filter_cases(cases: pd.DataFrame, **filters: Iterable[Any] | str | None) -> pd.DataFrame:
    """The interviews whose attributes take one of the listed values, for every attribute given.

    A filter of None or an empty list means "no filter on that attribute", so a dashboard can pass every
    multiselect as it is. Values are compared as text, so ``year_assisted=[2021]`` matches ``"2021"``.

    Raises:
        NotFoundError: an attribute the cases do not have (the message lists the ones they have).

    Example:
        >>> cases = pd.DataFrame({"document": ["S1", "S2"], "gender": ["female", "male"]})
        >>> filter_cases(cases, gender=["female"])["document"].tolist()
        ['S1']
        >>> len(filter_cases(cases, gender=[]))
        2
    """
    mask = pd.Series(True, index=cases.index)
    for attribute, values in filters.items():
        if attribute not in cases.columns:
            known = ", ".join(c for c in cases.columns if c != "document")
            raise NotFoundError(f"no case attribute {attribute!r} (attributes: {known or 'none'})")
        if values is None:
            continue
        wanted = [values] if isinstance(values, str) else list(values)
        if not wanted:
            continue
        mask &= cases[attribute].astype(str).isin({str(v) for v in wanted})
    return cases[mask]


def filter_codings(codings: pd.DataFrame, documents: Iterable[str] | pd.DataFrame | None) -> pd.DataFrame:
    """The codings of the given interviews (names, or a cases frame); None keeps all.

    Example:
        >>> codings = pd.DataFrame({"document": ["S1", "S2"], "code": ["a", "a"]})
        >>> filter_codings(codings, ["S2"])["document"].tolist()
        ['S2']
    """
    if documents is None:
        return codings
    names = documents["document"] if isinstance(documents, pd.DataFrame) else list(documents)
    return codings[codings["document"].astype(str).isin({str(d) for d in names})]


# ----------------------------------------------------------------------------------------------- counts


def code_prevalence(codings: pd.DataFrame, cases: pd.DataFrame, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """How many interviews mention each code, and what share of all interviews in ``cases`` that is.

    Counting interviews rather than codings keeps one talkative respondent from weighing more than
    another, and it is how the source report states its figures (a share of respondents).

    Args:
        codings: The codings frame.
        cases: The interviews that form the denominator; codings of other documents are ignored.
        codes: Codes to report, in this order, zeros included (e.g. the whole codebook); None means
            every code that has codings, sorted by id.

    Returns:
        Columns ``code``, ``interviews`` (int), ``share`` (float in [0, 1]; NaN when ``cases`` is empty).

    Example:
        >>> codings = pd.DataFrame({"document": ["S1", "S1", "S2"], "code": ["a", "a", "b"]})
        >>> cases = pd.DataFrame({"document": ["S1", "S2", "S3", "S4"]})
        >>> code_prevalence(codings, cases).to_dict("records")
        [{'code': 'a', 'interviews': 1, 'share': 0.25}, {'code': 'b', 'interviews': 1, 'share': 0.25}]
    """
    scoped = codings_in_cases(codings, cases)
    codes = _code_list(scoped, codes)
    counts = interviews_per_code(scoped)
    interviews = [int(counts.get(code, 0)) for code in codes]
    n = len(interviews_in(cases))
    return pd.DataFrame(
        {
            "code": pd.Series(codes, dtype=object),
            "interviews": pd.Series(interviews, dtype="int64"),
            "share": pd.Series([c / n if n else math.nan for c in interviews], dtype="float64"),
        }
    )


def _attribute_values(column: pd.Series) -> list[str]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        values = [str(v) for v in column.cat.categories]
    else:
        values = sorted(column.dropna().astype(str).unique())
    if column.isna().any():
        values.append(MISSING_VALUE)
    return values


def code_by_attribute(
    codings: pd.DataFrame, cases: pd.DataFrame, attribute: str, codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Code prevalence within each value of a case attribute (e.g. share of women vs men mentioning a code).

    The share is of the interviews with that value, so groups of different size compare fairly.
    Interviews without the attribute form the group :data:`MISSING_VALUE`.

    Returns:
        Long frame, one row per (code, value): ``code``, ``value`` (text), ``interviews`` (with the code
        and the value), ``n`` (interviews with the value), ``share`` (``interviews / n``, in [0, 1]).

    Raises:
        NotFoundError: ``attribute`` is not a column of ``cases``.

    Example:
        >>> codings = pd.DataFrame({"document": ["S1", "S3"], "code": ["a", "a"]})
        >>> cases = pd.DataFrame({"document": ["S1", "S2", "S3"], "gender": ["female", "female", "male"]})
        >>> code_by_attribute(codings, cases, "gender")[["value", "interviews", "n", "share"]].values.tolist()
        [['female', 1, 2, 0.5], ['male', 1, 1, 1.0]]
    """
    if attribute not in cases.columns:
        known = ", ".join(c for c in cases.columns if c != "document")
        raise NotFoundError(f"no case attribute {attribute!r} (attributes: {known or 'none'})")
    scoped = codings_in_cases(codings, cases)
    codes = _code_list(scoped, codes)
    column = cases[attribute]
    values = _attribute_values(column)
    labels = column.astype(object).where(column.notna(), MISSING_VALUE).astype(str)
    value_of = dict(zip(cases["document"].astype(str), labels, strict=True))
    n_of = labels.value_counts()
    merged = scoped.assign(value=scoped["document"].astype(str).map(value_of))
    counts = merged.groupby(["code", "value"])["document"].nunique() if not merged.empty else pd.Series(dtype="int64")
    rows = []
    for code in codes:
        for value in values:
            n = int(n_of.get(value, 0))
            interviews = int(counts.get((code, value), 0))
            rows.append(
                {"code": code, "value": value, "interviews": interviews, "n": n, "share": share_of(interviews, n)}
            )
    frame = pd.DataFrame(rows, columns=["code", "value", "interviews", "n", "share"])
    return frame.astype({"interviews": "int64", "n": "int64", "share": "float64"})


def cooccurrence(codings: pd.DataFrame, codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Interviews in which both codes occur, for every pair; the diagonal is each code's own count.

    Document level on purpose: two codes in the same interview are related in the respondent's story even
    when they are in different answers. Restrict ``codings`` with :func:`filter_codings` for a subgroup.

    Returns:
        Square frame of ints, index and columns ``codes`` (in that order; None means every code, sorted).

    Example:
        >>> codings = pd.DataFrame({"document": ["S1", "S1", "S2"], "code": ["a", "b", "a"]})
        >>> cooccurrence(codings, ["a", "b"]).values.tolist()
        [[2, 1], [1, 1]]
    """
    codes = _code_list(codings, codes)
    present = codings[codings["code"].isin(codes)]
    indicator = pd.crosstab(present["document"], present["code"]).clip(upper=1)
    indicator = indicator.reindex(columns=codes, fill_value=0).astype("int64")
    matrix = indicator.T.dot(indicator)
    matrix = matrix.reindex(index=codes, columns=codes, fill_value=0).astype("int64")
    matrix.index.name = None
    matrix.columns.name = None
    return matrix


def recruitment_counts(codings: pd.DataFrame, cases: pd.DataFrame, prefix: str = RECRUITMENT_PREFIX) -> pd.DataFrame:
    """Interviews per recruitment method (every code under ``prefix``), most frequent first.

    The first row is the predominant method; ties keep code-id order so the ranking is stable.
    Any code group works (``prefix="contract."``), since users may add codes of their own.

    Returns:
        Columns ``code``, ``interviews``, ``share`` (of the interviews in ``cases``), sorted descending.

    Example:
        >>> codes = ["recruitment.online", "recruitment.online", "recruitment.agency"]
        >>> codings = pd.DataFrame({"document": ["S1", "S2", "S2"], "code": codes})
        >>> ranked = recruitment_counts(codings, pd.DataFrame({"document": ["S1", "S2"]}))
        >>> ranked[["code", "interviews"]].values.tolist()
        [['recruitment.online', 2], ['recruitment.agency', 1]]
    """
    codes = sorted(c for c in codings["code"].dropna().astype(str).unique() if c.startswith(prefix))
    frame = code_prevalence(codings, cases, codes)
    return frame.sort_values(["interviews", "code"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _matches(code: str, wanted: set[str]) -> bool:
    return code in wanted or any(code.startswith(w.rstrip(".") + ".") for w in wanted)


def quotes_for(
    codings: pd.DataFrame,
    code: str | Iterable[str] | None = None,
    documents: Iterable[str] | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The quotes behind a number: codings of ``code`` in ``documents``, in document order.

    A code id also selects its sub-codes (``"contract"`` gives every ``contract.*`` quote), as code ids
    are paths; a list selects several. ``documents`` takes names or a cases frame, e.g. the result of
    :func:`filter_cases` for a clicked bar's attribute value.

    Returns:
        Columns ``document``, ``segment``, ``quote``, ``code``, ``coder``.

    Example:
        >>> codings = pd.DataFrame(
        ...     {"document": ["S1", "S2"], "segment": [3, 5], "start": [0, 0], "end": [2, 2],
        ...      "quote": ["hi", "yo"], "code": ["contract.none", "recruitment.online"],
        ...      "coder": ["gold", "gold"], "origin": ["imported", "imported"]}
        ... )
        >>> quotes_for(codings, "contract")["quote"].tolist()
        ['hi']
    """
    selected = filter_codings(codings, documents)
    if code is not None:
        wanted = {code} if isinstance(code, str) else set(code)
        keep = [isinstance(c, str) and _matches(c, wanted) for c in selected["code"]]
        selected = selected[pd.Series(keep, index=selected.index, dtype=bool)]
    order = [c for c in ("document", "start", "code", "coder") if c in selected.columns]
    selected = selected.sort_values(order, kind="stable") if order else selected
    return selected.reindex(columns=list(QUOTE_COLUMNS)).reset_index(drop=True)


def drill_quotes(
    codings: pd.DataFrame,
    cases: pd.DataFrame,
    codes: Sequence[str] | None = None,
    attribute: str | None = None,
    value: Any = None,
    together: bool = False,
) -> pd.DataFrame:
    """The quotes behind one chart element: codes within the interviews where ``attribute`` is ``value``.

    ``codes`` None means every code; ``together`` keeps only interviews in which all ``codes`` occur (a
    co-occurrence cell). :data:`MISSING_VALUE` selects the interviews without the attribute. An unknown
    attribute selects nothing rather than raising, as a click may come from a chart drawn before a filter
    changed.

    Example:
        >>> codings = pd.DataFrame({"document": ["S1", "S2", "S2"], "segment": [1, 1, 2], "start": [0, 0, 5],
        ...     "end": [2, 2, 9], "quote": ["a", "b", "c"], "code": ["x", "x", "y"], "coder": "g", "origin": "h"})
        >>> cases = pd.DataFrame({"document": ["S1", "S2"], "gender": ["female", "male"]})
        >>> drill_quotes(codings, cases, ["x"], "gender", "male")["quote"].tolist()
        ['b']
        >>> drill_quotes(codings, cases, ["x", "y"], together=True)["quote"].tolist()
        ['b', 'c']
    """
    scope = cases
    if attribute is not None:
        if attribute not in cases.columns:
            scope = cases.iloc[0:0]
        elif value == MISSING_VALUE:
            scope = cases[cases[attribute].isna()]
        else:
            scope = cases[cases[attribute].astype(str) == str(value)]
    selected = filter_codings(codings, scope)
    wanted = [c for c in (codes or []) if c is not None]
    if together and len(wanted) > 1:
        documents = None
        for code in wanted:
            having = set(quotes_for(selected, code)["document"])
            documents = having if documents is None else documents & having
        selected = filter_codings(selected, sorted(documents or []))
    return quotes_for(selected, wanted or None)


# ----------------------------------------------------------------------------------------------- report


def composition(cases: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """Interviews per value of a case attribute (the sample's make-up): columns value, interviews, share.

    Example:
        >>> cases = pd.DataFrame({"document": ["S1", "S2"], "gender": ["male", "female"]})
        >>> composition(cases, "gender")["interviews"].tolist()
        [1, 1]
    """
    if attribute not in cases or cases.empty:
        return pd.DataFrame(columns=["value", "interviews", "share"])
    values = cases[attribute].fillna(MISSING_VALUE).astype(str)
    counts = values.value_counts().sort_index()
    frame = counts.rename_axis("value").reset_index(name="interviews")
    frame["share"] = frame["interviews"] / len(cases)
    return frame


def coded_coverage(codings: pd.DataFrame, respondent_turns: int) -> dict[str, Any]:
    """How many respondent turns carry at least one counted coding, of all respondent turns."""
    coded = int(codings.dropna(subset=["segment"]).drop_duplicates(["document", "segment"]).shape[0])
    coded = min(coded, respondent_turns) if respondent_turns else coded
    return {"coded": coded, "total": respondent_turns, "share": share_of(coded, respondent_turns)}


def codings_by_coder(codings_per_code: dict[str, dict[str, int]]) -> pd.DataFrame:
    """The status's {code: {coder: n}} as a code x coder table of counts (0 where a coder never used a code)."""
    frame = pd.DataFrame(codings_per_code).T.fillna(0).astype(int)
    frame.index.name = "code"
    return frame


def code_attribute_matrix(codings: pd.DataFrame, cases: pd.DataFrame, attributes: Sequence[str]) -> pd.DataFrame:
    """Every code by every value of the given attributes, long: attribute, value, code, interviews, n, share."""
    frames = []
    for attribute in attributes:
        if attribute in cases:
            frame = code_by_attribute(codings, cases, attribute)
            frame.insert(0, "attribute", attribute)
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["attribute", "code", "value", "interviews", "n", "share"])
    return pd.concat(frames, ignore_index=True)


def agreement_table_frame(table: dict[str, Any]) -> pd.DataFrame:
    """The agreement report's per-code entries and ``overall`` as one table (a reshape for display)."""
    rows = [{"code": code, **values} for code, values in table.get("per_code", {}).items()]
    if "overall" in table:
        rows.append({"code": "overall", **table["overall"]})
    return pd.DataFrame(rows)
