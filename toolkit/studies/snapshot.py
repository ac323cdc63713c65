"""The snapshot study's findings: the contract-vetting funnel, awareness, and the report as one dict.

What is specific to the study behind the source report lives here (its case attributes ``signed_documents``,
``received_documents``, ``checked_employer``, ``heard_of_tip`` and its awareness and contract codes); the
generic counting it builds on is :mod:`toolkit.analysis.findings`. Nothing of the report's numbers is
built in: every figure is computed from the codings and cases passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from toolkit.analysis.disclosure import default_min_cell, protected_code_by_attribute, protected_composition
from toolkit.analysis.findings import (
    code_prevalence,
    codings_in_cases,
    interviews_in,
    interviews_per_code,
    plain_value,
    quotes_for,
    recruitment_counts,
    share_of,
)

__all__ = [
    "AWARENESS_CODE",
    "CONTRACT_PREFIX",
    "EDUCATION_CODE",
    "REPORT_ATTRIBUTES",
    "ROOT_CAUSE_PREFIX",
    "awareness",
    "contract_funnel",
    "report",
]

REPORT_ATTRIBUTES: Final = ("gender", "age_group", "exploitation_type")
"""Case attributes :func:`report` splits code prevalence by."""

AWARENESS_CODE: Final = "root_cause.awareness"
ROOT_CAUSE_PREFIX: Final = "root_cause."
"""The codes the Root causes page and chart show (the codebook's group)."""
EDUCATION_CODE: Final = "root_cause.education"
"""The root cause the Root causes page states as a headline share."""
CONTRACT_PREFIX: Final = "contract."
_YES: Final = frozenset({"yes", "y", "true", "1"})


def _is_yes(series: pd.Series) -> pd.Series:
    """True where an answer means yes (``yes``, ``y``, ``true``, ``1`` in any case, or a boolean True)."""
    flags = [
        bool(v) if isinstance(v, bool | np.bool_) else isinstance(v, str) and v.strip().lower() in _YES for v in series
    ]
    return pd.Series(flags, index=series.index, dtype=bool)


def _answered(series: pd.Series) -> pd.Series:
    flags = [not pd.isna(v) and str(v).strip() != "" for v in series]
    return pd.Series(flags, index=series.index, dtype=bool)


def _yes_count(cases: pd.DataFrame, attribute: str) -> int | None:
    """Interviews whose attribute is yes, or None when the cases have no such attribute."""
    if attribute not in cases.columns:
        return None
    return int(_is_yes(cases[attribute]).sum())


def contract_funnel(cases: pd.DataFrame, codings: pd.DataFrame) -> dict[str, Any]:
    """From signing documents to holding them, and whether the employer was checked first.

    The counts come from the case attributes ``signed_documents``, ``received_documents`` and
    ``checked_employer``; received and checked are counted among those who signed, as the report does
    ("among those who signed the documents, ..."). The codes ``contract.substituted`` and
    ``contract.promised`` have no attribute, so they are counted from the codings.

    Returns:
        Dict with ``n`` (interviews), ``signed``, ``signed_share`` (of ``n``), ``received``,
        ``received_share_of_signed``, ``checked_employer``, ``checked_employer_share`` (of signed),
        ``substituted`` and ``promised`` (interviews with that code). A share is None when its
        denominator is 0; a count is None when the cases lack the attribute.

    Example:
        >>> cases = pd.DataFrame(
        ...     {
        ...         "document": ["S1", "S2", "S3"],
        ...         "signed_documents": ["yes", "yes", "no"],
        ...         "received_documents": ["yes", "no", "n.a."],
        ...         "checked_employer": ["no", "no", "no"],
        ...     }
        ... )
        >>> funnel = contract_funnel(cases, pd.DataFrame(columns=list(CODING_COLUMNS)))
        >>> funnel["signed"], funnel["received"], funnel["received_share_of_signed"]
        (2, 1, 0.5)
    """
    n = len(interviews_in(cases))
    signed_mask = _is_yes(cases["signed_documents"]) if "signed_documents" in cases.columns else None
    signed_cases = cases[signed_mask] if signed_mask is not None else cases.iloc[0:0]
    signed = int(signed_mask.sum()) if signed_mask is not None else None
    received = _yes_count(signed_cases, "received_documents") if signed is not None else None
    checked = _yes_count(signed_cases, "checked_employer") if signed is not None else None
    counts = interviews_per_code(codings_in_cases(codings, cases))
    return {
        "n": n,
        "signed": signed,
        "signed_share": share_of(signed, n) if signed is not None else None,
        "received": received,
        "received_share_of_signed": share_of(received, signed) if received is not None and signed else None,
        "checked_employer": checked,
        "checked_employer_share": share_of(checked, signed) if checked is not None and signed else None,
        "substituted": int(counts.get("contract.substituted", 0)),
        "promised": int(counts.get("contract.promised", 0)),
    }


def awareness(cases: pd.DataFrame, codings: pd.DataFrame, code: str = AWARENESS_CODE) -> dict[str, Any]:
    """Who had heard of trafficking (attribute ``heard_of_tip``), and what they said about it (the quotes).

    The share is of the interviews that answered (a missing answer is neither yes nor no), which is the
    usual reading of a survey share. The quotes are the codings of ``code`` in these interviews, so the
    number and the voices behind it always come from the same subgroup.

    Returns:
        Dict with ``heard`` (yes count), ``not_heard``, ``n`` (interviews with an answer), ``share``
        (``heard / n``; None when ``n`` is 0 or the attribute is missing), and ``quotes`` (a frame with
        the columns of :data:`QUOTE_COLUMNS`).

    Example:
        >>> cases = pd.DataFrame({"document": ["S1", "S2"], "heard_of_tip": ["yes", "no"]})
        >>> result = awareness(cases, pd.DataFrame(columns=list(CODING_COLUMNS)))
        >>> result["heard"], result["n"], result["share"]
        (1, 2, 0.5)
    """
    quotes = quotes_for(codings, code, documents=cases)
    if "heard_of_tip" not in cases.columns:
        return {"heard": None, "not_heard": None, "n": 0, "share": None, "quotes": quotes}
    answered = cases[_answered(cases["heard_of_tip"])]
    heard = int(_is_yes(answered["heard_of_tip"]).sum())
    n = len(answered)
    return {"heard": heard, "not_heard": n - heard, "n": n, "share": share_of(heard, n), "quotes": quotes}


def report(
    codings: pd.DataFrame,
    cases: pd.DataFrame,
    coder_label: str,
    attributes: Sequence[str] = REPORT_ATTRIBUTES,
    min_cell: int | None = None,
) -> dict[str, Any]:
    """Every headline figure as one JSON-serialisable dict, with the label of whose codings count.

    Breakdowns by case attributes (``case_counts``, ``by_gender``, ``code_by_attribute``) merge groups of
    fewer than ``min_cell`` interviews and leave cells of 1 to ``min_cell - 1`` people empty (None)
    (:mod:`toolkit.analysis.disclosure`; default ``QDA_MIN_CELL`` or 3, 0 lifts it); ``suppression`` says
    what was done.

    The figures are computed from the frames only, so a different corpus, a subgroup (filter ``cases``)
    or another coder gives its own report; nothing of the source report is built in.

    Keys:
        ``coder``, ``n_interviews``, ``by_gender`` ({value: interviews}), ``case_counts``
        ({attribute: {value: interviews}}), ``code_prevalence`` ({code: {interviews, share}}),
        ``heard_of_tip``, ``heard_of_tip_n``, ``heard_of_tip_share``, ``signed_documents``,
        ``signed_share``, ``received_documents``, ``received_share_of_signed``, ``checked_employer``,
        ``checked_employer_share``, ``contract_substituted``, ``contract_promised``,
        ``recruitment_counts`` ({code: interviews}, most frequent first), ``predominant_recruitment``
        (code or None), ``code_by_attribute`` ({attribute: {code: {value: {interviews, share}}}}).

    Example:
        >>> cases = pd.DataFrame({"document": ["S1", "S2"], "gender": ["female", "male"]})
        >>> codings = pd.DataFrame({"document": ["S1"], "code": ["recruitment.online"]})
        >>> result = report(codings, cases, "gold", min_cell=0)
        >>> result["n_interviews"], result["predominant_recruitment"], result["by_gender"]
        (2, 'recruitment.online', {'female': 1, 'male': 1})
        >>> report(codings, cases, "gold")["by_gender"]  # groups under 3 merged, and still under 3: no number
        {'other (groups under 3)': None}
    """
    scoped = codings_in_cases(codings, cases)
    min_cell = default_min_cell() if min_cell is None else min_cell
    counts_by_attribute = {}
    notes: dict[str, str] = {}
    for column in cases.columns:
        if column == "document":
            continue
        sizes = protected_composition(cases, column, min_cell=min_cell)
        counts_by_attribute[column] = {
            str(k): (None if v is None else int(v)) for k, v in zip(sizes["value"], sizes["interviews"], strict=True)
        }
    prevalence = code_prevalence(scoped, cases)
    funnel = contract_funnel(cases, scoped)
    aware = awareness(cases, scoped)
    recruitment = recruitment_counts(scoped, cases)
    top = recruitment[recruitment["interviews"] > 0]
    by_attribute: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for attribute in attributes:
        if attribute not in cases.columns:
            continue
        split: dict[str, dict[str, dict[str, Any]]] = {}
        protected = protected_code_by_attribute(scoped, cases, attribute, min_cell=min_cell)
        notes[attribute] = protected.attrs["suppression"]
        for code, value, interviews, share in zip(
            protected["code"].astype(str),
            protected["value"].astype(str),
            protected["interviews"],
            protected["share"],
            strict=True,
        ):
            split.setdefault(code, {})[value] = {
                "interviews": None if interviews is None else int(interviews),
                "share": None if share is None else plain_value(share),
            }
        by_attribute[attribute] = split
    return {
        "coder": coder_label,
        "n_interviews": len(interviews_in(cases)),
        "by_gender": counts_by_attribute.get("gender", {}),
        "case_counts": counts_by_attribute,
        "code_prevalence": {
            str(code): {"interviews": int(interviews), "share": plain_value(share)}
            for code, interviews, share in zip(
                prevalence["code"], prevalence["interviews"], prevalence["share"], strict=True
            )
        },
        "heard_of_tip": aware["heard"],
        "heard_of_tip_n": aware["n"],
        "heard_of_tip_share": aware["share"],
        "signed_documents": funnel["signed"],
        "signed_share": funnel["signed_share"],
        "received_documents": funnel["received"],
        "received_share_of_signed": funnel["received_share_of_signed"],
        "checked_employer": funnel["checked_employer"],
        "checked_employer_share": funnel["checked_employer_share"],
        "contract_substituted": funnel["substituted"],
        "contract_promised": funnel["promised"],
        "recruitment_counts": {
            str(code): int(interviews)
            for code, interviews in zip(recruitment["code"], recruitment["interviews"], strict=True)
        },
        "predominant_recruitment": str(top["code"].iloc[0]) if not top.empty else None,
        "code_by_attribute": by_attribute,
        "suppression": {"min_cell": min_cell, "notes": notes},
    }
