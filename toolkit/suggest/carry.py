"""A code carried over from the answer before: a follow-up answer often keeps its predecessor's topic.

Why: in an interview a topic runs over several turns ("What else did the leaflet say?" - "Only a few lines
in big letters, and a mobile number"), and coders code the follow-up too, though its own words barely name
the code. Out of fold on the development corpus, 35 of 164 coded (turn, code) pairs followed a turn with the
same code, and only half of them were suggested (0.51 recall, against 0.81 for the others); on the sample
corpus 29 of 227 (0.72 against 0.82). The blended probability of the turn before says what the topic was;
how far to carry it is learnt from the coded interviews.

:class:`CarryMap` adds ``b * p_prev * (1 - top)`` to a turn's log-odds for each code, where ``p_prev`` is the
previous answer's probability of the code (in the same document) and ``top`` the turn's own highest probability
over all codes: a topic is carried only into an answer that names no code of its own. ``b`` is fitted on
out-of-fold probabilities of the coded turns (log-loss, held at zero or above: a topic before is never evidence
against a code), and the turn's own log-odds enter with weight 1 (an offset), so where nothing came before, or
the turn names a code of its own for sure, the probabilities are those of the blend map, unchanged. A second
term that carried a topic into any next answer (``a * p_prev``) was tried beside it and left out: fitted on the
English sample it took all the weight, and a model trained there lost precision on the Russian development
interviews (micro-F1 0.669 -> 0.656, precision 0.67 -> 0.64; with this term alone 0.667; ``bench/README.md``,
twenty-fourth session).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from toolkit.suggest.calibration import logit, squash

__all__ = ["CarryMap", "previous_probabilities"]


def previous_probabilities(probs: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Each row's previous answer's probabilities (``previous`` from ``SegmentBatch.previous_rows``), 0 if none."""
    before = np.zeros_like(probs, dtype=np.float64)
    has = previous >= 0
    before[has] = probs[previous[has]]
    return before


class CarryMap:
    """P(coded) = sigmoid(logit(p) + b * p_prev * (1 - top)), b >= 0 (see the module).

    Args:
        min_follow_ups: with fewer coded pairs that follow a turn with the same code, nothing is fitted
            (``fitted_`` False, the identity): too few to say how far a topic carries.
    """

    def __init__(self, min_follow_ups: int = 3) -> None:
        self.min_follow_ups = min_follow_ups
        self.weight_ = 0.0
        self.fitted_ = False

    @staticmethod
    def _unnamed(probs: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """The answer before's probability of each code, where this turn names no code of its own."""
        top = probs.max(axis=1, keepdims=True) if probs.shape[1] else np.zeros((len(probs), 1))
        return previous_probabilities(probs, previous) * (1.0 - top)

    def fit(self, probs: np.ndarray, previous: np.ndarray, truth: np.ndarray, known: np.ndarray) -> CarryMap:
        """Fit on out-of-fold probabilities (turns x codes), previous rows, truth and where a decision exists."""
        truth, known = truth.astype(bool), known.astype(bool)
        follows = np.zeros_like(truth)
        has = previous >= 0
        follows[has] = truth[previous[has]] & known[previous[has]]
        if int((follows & truth & known).sum()) < self.min_follow_ups:
            return self
        offset, y = logit(probs)[known], truth[known].astype(np.float64)
        x = self._unnamed(probs, previous)[known]

        def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
            p = squash(offset + w[0] * x)
            loss = -float(np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))
            return loss, np.array([x @ (p - y) / len(y)])

        found = minimize(loss_and_grad, np.zeros(1), jac=True, method="L-BFGS-B", bounds=[(0.0, None)])
        self.weight_ = float(found.x[0])
        self.fitted_ = self.weight_ > 0.0
        return self

    def lift(self, probs: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """What the answer before adds to each (turn, code)'s log-odds (zeros if not fitted)."""
        return self.weight_ * self._unnamed(probs, previous)

    def transform(self, probs: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """The probabilities with the answer before each turn carried in (a copy; unchanged if not fitted)."""
        carried = probs.copy()
        if not self.fitted_:
            return carried
        lift = self.lift(probs, previous)
        raised = lift > 0  # only these change: elsewhere the blend map's probability stands exactly
        z = logit(probs[raised]) + lift[raised]
        carried[raised] = squash(z)
        return carried
