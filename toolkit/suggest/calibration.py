"""One probability scale for learnt and codebook-only scores: pooled sigmoid maps fitted on training data only.

Why: the per-code classifiers are trained with balanced class weights and, with few coded turns, are
over-confident on interviews they did not see; the codebook-only (zero-shot) score is a squashed z-score with
no probability meaning at all. A single threshold can only decide both if both mean "chance that a person
codes it". Each map is a logistic curve on the score's logit (Platt scaling), pooled across codes so that
two parameters are learnt from every (turn, code) pair instead of two per code from a handful of turns.

* The learnt map is fitted on out-of-fold scores: what a classifier gives coded turns it did not train on
  (:func:`inner_folds` over the coded interviews).
* The zero-shot score does not depend on labels, so its map is fitted directly on the coded turns; it also
  learns how far to trust each code's codebook score from how often the codebook's own suggestion of that code
  was coded (:class:`CodebookMap`), computed out of fold.

Nothing here ever sees a turn outside the training labels; both maps are monotone increasing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

__all__ = [
    "BlendMap",
    "CodebookMap",
    "SigmoidMap",
    "codebook_precision_shift",
    "codebook_record",
    "inner_folds",
    "logit",
    "squash",
]

_EPS = 1e-6
_MIN_SLOPE = 1e-3
PRECISION_PRIOR_TURNS = 2.0  # pseudo-turns of the pooled precision in each code's shrunk precision (not tuned)


def squash(z: np.ndarray) -> np.ndarray:
    """The logistic function, kept strictly inside (0, 1)."""
    return np.clip(1.0 / (1.0 + np.exp(-z)), _EPS, 1.0 - _EPS)


class _Curve:
    """A pooled logistic curve on a score's logit: its settings, and the identity until fitted."""

    def __init__(self, C: float = 1.0, min_positives: int = 5) -> None:
        self.C = C
        self.min_positives = min_positives
        self.slope_ = 1.0
        self.intercept_ = 0.0
        self.flag_shift_ = 0.0
        self.fitted_ = False


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


class SigmoidMap(_Curve):
    """P(coded) = sigmoid(a * logit(score) + b [+ c * flag]), a > 0, fitted on pairs pooled across codes.

    ``flag`` is an optional 0/1 mark per pair that shifts the curve without changing its slope (such as
    whether the code is the turn's best; :class:`CodebookMap` adds a per-code shift to that for the
    codebook-only scores). The map is monotone increasing in the score for either flag.

    Args:
        C: inverse L2 strength of the two-parameter logistic fit (mild: thousands of pairs).
        min_positives: with fewer positive pairs (or no negative), nothing is fitted (``fitted_`` False).
    """

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
        return squash(z)


def codebook_record(fires: np.ndarray, truth: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Codes x 2: on how many decided turns the codebook alone suggests each code, and on how many it was coded.

    ``fires``, ``truth`` and ``known`` are turns x codes (the codebook alone suggests it; coded; a decision
    exists).
    """
    fired = fires & known
    return np.column_stack([fired.sum(axis=0), (fired & truth).sum(axis=0)])


def codebook_precision_shift(
    fires: np.ndarray, truth: np.ndarray, known: np.ndarray, prior_turns: float = PRECISION_PRIOR_TURNS
) -> np.ndarray:
    """Per code: log-odds that the codebook's own suggestion of it is coded, minus the same over all codes.

    Arguments as for :func:`codebook_record`. Each code's rate is shrunk toward the pooled one by
    ``prior_turns`` pseudo-turns, so a code the codebook never suggested on a coded turn gets 0 (the pooled
    curve) and one turn cannot move it far.
    """
    return _shift_from_record(codebook_record(fires, truth, known), prior_turns)


def _shift_from_record(record: np.ndarray, prior_turns: float = PRECISION_PRIOR_TURNS) -> np.ndarray:
    suggested, applied = record[:, 0], record[:, 1]
    pooled = float(np.clip(applied.sum() / max(int(suggested.sum()), 1), 0.02, 0.98))
    rate = (applied + prior_turns * pooled) / (suggested + prior_turns)
    return logit(rate) - logit(np.array(pooled))


class CodebookMap(_Curve):
    """P(coded) = sigmoid(a * logit(score) + b + c * best + d * shift[code]), a > 0: the codebook-score map.

    Pooled over codes like :class:`SigmoidMap` (``best``: the code has the turn's highest codebook score), plus
    ``shift``, how often the codebook's own suggestion of the code was coded (:func:`codebook_precision_shift`).
    Why: a curve pooled over codes gave the positives of a code the codebook finds well (on the sample corpus,
    in-person recruitment: precision 0.88 from the codebook alone) probabilities of 0.1-0.5, under the
    threshold, because for other codes (contract vetted: 0.07) a high codebook score means little. The shift
    of the pairs the curve is fitted on is computed out of fold (``folds`` over the coded interviews), so a
    turn's own label never sets the shift it is fitted with; ``oof_shift_`` keeps those values for the pairs
    of the blend map, ``shift_`` (from every coded turn) is what scores new turns, and ``record_`` holds the
    counts it is made of (:func:`codebook_record`; the review card shows them), even when nothing is fitted.

    The shift's weight is kept only when positive (otherwise the map is fitted without it, as the blend map's
    late term is): with two or three coded interviews the out-of-fold shifts are a handful of turns, and a
    negative fitted weight gave a code whose codebook suggestions had all been coded a *lower* chance (on the
    sample corpus, in-person recruitment after two coded interviews: F1 0.83 -> 0.87, curve 0.699 -> 0.704;
    development corpus 0.640 -> 0.644; leave-one-interview-out unchanged on both; ``bench/README.md``,
    seventeenth session).
    """

    def __init__(self, C: float = 1.0, min_positives: int = 5) -> None:
        super().__init__(C, min_positives)
        self.shift_weight_ = 0.0

    def fit(
        self,
        scores: np.ndarray,
        truth: np.ndarray,
        known: np.ndarray,
        best: np.ndarray,
        fires: np.ndarray,
        folds: Sequence[tuple[np.ndarray, np.ndarray]] = (),
        decided: np.ndarray | None = None,
    ) -> CodebookMap:
        """Fit on the coded turns' codebook scores (turns x codes) where ``known``; rows are what ``folds`` split.

        ``decided`` (default ``known``): the pairs a person decided, the only ones the record and the shift count.
        Why: self-training's borrowed turns are those the model was sure of, so counting them raised the pooled
        precision, and against it one codebook suggestion that was not coded became a large negative shift (sample
        corpus after two coded interviews: in-person recruitment F1 0.00 against the codebook's 0.93 in one order;
        ``bench/README.md``, twenty-seventh session).
        """
        truth, known, fires = truth.astype(bool), known.astype(bool), fires.astype(bool)
        decided = known if decided is None else decided.astype(bool)
        self.record_ = codebook_record(fires, truth, decided)
        self.shift_ = _shift_from_record(self.record_)
        self.oof_shift_ = np.zeros(scores.shape)
        for train, held in folds:
            self.oof_shift_[held] = codebook_precision_shift(fires[train], truth[train], decided[train])[None, :]
        y = truth[known]
        if y.sum() < max(self.min_positives, 1) or y.all():
            return self
        X = np.column_stack([logit(scores[known]), best[known].astype(np.float64), self.oof_shift_[known]])
        fit = LogisticRegression(C=self.C, max_iter=200).fit(X, y)
        coef = fit.coef_[0].copy()
        if coef[2] < _MIN_SLOPE:  # never a lower chance for a code whose suggestions were coded more often
            fit = LogisticRegression(C=self.C, max_iter=200).fit(X[:, :2], y)
            coef = np.append(fit.coef_[0], 0.0)
        if coef[0] < _MIN_SLOPE:  # a score that does not rank is no reason to reverse it
            return self
        self.slope_, self.flag_shift_, self.shift_weight_ = (float(c) for c in coef)
        self.intercept_, self.fitted_ = float(fit.intercept_[0]), True
        return self

    def transform(
        self,
        scores: np.ndarray,
        flag: np.ndarray | None = None,
        codes: np.ndarray | int | None = None,
        shift: np.ndarray | None = None,
    ) -> np.ndarray:
        """Mapped probabilities, same shape, strictly inside (0, 1).

        ``scores`` is turns x codes, or one code's column with ``codes`` its index; ``shift`` overrides the
        per-code shift (the out-of-fold values of the coded turns, for the blend map's pairs).
        """
        z = self.slope_ * logit(scores) + self.intercept_
        if flag is not None:
            z = z + self.flag_shift_ * np.asarray(flag, dtype=np.float64)
        if shift is None:
            shift = getattr(self, "shift_", None)
            if shift is not None and codes is not None:
                shift = shift[codes]
            elif shift is not None and np.ndim(scores) != 2:
                shift = None  # one column without its code: the pooled curve
        if shift is not None:
            z = z + self.shift_weight_ * np.asarray(shift, dtype=np.float64)
        return squash(z)


class BlendMap:
    """P(coded) = sigmoid(a * w * logit(learnt) + b * (1 - w) * logit(codebook) + e * w * logit(codebook) + c).

    ``w = n / (n + k)``. The codebook prior and the learnt score combined and calibrated in one step, on
    out-of-fold pairs pooled over codes (``n``: the code's coded turns; ``k``: the prior strength in
    pseudo-turns). Why: averaging two calibrated probabilities is not calibrated (it pulls confident, agreeing
    scores toward the middle and disagreeing ones up from it); fitting the combination on held-out scores is.

    The third term (``e >= 0``) lets the codebook keep a say once a code has many coded turns, as far as the
    coded turns show that it adds to the learnt score; where it does not, ``e`` is 0 and the map is the
    two-term one. Why: on the development corpus (another author's wording) a code's classifier trained on
    its 10-20 coded turns missed what the codebook alone found (leave-one-interview-out there 0.747 -> 0.768
    with the third term, ``recruitment.advertisement`` 0.47 -> 0.63), while on the sample corpus the fitted
    ``e`` is negative, so it is dropped and nothing changes (``bench/README.md``, fifteenth session).
    """

    def __init__(self, k: float, C: float = 1.0, min_positives: int = 5) -> None:
        self.k = k
        self.C = C
        self.min_positives = min_positives
        self.fitted_ = False

    def _design(self, learnt: np.ndarray, codebook: np.ndarray, counts: np.ndarray | float) -> np.ndarray:
        w = np.asarray(counts, dtype=np.float64) / (np.asarray(counts, dtype=np.float64) + self.k)
        w = np.broadcast_to(w, np.shape(learnt))
        codebook_logit = logit(codebook)
        return np.column_stack([w * logit(learnt), (1.0 - w) * codebook_logit, w * codebook_logit])

    def fit(self, learnt: np.ndarray, codebook: np.ndarray, counts: np.ndarray, truth: np.ndarray) -> BlendMap:
        """Fit on out-of-fold learnt scores, mapped codebook scores, coded-turn counts and truth (aligned).

        The codebook's late term is kept only with a positive weight: fitted without it when the three-term
        fit gives it none (the constrained optimum then lies where that weight is 0).
        """
        truth = np.ravel(truth).astype(bool)
        if truth.sum() < max(self.min_positives, 1) or truth.all():
            return self
        design = self._design(learnt, codebook, counts)
        fit = LogisticRegression(C=self.C, max_iter=200).fit(design, truth)
        coef, intercept = fit.coef_[0].copy(), float(fit.intercept_[0])
        if coef[2] < _MIN_SLOPE:
            fit = LogisticRegression(C=self.C, max_iter=200).fit(design[:, :2], truth)
            coef, intercept = np.append(fit.coef_[0], 0.0), float(fit.intercept_[0])
        if (coef[:2] < _MIN_SLOPE).any():
            return self
        self.coef_, self.intercept_, self.fitted_ = coef, intercept, True
        return self

    def transform(self, learnt: np.ndarray, codebook: np.ndarray, counts: np.ndarray | float) -> np.ndarray:
        """Combined probabilities, strictly inside (0, 1); ``counts`` may be one number for a whole column."""
        z = self._design(learnt, codebook, counts) @ self.coef_ + self.intercept_
        return squash(z)


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
