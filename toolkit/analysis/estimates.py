"""Findings estimated before coding is finished: "coded so far" plus "estimated for the uncoded interviews".

A finding here is the share of interviews with a code. For the interviews the reference coder has coded,
it is counted (``k`` of ``n``). For each uncoded interview the suggestion model's calibrated turn
probabilities give the chance that the interview has the code, ``1 - prod(1 - p)`` over its turns (turns
taken as independent); the number of uncoded interviews with the code is then a sum of independent
Bernoulli variables, a Poisson-binomial, whose exact distribution a small dynamic programme gives. Its
quantiles are the interval; the share adds the counted and the estimated parts.

Which function to use when:

- :func:`interview_probability`: turn probabilities -> the chance an interview has the code.
- :func:`poisson_binomial_pmf` / :func:`poisson_binomial_interval`: the distribution of a count of
  independent events with different chances, and its central interval.
- :func:`estimate_shares`: the table: one row per code, counted + estimated, with intervals.
- :func:`next_to_code`: which uncoded interview to code next (the one whose coding narrows the shown
  estimates most: largest summed variance ``p (1 - p)``).
- :mod:`toolkit.analysis.estimates_store` reads a store and runs the model.

Nothing here reads a database; every figure is unit-tested here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from toolkit.errors import ToolkitError

__all__ = [
    "ESTIMATE_COLUMNS",
    "display_table",
    "estimate_shares",
    "interview_probability",
    "next_to_code",
    "poisson_binomial_interval",
    "poisson_binomial_pmf",
    "recalibrate",
]

ESTIMATE_COLUMNS: Final = (
    "code",
    "coded_with",
    "coded",
    "uncoded",
    "expected",
    "low",
    "high",
    "share",
    "share_low",
    "share_high",
    "calibrated",
)
"""Columns of :func:`estimate_shares`: counted ``coded_with`` of ``coded`` interviews; for the ``uncoded``
ones the expected count and its interval [low, high]; the share of all interviews with its interval;
whether the code's probabilities are calibrated (learnt from codings, not the codebook alone)."""


def interview_probability(turn_probabilities: Iterable[float]) -> float:
    """The chance that an interview has a code, from its turns' probabilities: ``1 - prod(1 - p)``.

    Example:
        >>> round(interview_probability([0.5, 0.5]), 2)
        0.75
    """
    p = np.clip(np.asarray(list(turn_probabilities), dtype=float), 0.0, 1.0)
    return float(1.0 - np.prod(1.0 - p)) if p.size else 0.0


def poisson_binomial_pmf(probabilities: Sequence[float]) -> np.ndarray:
    """P(exactly j of the events happen), j = 0..n, for independent events with these chances.

    Exact, by dynamic programming over the events (O(n^2), instant for a few hundred interviews).

    Example:
        >>> poisson_binomial_pmf([0.5, 0.5]).tolist()
        [0.25, 0.5, 0.25]
    """
    pmf = np.zeros(len(probabilities) + 1)
    pmf[0] = 1.0
    for i, p in enumerate(probabilities):
        if not 0.0 <= p <= 1.0 or math.isnan(p):
            raise ToolkitError(f"a probability must be in [0, 1], not {p!r}")
        pmf[1 : i + 2] = pmf[1 : i + 2] * (1.0 - p) + pmf[: i + 1] * p
        pmf[0] *= 1.0 - p
    return pmf


def poisson_binomial_interval(probabilities: Sequence[float], level: float = 0.9) -> tuple[int, int]:
    """The central interval of the count: lowest and highest counts leaving ``(1 - level) / 2`` out on each side.

    ``low`` is the smallest count whose cumulative probability reaches ``(1 - level) / 2``; ``high`` the
    smallest whose cumulative probability reaches ``1 - (1 - level) / 2``, so that
    ``P(low <= count <= high) >= level``.

    Example:
        >>> poisson_binomial_interval([0.5] * 10, level=0.9)
        (2, 8)
    """
    if not 0.0 < level < 1.0:
        raise ToolkitError(f"the interval's level must be between 0 and 1, not {level!r}")
    cdf = np.cumsum(poisson_binomial_pmf(probabilities))
    tail = (1.0 - level) / 2.0
    eps = 1e-12
    low = int(np.searchsorted(cdf, tail - eps, side="left"))
    high = int(np.searchsorted(cdf, 1.0 - tail - eps, side="left"))
    return low, min(high, len(probabilities))


def estimate_shares(
    codings: pd.DataFrame,
    coded_documents: Iterable[str],
    interview_probabilities: pd.DataFrame,
    codes: Sequence[str],
    *,
    calibrated: Iterable[str] | None = None,
    level: float = 0.9,
) -> pd.DataFrame:
    """Per code: counted in the coded interviews, estimated with an interval for the uncoded ones.

    Args:
        codings: the reference coder's codings (columns ``document``, ``code``); only coded documents count.
        coded_documents: the interviews the reference coder has coded.
        interview_probabilities: one row per uncoded interview and code: ``document``, ``code``,
            ``probability`` (see :func:`interview_probability`); a missing row counts as 0.
        codes: the codes to report, in this order.
        calibrated: codes whose probabilities are calibrated (None: all of them).
        level: the interval's coverage.

    Returns:
        A frame with :data:`ESTIMATE_COLUMNS`; shares are NaN when there are no interviews.

    Example:
        >>> codings = pd.DataFrame({"document": ["S1"], "code": ["a"]})
        >>> probs = pd.DataFrame({"document": ["S3", "S4"], "code": ["a", "a"], "probability": [0.5, 0.5]})
        >>> row = estimate_shares(codings, ["S1", "S2"], probs, ["a"]).iloc[0]
        >>> (row.coded_with, row.coded, row.uncoded, row.expected, row.share)
        (1, 2, 2, 1.0, 0.5)
    """
    coded = list(dict.fromkeys(str(d) for d in coded_documents))
    coded_set = set(coded)
    scoped = codings[codings["document"].astype(str).isin(coded_set)]
    uncoded = sorted(set(interview_probabilities["document"].astype(str)) - coded_set)
    table = interview_probabilities.pivot_table(index="document", columns="code", values="probability", aggfunc="max")
    table = table.reindex(index=uncoded, columns=list(codes)).fillna(0.0)
    trusted = set(codes) if calibrated is None else set(calibrated)
    rows = []
    total = len(coded) + len(uncoded)
    for code in codes:
        k = int(scoped.loc[scoped["code"] == code, "document"].nunique())
        p = table[code].to_numpy(dtype=float) if uncoded else np.zeros(0)
        low, high = poisson_binomial_interval(p.tolist(), level) if len(p) else (0, 0)
        expected = float(p.sum())
        rows.append(
            {
                "code": code,
                "coded_with": k,
                "coded": len(coded),
                "uncoded": len(uncoded),
                "expected": expected,
                "low": low,
                "high": high,
                "share": (k + expected) / total if total else math.nan,
                "share_low": (k + low) / total if total else math.nan,
                "share_high": (k + high) / total if total else math.nan,
                "calibrated": code in trusted,
            }
        )
    return pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))


def next_to_code(interview_probabilities: pd.DataFrame, codes: Sequence[str] | None = None) -> str | None:
    """The uncoded interview whose coding narrows the estimates most: largest ``sum p (1 - p)`` over ``codes``.

    Coding an interview turns its Bernoulli variables into known 0s and 1s, removing their variance
    ``p (1 - p)`` from the estimated counts; ties go to the first name.

    Example:
        >>> probs = pd.DataFrame({"document": ["S3", "S4"], "code": ["a", "a"], "probability": [0.9, 0.5]})
        >>> next_to_code(probs)
        'S4'
    """
    frame = interview_probabilities
    if codes is not None:
        frame = frame[frame["code"].isin(list(codes))]
    if frame.empty:
        return None
    p = frame["probability"].astype(float)
    variance = (p * (1.0 - p)).groupby(frame["document"].astype(str)).sum()
    return str(variance.sort_index().idxmax())


def display_table(estimates: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The estimates as labelled text columns for a page or a report: every estimated cell says "estimate".

    Columns: ``code``, ``coded so far`` ("9 of 13"), ``estimate for the m uncoded`` ("estimate 6.2 [4-8]"),
    ``share of all (estimate)`` ("58% [50%-65%]"), ``calibrated``.
    """
    m = int(estimates["uncoded"].max()) if len(estimates) else 0
    estimated = f"estimate for the {m} uncoded"
    rows = []
    for row in estimates.itertuples(index=False):
        code = str(row.code)
        label = (names or {}).get(code, code)
        rows.append(
            {
                "code": label,
                "coded so far": f"{row.coded_with} of {row.coded}",
                estimated: f"estimate {row.expected:.1f} [{row.low}-{row.high}]",
                "share of all (estimate)": f"{row.share:.0%} [{row.share_low:.0%}-{row.share_high:.0%}]",
                "calibrated": "yes" if row.calibrated else "no (zero-shot)",
            }
        )
    return pd.DataFrame(rows, columns=["code", "coded so far", estimated, "share of all (estimate)", "calibrated"])


def recalibrate(train_scores: Sequence[float], train_truth: Sequence[int], scores: Sequence[float]) -> np.ndarray:
    """Map interview scores to chances learnt on coded interviews (Platt scaling on the score's logit).

    ``1 - prod(1 - p)`` over an interview's turns treats the turns as independent, so it runs high when many
    turns are borderline. Fitted on the coded interviews' held-out scores against what the coder found,
    a logistic curve on ``logit(score)`` corrects that. With fewer than 5 scores, or only one outcome,
    the scores are returned unchanged.

    Example:
        >>> recalibrate([0.9, 0.8], [1, 1], [0.5]).tolist()  # one outcome only: unchanged
        [0.5]
    """
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(train_scores, dtype=float)
    y = np.asarray(train_truth, dtype=int)
    out = np.asarray(scores, dtype=float)
    if len(x) < 5 or len(set(y.tolist())) < 2 or not len(out):
        return out

    def logit(v: np.ndarray) -> np.ndarray:
        v = np.clip(v, 1e-4, 1 - 1e-4)
        return np.log(v / (1 - v)).reshape(-1, 1)

    model = LogisticRegression(C=1.0).fit(logit(x), y)
    return np.asarray(model.predict_proba(logit(out))[:, 1], dtype=float)
