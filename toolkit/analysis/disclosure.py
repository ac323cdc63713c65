"""Small-number suppression: no breakdown by case attributes shows a cell of one or two people.

With 26 respondents, "the one woman over 45 from Kazakhstan mentioned debt" identifies her. Before a
breakdown by attributes is shown, exported or reported:

1. groups (attribute values) with fewer than ``min_cell`` interviews are merged into one group,
   ``other (groups under 3)`` (:func:`merge_small_groups`);
2. any cell still counting 1 to ``min_cell - 1`` interviews, and any group still smaller than
   ``min_cell``, shows no number: its count, share (and group size) are empty and ``suppressed`` is true
   (:func:`suppress_cells`). Zero is shown: it identifies nobody.

Every protected frame carries a note in ``frame.attrs["suppression"]`` saying what was merged and how many
cells were suppressed, for the page, report or export to print next to the numbers. The threshold is
``QDA_MIN_CELL`` (default 3); ``min_cell=0`` lifts the protection, for the researcher's own analysis.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any, Final

import pandas as pd

from toolkit.analysis.findings import MISSING_VALUE, code_by_attribute, composition
from toolkit.errors import ToolkitError
from toolkit.store.engine import Store

__all__ = [
    "DEFAULT_MIN_CELL",
    "audit_small_numbers_shown",
    "default_min_cell",
    "merge_small_groups",
    "other_label",
    "protected_awareness",
    "protected_code_by_attribute",
    "protected_composition",
    "protected_cooccurrence",
    "protected_counts",
    "protected_funnel",
    "protected_matrix",
    "protected_matrix_query",
    "reveals_few",
    "suppress_cells",
]

DEFAULT_MIN_CELL: Final = 3


def default_min_cell() -> int:
    """``QDA_MIN_CELL`` or 3: the fewest people a shown cell may count."""
    raw = os.environ.get("QDA_MIN_CELL", "")
    if not raw.strip():
        return DEFAULT_MIN_CELL
    try:
        value = int(raw)
    except ValueError:
        raise ToolkitError(f"QDA_MIN_CELL must be a whole number (the fewest people a cell shows), not {raw!r}")
    if value < 0:
        raise ToolkitError("QDA_MIN_CELL must be 0 (no suppression) or more")
    return value


def other_label(min_cell: int) -> str:
    """The name of the merged group: ``other (groups under 3)``."""
    return f"other (groups under {min_cell})"


def merge_small_groups(cases: pd.DataFrame, attribute: str, min_cell: int) -> tuple[pd.DataFrame, list[str]]:
    """``cases`` with the values of ``attribute`` held by fewer than ``min_cell`` interviews merged into one.

    Returns the new frame and the merged values (sorted). Missing values count as the group
    :data:`toolkit.analysis.findings.MISSING_VALUE`.
    """
    if attribute not in cases.columns or min_cell <= 0 or cases.empty:
        return cases, []
    values = cases[attribute].astype(object).where(cases[attribute].notna(), MISSING_VALUE).astype(str)
    sizes = values.value_counts()
    small = sorted(v for v, n in sizes.items() if n < min_cell)
    if not small:
        return cases, []
    merged = cases.copy()
    merged[attribute] = values.where(~values.isin(small), other_label(min_cell))
    return merged, small


def _hide_next_smallest(counts: pd.Series, hidden: pd.Series, labels: pd.Series) -> pd.Series:
    """The cells to hide so that no line with a shown total has exactly one hidden cell.

    ``counts``, ``hidden`` and ``labels`` index the cells of one line. When exactly one is hidden, the
    total minus the shown cells gives it back; hiding the smallest shown cell with people in it (else the
    smallest, ties by label) leaves two unknowns and one equation.
    """
    extra = pd.Series(False, index=counts.index)
    if int(hidden.sum()) != 1 or len(counts) < 2:
        return extra
    shown = counts[~hidden].fillna(0)
    order = pd.DataFrame({"empty": shown <= 0, "count": shown, "label": labels[~hidden].astype(str)})
    chosen = order.sort_values(["empty", "count", "label"], kind="stable").index[0]
    extra[chosen] = True
    return extra


def suppress_cells(
    frame: pd.DataFrame,
    min_cell: int,
    count: str = "interviews",
    size: str | None = "n",
    line: str | None = None,
) -> pd.DataFrame:
    """Blank (None) every cell that shows, or lets a reader work out, a number of 1..min_cell-1 people.

    Adds the column ``suppressed``; ``frame.attrs["secondary"]`` counts what steps 2 to 4 hid (cells and
    group sizes that are not themselves small but would give a small number back). In order:

    1. primary: counts of 1..min_cell-1, and every cell (and the size) of a group smaller than min_cell;
    2. complement: where the group size is shown, a count leaving 1..min_cell-1 of the group *without*
       it ("12 of 13 women" names the one who did not say it);
    3. group sizes: they add up to the number of interviews, which is shown; if exactly one is hidden, the
       next smallest group's size (and its shares, which would give the size back) is hidden too;
    4. lines: the cells of a line (same ``line`` value, e.g. one code across the groups; the whole frame
       when ``line`` is None) add up to a total shown elsewhere (the code's prevalence, the sample size);
       a line with exactly one hidden cell gets its next smallest cell hidden too.

    Zero is shown: it identifies nobody.
    """
    out = frame.copy()
    if min_cell <= 0 or out.empty:
        out["suppressed"] = False
        out.attrs["secondary"] = 0
        return out
    nothing = pd.Series(False, index=out.index)
    counts = pd.to_numeric(out[count], errors="coerce")
    hide = _few(counts, min_cell)
    hide_size, hide_share, widened = nothing, nothing, 0
    if size is not None and size in out:
        sizes = pd.to_numeric(out[size], errors="coerce")
        hide_size = _few(sizes, min_cell)
        hide = hide | hide_size
        primary = hide.copy()
        hide = hide | (~hide_size & _few(sizes - counts, min_cell))
        groups = out.drop_duplicates("value")
        extra = _hide_next_smallest(sizes[groups.index], hide_size[groups.index], groups["value"])
        more = set(groups.loc[extra[extra].index, "value"])
        hide_share = out["value"].isin(more)
        hide_size = hide_size | hide_share
        widened = len(more)
    else:
        primary = hide.copy()
    keys = out[line] if line is not None else pd.Series(0, index=out.index)
    labels = out["value"] if "value" in out else pd.Series(out.index.astype(str), index=out.index)
    for cells in out.groupby(keys, sort=False).groups.values():
        extra = _hide_next_smallest(counts[cells], hide[cells], labels[cells])
        hide = hide | extra.reindex(out.index, fill_value=False)
    if size is not None and size in out:
        out[size] = out[size].astype(object).where(~hide_size, None)
    out[count] = out[count].astype(object).where(~hide, None)
    if "share" in out:
        out["share"] = out["share"].astype(object).where(~(hide | hide_share), None)
    out["suppressed"] = hide.astype(bool)
    out.attrs["secondary"] = int((hide & ~primary).sum()) + widened
    return out


def reveals_few(count: int, n: int, min_cell: int | None = None) -> bool:
    """Whether "``count`` of ``n``" tells something about 1..min_cell-1 people of a subgroup.

    True when the count, its complement (``n - count``) or the group itself is 1..min_cell-1 people: the
    rule of :func:`suppress_cells` for one number, e.g. a headline metric on a page filtered to women.

    Example:
        >>> reveals_few(1, 13, 3), reveals_few(12, 13, 3), reveals_few(0, 13, 3), reveals_few(5, 13, 3)
        (True, True, False, False)
    """
    min_cell = default_min_cell() if min_cell is None else min_cell
    return min_cell > 0 and any(0 < x < min_cell for x in (count, n - count, n))


def _few(values: pd.Series, min_cell: int) -> pd.Series:
    """1..min_cell-1 people (missing values are not few)."""
    return ((values > 0) & (values < min_cell)).fillna(False).astype(bool)


def _note(min_cell: int, merged: dict[str, list[str]], suppressed: int, secondary: int = 0) -> str:
    if min_cell <= 0:
        return "small-number suppression is off: cells of one or two people are shown"
    parts = []
    for attribute, values in merged.items():
        if values:
            parts.append(f"{attribute.replace('_', ' ')}: {', '.join(values)} merged into '{other_label(min_cell)}'")
    if suppressed:
        parts.append(f"{suppressed} cell(s) not shown")
    if secondary:
        parts.append(
            f"{secondary} of them (or group sizes) hidden only because subtracting them from a shown total "
            f"or group size would give a number under {min_cell} back"
        )
    rule = (
        f"cells of fewer than {min_cell} people, and counts leaving fewer than {min_cell} of a group out, "
        "are merged or suppressed"
    )
    return rule + (" (" + "; ".join(parts) + ")" if parts else "")


def protected_code_by_attribute(
    codings: pd.DataFrame,
    cases: pd.DataFrame,
    attribute: str,
    codes: Iterable[str] | None = None,
    min_cell: int | None = None,
) -> pd.DataFrame:
    """:func:`toolkit.analysis.findings.code_by_attribute` with small groups merged and small cells suppressed."""
    min_cell = default_min_cell() if min_cell is None else min_cell
    merged_cases, merged = merge_small_groups(cases, attribute, min_cell)
    frame = code_by_attribute(codings, merged_cases, attribute, codes)
    frame = suppress_cells(frame, min_cell, line="code")
    frame.attrs["suppression"] = _note(
        min_cell, {attribute: merged}, int(frame["suppressed"].sum()), frame.attrs["secondary"]
    )
    return frame


def protected_composition(cases: pd.DataFrame, attribute: str, min_cell: int | None = None) -> pd.DataFrame:
    """:func:`toolkit.analysis.findings.composition` with values of fewer than ``min_cell`` interviews merged."""
    min_cell = default_min_cell() if min_cell is None else min_cell
    merged_cases, merged = merge_small_groups(cases, attribute, min_cell)
    frame = suppress_cells(composition(merged_cases, attribute), min_cell, size=None)
    frame.attrs["suppression"] = _note(
        min_cell, {attribute: merged}, int(frame["suppressed"].sum()), frame.attrs["secondary"]
    )
    return frame


def protected_matrix(
    codings: pd.DataFrame, cases: pd.DataFrame, attributes: Sequence[str], min_cell: int | None = None
) -> pd.DataFrame:
    """Every code by every value of the attributes (the export's matrix), protected; the note in ``attrs``."""
    min_cell = default_min_cell() if min_cell is None else min_cell
    frames, merged, suppressed, secondary = [], {}, 0, 0
    for attribute in attributes:
        if attribute in cases:
            frame = protected_code_by_attribute(codings, cases, attribute, min_cell=min_cell)
            merged[attribute] = merge_small_groups(cases, attribute, min_cell)[1]
            suppressed += int(frame["suppressed"].sum())
            secondary += frame.attrs["secondary"]
            frame.insert(0, "attribute", attribute)
            frames.append(frame)
    columns = ["attribute", "code", "value", "interviews", "n", "share", "suppressed"]
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    result.attrs["suppression"] = _note(min_cell, merged, suppressed, secondary)
    return result


def protected_matrix_query(
    frames: dict[str, pd.DataFrame], attribute: str, min_cell: int | None = None
) -> dict[str, pd.DataFrame]:
    """The frames of :func:`toolkit.analysis.queries.matrix_query`, protected like every other breakdown.

    Values held by fewer than ``min_cell`` interviews become one column ``other (groups under 3)`` (counts
    summed: each interview has one value); then a cell of ``interviews`` hidden by :func:`suppress_cells`
    (None) hides the same cell of ``segments`` (turns there say the same people spoke of it), and a hidden
    group size hides its total. ``frames["interviews"].attrs["suppression"]`` says what was done;
    ``attrs["merged"]`` lists the merged values, for the quotes behind the ``other`` column.
    """
    min_cell = default_min_cell() if min_cell is None else min_cell
    interviews, segments, totals = frames["interviews"], frames["segments"], frames["totals"].iloc[0]
    small = sorted(str(v) for v, n in totals.items() if 0 < n < min_cell) if min_cell > 0 else []
    if small:
        other = other_label(min_cell)
        keep = [c for c in interviews.columns if str(c) not in small]

        def merge(frame: pd.DataFrame) -> pd.DataFrame:
            merged = frame[keep].copy()
            merged[other] = frame[[c for c in frame.columns if str(c) in small]].sum(axis=1)
            return merged

        interviews, segments, totals_frame = merge(interviews), merge(segments), merge(frames["totals"])
        totals = totals_frame.iloc[0]
    long = pd.DataFrame(
        [(code, value, interviews.at[code, value]) for code in interviews.index for value in interviews.columns],
        columns=["code", "value", "interviews"],
    )
    long["n"] = long["value"].map(totals)
    protected = suppress_cells(long, min_cell, line="code")
    hidden = protected.set_index(["code", "value"])["suppressed"].unstack("value")[interviews.columns]
    hidden = hidden.reindex(interviews.index).fillna(False).astype(bool)
    size_hidden = protected.drop_duplicates("value").set_index("value")["n"].isna()
    out_interviews = interviews.astype(object).where(~hidden, None)
    out_segments = segments.astype(object).where(~hidden, None)
    out_totals = totals.astype(object).where(~size_hidden.reindex(totals.index).fillna(False).astype(bool), None)
    out_interviews.attrs["suppression"] = _note(
        min_cell, {attribute: small}, int(hidden.to_numpy().sum()), protected.attrs["secondary"]
    )
    out_interviews.attrs["merged"] = small
    return {"interviews": out_interviews, "segments": out_segments, "totals": out_totals.to_frame().T}


def protected_counts(frame: pd.DataFrame, n: int, min_cell: int | None = None) -> pd.DataFrame:
    """A ``code, interviews, share`` frame of one group of ``n`` (a filtered page) with few-people rows emptied.

    For :func:`toolkit.analysis.findings.code_prevalence` and ``recruitment_counts`` on a filtered view:
    a row whose count or complement is 1..min_cell-1 (:func:`reveals_few`) shows None; ``attrs["hidden"]``
    counts them.
    """
    out = frame.copy()
    hide = pd.Series([reveals_few(int(i), n, min_cell) for i in out["interviews"]], index=out.index, dtype=bool)
    for column in ("interviews", "share"):
        if column in out:
            out[column] = out[column].astype(object).where(~hide, None)
    out.attrs["hidden"] = int(hide.sum())
    return out


_FUNNEL_STAGES: Final = (
    ("signed", "n", "signed_share"),
    ("received", "signed", "received_share_of_signed"),
    ("checked_employer", "signed", "checked_employer_share"),
)


def protected_funnel(funnel: dict[str, Any], min_cell: int | None = None) -> dict[str, Any]:
    """:func:`toolkit.studies.snapshot.contract_funnel` of a filtered view, each few-people stage None.

    Stages are judged against their own base (received and checked: of those who signed); substituted and
    promised-later against all interviews in view. ``hidden`` lists the keys emptied.
    """
    out, hidden = dict(funnel), []
    stages = (*_FUNNEL_STAGES, ("substituted", "n", None), ("promised", "n", None))
    for count, base, share in stages:
        value, of = funnel.get(count), funnel.get(base)
        # a hidden "signed" hides what is counted of it too ("X of <signed>" would give it back)
        if value is not None and of is not None and (reveals_few(int(value), int(of), min_cell) or base in hidden):
            out[count] = None
            if share:
                out[share] = None
            hidden.append(count)
    out["hidden"] = hidden
    return out


def protected_awareness(awareness: dict[str, Any], min_cell: int | None = None) -> dict[str, Any]:
    """:func:`toolkit.studies.snapshot.awareness` of a filtered view: heard / not heard None when few people."""
    out = dict(awareness)
    if awareness.get("heard") is not None and reveals_few(int(awareness["heard"]), int(awareness["n"]), min_cell):
        out.update(heard=None, not_heard=None, share=None)
    return out


def protected_cooccurrence(matrix: pd.DataFrame, n: int, min_cell: int | None = None) -> pd.DataFrame:
    """A code x code matrix of interviews (one group of ``n``, a filtered page) with few-people cells None."""
    hide = matrix.apply(lambda column: column.map(lambda count: reveals_few(int(count), n, min_cell)))
    return matrix.astype(object).where(~hide.astype(bool), None)


def audit_small_numbers_shown(store: Store, actor: str, where: str) -> None:
    """Record that an admin lifted small-number protection for their own analysis (who, on which view)."""
    with store.transaction(actor=actor) as tx:
        tx.audit("disclosure.lifted", "view", where[:200], after={"min_cell": 0})
