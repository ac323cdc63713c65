"""How much to trust a code's learnt model against the codebook: a weight per code, chosen on training data.

Why: one global blend (the codebook counts as ``k`` coded turns) trusts every code's classifier alike, yet
after two or three coded interviews some classifiers already beat the codebook and others are worse than it
(a code coded a few times in one style, or whose codebook examples are very good). Whether the learnt model
helps can be checked inside the training data: each trained classifier is refitted on inner folds of the
coded interviews (``calibration.inner_folds``), which gives out-of-fold learnt probabilities for coded turns;
the codebook's probabilities for the same turns need no labels. Per code, the weight
``w`` in ``p = w * p_learnt + (1 - w) * p_codebook`` that minimises the out-of-fold log-loss is chosen, pulled
toward the global blend by a penalty so that a handful of turns cannot swing it. A code whose learnt model
cannot be validated (too few out-of-fold positives, or one coded interview) is scored by the codebook.

Nothing here sees a turn outside the training labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["WEIGHTS", "BlendEvidence", "choose_weight"]

WEIGHTS = np.linspace(0.0, 1.0, 11)
_EPS = 1e-6


def _log_loss(p: np.ndarray, truth: np.ndarray) -> float:
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return float(-(np.log(p[truth]).sum() + np.log1p(-p[~truth]).sum()))


def choose_weight(
    learnt: np.ndarray,
    codebook: np.ndarray,
    truth: np.ndarray,
    prior_weight: float,
    penalty: float,
    min_positives: int,
) -> float | None:
    """The weight of the learnt model with the lowest penalised out-of-fold log-loss, or None if unvalidated.

    ``learnt`` and ``codebook`` are probabilities for the same coded turns (the learnt ones out-of-fold),
    ``truth`` whether each was coded. The penalty ``penalty * (w - prior_weight) ** 2`` (in units of one
    turn's log-loss) keeps the weight near the global blend unless the turns clearly say otherwise.
    Fewer than ``min_positives`` coded turns among them: None (the learnt model cannot be validated).
    """
    truth = np.asarray(truth, dtype=bool)
    if truth.sum() < max(min_positives, 1) or truth.all():
        return None
    learnt, codebook = np.asarray(learnt, dtype=np.float64), np.asarray(codebook, dtype=np.float64)
    losses = [_log_loss(w * learnt + (1.0 - w) * codebook, truth) + penalty * (w - prior_weight) ** 2 for w in WEIGHTS]
    return float(WEIGHTS[int(np.argmin(losses))])


@dataclass
class BlendEvidence:
    """Out-of-fold learnt scores (raw, before the learnt map) per trained code, with the rows and the truth."""

    rows: dict[int, list[np.ndarray]] = field(default_factory=dict)
    scores: dict[int, list[np.ndarray]] = field(default_factory=dict)

    def add(self, code: int, rows: np.ndarray, scores: np.ndarray) -> None:
        """Record one inner fold's held-out rows and the code's learnt scores on them."""
        self.rows.setdefault(code, []).append(rows)
        self.scores.setdefault(code, []).append(scores)

    def of(self, code: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, raw learnt scores) pooled over the folds, or None for a code with no out-of-fold score."""
        if code not in self.rows:
            return None
        return np.concatenate(self.rows[code]), np.concatenate(self.scores[code])
