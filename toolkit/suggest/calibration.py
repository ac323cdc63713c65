"""One probability scale for learnt and codebook-only scores: pooled sigmoid maps fitted on training data only.

Why: the per-code classifiers are trained with balanced class weights and, with few coded turns, are
over-confident on interviews they did not see; the codebook-only (zero-shot) score is a squashed z-score with
no probability meaning at all. A single threshold can only decide both if both mean "chance that a person
codes it". Each map is a logistic curve on the score's logit (Platt scaling), pooled across codes so that
two parameters are learnt from every (turn, code) pair instead of two per code from a handful of turns.

* The learnt map is fitted on out-of-fold scores: what a classifier gives coded turns it did not train on
  (:func:`inner_folds` over the coded interviews).
* The zero-shot score does not depend on labels, so its map is fitted directly on the coded turns.

Nothing here ever sees a turn outside the training labels; both maps are monotone increasing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

__all__ = ["BlendMap", "SigmoidMap", "inner_folds", "logit"]

_EPS = 1e-6
_MIN_SLOPE = 1e-3


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


class SigmoidMap:
    """P(coded) = sigmoid(a * logit(score) + b [+ c * flag]), a > 0, fitted on pairs pooled across codes.

    ``flag`` is an optional 0/1 mark per pair that shifts the curve without changing its slope (for
    codebook-only scores: whether the code is the turn's best, since those scores rank codes within a
    turn better than across turns). The map is monotone increasing in the score for either flag.

    Args:
        C: inverse L2 strength of the two-parameter logistic fit (mild: thousands of pairs).
        min_positives: with fewer positive pairs (or no negative), nothing is fitted (``fitted_`` False).
    """

    def __init__(self, C: float = 1.0, min_positives: int = 5) -> None:
        self.C = C
        self.min_positives = min_positives
        self.slope_ = 1.0
        self.intercept_ = 0.0
        self.flag_shift_ = 0.0
        self.fitted_ = False

    def fit(self, scores: np.ndarray, truth: np.ndarray, flag: np.ndarray | None = None) -> SigmoidMap:
        """Fit on probabilities ``scores`` in [0, 1] and boolean ``truth`` (same length)."""
        scores, truth = np.ravel(scores), np.ravel(truth).astype(bool)
        if truth.sum() < max(self.min_positives, 1) or truth.all():
            return self
        X = logit(scores)[:, None]
        if flag is not None:
            X = np.hstack([X, np.ravel(flag).astype(np.float64)[:, None]])
        fit = LogisticRegression(C=self.C, max_iter=200).fit(X, truth)
        slope = float(fit.coef_[0, 0])
        if slope < _MIN_SLOPE:  # a score that does not rank is no reason to reverse it: keep the identity
            return self
        self.slope_, self.intercept_, self.fitted_ = slope, float(fit.intercept_[0]), True
        self.flag_shift_ = float(fit.coef_[0, 1]) if flag is not None else 0.0
        return self

    def transform(self, scores: np.ndarray, flag: np.ndarray | None = None) -> np.ndarray:
        """Mapped probabilities, same shape, strictly inside (0, 1)."""
        z = self.slope_ * logit(scores) + self.intercept_
        if flag is not None:
            z = z + self.flag_shift_ * np.asarray(flag, dtype=np.float64)
        return np.clip(1.0 / (1.0 + np.exp(-z)), _EPS, 1.0 - _EPS)


class BlendMap:
    """P(coded) = sigmoid(a * w * logit(learnt) + b * (1 - w) * logit(codebook) + c), w = n / (n + k).

    The codebook prior and the learnt score combined and calibrated in one step, on out-of-fold pairs pooled
    over codes (``n``: the code's coded turns; ``k``: the prior strength in pseudo-turns). Why: averaging two
    calibrated probabilities is not calibrated (it pulls confident, agreeing scores toward the middle and
    disagreeing ones up from it); fitting the combination on held-out scores is.
    """

    def __init__(self, k: float, C: float = 1.0, min_positives: int = 5) -> None:
        self.k = k
        self.C = C
        self.min_positives = min_positives
        self.fitted_ = False

    def _design(self, learnt: np.ndarray, codebook: np.ndarray, counts: np.ndarray | float) -> np.ndarray:
        w = np.asarray(counts, dtype=np.float64) / (np.asarray(counts, dtype=np.float64) + self.k)
        w = np.broadcast_to(w, np.shape(learnt))
        return np.column_stack([w * logit(learnt), (1.0 - w) * logit(codebook)])

    def fit(self, learnt: np.ndarray, codebook: np.ndarray, counts: np.ndarray, truth: np.ndarray) -> BlendMap:
        """Fit on out-of-fold learnt scores, mapped codebook scores, coded-turn counts and truth (aligned)."""
        truth = np.ravel(truth).astype(bool)
        if truth.sum() < max(self.min_positives, 1) or truth.all():
            return self
        fit = LogisticRegression(C=self.C, max_iter=200).fit(self._design(learnt, codebook, counts), truth)
        if (fit.coef_[0] < _MIN_SLOPE).any():
            return self
        self.coef_, self.intercept_, self.fitted_ = fit.coef_[0].copy(), float(fit.intercept_[0]), True
        return self

    def transform(self, learnt: np.ndarray, codebook: np.ndarray, counts: np.ndarray | float) -> np.ndarray:
        """Combined probabilities, strictly inside (0, 1); ``counts`` may be one number for a whole column."""
        z = self._design(learnt, codebook, counts) @ self.coef_ + self.intercept_
        return np.clip(1.0 / (1.0 + np.exp(-z)), _EPS, 1.0 - _EPS)


def inner_folds(
    groups: Sequence[object] | np.ndarray | None, n: int, n_splits: int = 4
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, held) positions of ``n`` coded turns, split by ``groups`` (their interviews).

    Without groups the turns are cut into ``n_splits`` contiguous blocks (turns are stored interview by
    interview, so a block holds whole interviews but for its edges). Fewer than two groups: no folds.
    """
    labels = np.asarray(groups) if groups is not None else (np.arange(n) * n_splits) // max(n, 1)
    n_groups = len(np.unique(labels))
    if n < 2 or n_groups < 2:
        return []
    return list(GroupKFold(n_splits=min(n_splits, n_groups)).split(np.zeros(n), groups=labels))
