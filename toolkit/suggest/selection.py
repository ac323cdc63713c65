"""Nested selection: every setting chosen inside the training folds, never on the interview scored.

The outer loop holds out one interview at a time (``LeaveOneGroupOut``). Inside the other interviews an
inner ``GroupKFold`` scores each candidate setting (C, codebook prior strength, threshold) on interviews the
inner model did not see; the best inner micro-F1 picks the setting, and only then is the held-out interview
scored, once. The figure this gives is what a new user can expect on interviews nobody tuned on; the plain
cross-validated figure (fixed defaults, themselves chosen on the sample corpus) is slightly optimistic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SegmentBatch

__all__ = ["SelectionGrid", "nested_predictions"]


@dataclass(frozen=True)
class SelectionGrid:
    """The candidate settings tried inside each training fold."""

    C: Sequence[float] = (2.0, 5.0, 10.0)
    prior_strength: Sequence[float] = (0.0, 2.0)
    threshold: Sequence[float] = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
    inner_splits: int = 4


def _mix(model: CodeSuggester, batch: SegmentBatch, k: float) -> np.ndarray:
    """What decisions rank by (``CodeSuggester.predict_proba_and_ranks``) with prior strength ``k``."""
    model.set_params(prior_strength=k)
    return model.predict_proba_and_ranks(batch)[1]


def _inner_choice(
    model: CodeSuggester,
    batch: SegmentBatch,
    labels: np.ndarray,
    rows: np.ndarray,
    groups: np.ndarray,
    grid: SelectionGrid,
) -> tuple[float, float, float]:
    """(C, prior strength, threshold) with the best micro-F1 on inner held-out interviews of ``rows``."""
    n_groups = len(np.unique(groups[rows]))
    candidates = [(c, k) for c in grid.C for k in grid.prior_strength]
    if n_groups < 2:
        return model.C, model.prior_strength, model.threshold
    splits = min(grid.inner_splits, n_groups)
    probs = {ck: np.zeros((len(rows), labels.shape[1])) for ck in candidates}
    # (inner held-out positions, the fold's fitted model, its passage counts there: its passages' size)
    folds: list[tuple[np.ndarray, CodeSuggester, np.ndarray]] = []
    for inner_train, inner_held in GroupKFold(n_splits=splits).split(rows, groups=groups[rows]):
        inner_labels = np.full(labels.shape, UNLABELLED, dtype=labels.dtype)
        inner_labels[rows[inner_train]] = labels[rows[inner_train]]
        fitted = clone(model).set_params(C=grid.C[0]).fit(batch, inner_labels, groups)
        folds.append((inner_held, fitted, fitted.passage_counts(batch)[rows[inner_held]]))
        for c in grid.C:
            if c != fitted.C:
                fitted.set_params(C=c).refit_classifiers()
            for k in grid.prior_strength:
                probs[(c, k)][inner_held] = _mix(fitted, batch, k)[rows[inner_held]]
    truth = labels[rows] == 1
    best, best_f1 = (model.C, model.prior_strength, model.threshold), -1.0
    for c, k in candidates:
        for t in grid.threshold:
            chooser = clone(model).set_params(threshold=t)
            pred = np.zeros_like(truth)
            for held, fitted, counts in folds:  # the fold's trained codes and maps decide, as when suggesting
                chooser.trained_ = fitted.trained_
                chooser.zero_shot_map_ = fitted.zero_shot_map_
                pred[held] = chooser.decide(probs[(c, k)][held], counts)
            score = f1_score(truth, pred, average="micro", zero_division=0)
            if score > best_f1 + 1e-9:
                best, best_f1 = (c, k, t), score
    return best


def nested_predictions(
    model: CodeSuggester,
    batch: SegmentBatch,
    labels: np.ndarray,
    groups: Sequence[str],
    grid: SelectionGrid | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, Counter]:
    """Outer leave-one-interview-out decisions and probabilities with settings chosen on inner folds.

    ``labels`` covers every row of ``batch`` (rows of the held-out interview are hidden in each fold).
    Returns (decisions, probabilities, how often each setting was chosen). ``on_progress(done, total)``
    before the first held-out interview and after each (minutes on a few dozen interviews: a progress bar's feed).
    """
    grid = grid or SelectionGrid()
    labels = np.asarray(labels)
    groups_arr = np.asarray(groups)
    probs = np.zeros(labels.shape, dtype=np.float64)
    pred = np.zeros(labels.shape, dtype=bool)
    chosen: Counter = Counter()
    labelled = np.where((labels != UNLABELLED).any(axis=1))[0]
    splits = list(LeaveOneGroupOut().split(labelled, groups=groups_arr[labelled]))
    report = on_progress or (lambda done, total: None)
    report(0, len(splits))  # the bar shows before the first interview's inner choice ends
    for done, (_, held) in enumerate(splits, start=1):
        held_rows = labelled[held]
        train_rows = np.setdiff1d(labelled, held_rows)
        c, k, t = _inner_choice(model, batch, labels, train_rows, groups_arr, grid)
        chosen[(c, k, t)] += 1
        outer_labels = labels.copy()
        outer_labels[held_rows] = UNLABELLED
        fitted = clone(model).set_params(C=c, prior_strength=k, threshold=t).fit(batch, outer_labels, groups_arr)
        fold_probs, fold_ranks = (scores[held_rows] for scores in fitted.predict_proba_and_ranks(batch))
        probs[held_rows] = fold_probs
        pred[held_rows] = fitted.decide(fold_probs, fitted.passage_counts(batch)[held_rows], fold_ranks)
        report(done, len(splits))
    return pred, probs, chosen
