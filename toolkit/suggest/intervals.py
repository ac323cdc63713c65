"""How sure a per-code F1 is: intervals from resampling whole interviews (a cluster bootstrap).

Why: a code's F1 over a few coded turns is a guess. On the sample corpus `contract.vetted` has 4 coded turns in
430, and its leave-one-interview-out F1 (0.40) turns on one turn; a researcher deciding whether to trust the
model's suggestions of a code needs to see that, next to `root_cause.awareness`, whose 52 coded turns hold its
F1 within 0.05. Turns of one interview are not independent (one person, one interviewer), so whole interviews
are resampled.

Written with numpy rather than ``scipy.stats.bootstrap``: a resample may hold no turn of a rare code and no
suggestion of it, where F1 is undefined; scipy then returns NaN for the whole interval, while here such resamples
are left out of that code's percentiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["f1_intervals"]


def f1_intervals(
    truth: np.ndarray,
    pred: np.ndarray,
    groups: Sequence[object],
    code_ids: Sequence[str],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Percentile intervals of each code's F1 and of micro-F1, resampling ``groups`` (interviews) with replacement.

    ``truth`` and ``pred`` are boolean turns x codes; ``groups[i]`` is turn i's interview. Returns
    ``{"micro_f1": [lo, hi], "per_code": {code: [lo, hi] or None}, "confidence", "resamples", "interviews"}``; a
    code is None when no resample defines its F1 (no turn has it and nothing suggested it).

    Example:
        >>> t = np.array([[1], [0], [1], [0]], dtype=bool)
        >>> f1_intervals(t, t, ["a", "a", "b", "b"], ["x"])["per_code"]
        {'x': [1.0, 1.0]}
    """
    truth, pred = np.asarray(truth, dtype=bool), np.asarray(pred, dtype=bool)
    if truth.shape != pred.shape or truth.ndim != 2 or truth.shape[1] != len(code_ids):
        raise ValueError(f"truth and pred must both be turns x {len(code_ids)} codes")
    if len(groups) != len(truth):
        raise ValueError(f"one group per turn: {len(groups)} groups for {len(truth)} turns")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    names, index = np.unique(np.asarray([str(g) for g in groups]), return_inverse=True)
    n_groups, n_codes = len(names), len(code_ids)
    counts = np.zeros((3, n_groups, n_codes))  # true positives, false positives, false negatives per interview
    np.add.at(counts[0], index, truth & pred)
    np.add.at(counts[1], index, ~truth & pred)
    np.add.at(counts[2], index, truth & ~pred)
    draws = np.random.default_rng(seed).integers(0, n_groups, size=(resamples, n_groups))
    weights = np.stack([np.bincount(row, minlength=n_groups) for row in draws]).astype(float)  # resamples x groups
    tp, fp, fn = (weights @ c for c in counts)  # resamples x codes
    tail = (1 - confidence) / 2 * 100
    per_code: dict[str, list[float] | None] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * tp / (2 * tp + fp + fn)
        micro = 2 * tp.sum(axis=1) / (2 * tp.sum(axis=1) + fp.sum(axis=1) + fn.sum(axis=1))
    for j, code in enumerate(code_ids):
        defined = f1[:, j][np.isfinite(f1[:, j])]
        per_code[code] = _bounds(defined, tail) if len(defined) else None
    micro_defined = micro[np.isfinite(micro)]
    return {
        "micro_f1": _bounds(micro_defined, tail) if len(micro_defined) else None,
        "per_code": per_code,
        "confidence": confidence,
        "resamples": resamples,
        "interviews": n_groups,
    }


def _bounds(values: np.ndarray, tail: float) -> list[float]:
    low, high = np.percentile(values, [tail, 100 - tail])
    return [round(float(low), 4), round(float(high), 4)]
