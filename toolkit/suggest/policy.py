"""From probabilities to suggestions: threshold, then the codebook's exclusions, per-group and per-turn limits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["DecisionPolicy"]


class DecisionPolicy:
    """Which codes to suggest, given probabilities (turns x codes).

    Not a scikit-learn estimator: it learns nothing, and a decision for one code depends on the other
    codes of the same turn (ranking within a group and a turn), which a per-column classifier's
    ``predict`` cannot express.

    Args:
        groups: each code's group, code-aligned (from the codebook).
        max_per_group: the codebook's limit per group (e.g. one recruitment method per turn).
        threshold: the probability at or above which a code is suggested (or one per code).
        max_codes: at most this many codes per turn (also the default group limit).
        zero_shot_max_codes: zero-shot scores are rough: at most this many of them per turn.
        excludes: pairs of code indices that never share a turn (codebook ``excludes:``); the more
            probable code of a pair wins.
    """

    def __init__(
        self,
        groups: Sequence[str],
        max_per_group: dict[str, int] | None = None,
        threshold: float | np.ndarray = 0.5,
        max_codes: int = 3,
        zero_shot_max_codes: int = 1,
        excludes: Sequence[tuple[int, int]] = (),
    ) -> None:
        self.groups = list(groups)
        self.max_per_group = dict(max_per_group or {})
        self.threshold = threshold
        self.max_codes = max_codes
        self.zero_shot_max_codes = zero_shot_max_codes
        self.excluded: dict[int, set[int]] = {}
        for a, b in excludes:
            self.excluded.setdefault(a, set()).add(b)
            self.excluded.setdefault(b, set()).add(a)

    def decide(
        self, probs: np.ndarray, few_shot: np.ndarray | None = None, passages: np.ndarray | None = None
    ) -> np.ndarray:
        """Boolean matrix of suggested codes; ``few_shot`` marks trained codes (default: all).

        ``passages`` (per turn, default 1): a long turn read as several passages may carry each limit once
        per passage, as that many turns would (:mod:`toolkit.suggest.passages`).
        """
        few_shot = np.ones(probs.shape[1], dtype=bool) if few_shot is None else np.asarray(few_shot, dtype=bool)
        times = np.ones(len(probs), dtype=np.int64) if passages is None else np.maximum(np.asarray(passages), 1)
        chosen = self._limit_zero_shot(probs >= self.threshold, probs, ~few_shot, times)
        for i in range(len(probs)):
            on = [j for j in np.argsort(-probs[i]) if chosen[i, j]]
            per_group: dict[str, int] = {}
            keep = []
            for j in on:
                group = self.groups[j]
                limit = self.max_per_group.get(group, self.max_codes) * times[i]
                clash = any(k in self.excluded.get(j, ()) for k in keep)
                if not clash and per_group.get(group, 0) < limit and len(keep) < self.max_codes * times[i]:
                    keep.append(j)
                    per_group[group] = per_group.get(group, 0) + 1
            chosen[i] = False
            chosen[i, keep] = True
        return chosen

    def _limit_zero_shot(
        self, chosen: np.ndarray, probs: np.ndarray, zero_shot: np.ndarray, times: np.ndarray
    ) -> np.ndarray:
        if not zero_shot.any():
            return chosen
        for i in range(len(chosen)):
            on = [j for j in np.argsort(-probs[i]) if chosen[i, j] and zero_shot[j]]
            for j in on[self.zero_shot_max_codes * times[i] :]:
                chosen[i, j] = False
        return chosen
