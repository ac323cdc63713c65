"""Per-code F1 intervals from resampling whole interviews."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from toolkit.suggest.intervals import f1_intervals
from toolkit.suggest.report import per_code_rows


def corpus(seed: int = 0, interviews: int = 20, turns: int = 15) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A common code ("often": a third of turns, a tenth of them missed) and a rare one (two interviews)."""
    rng = np.random.default_rng(seed)
    n = interviews * turns
    groups = [f"i{k // turns}" for k in range(n)]
    truth = np.zeros((n, 2), dtype=bool)
    truth[:, 0] = rng.random(n) < 0.33
    truth[[3, turns + 4], 1] = True  # the rare code: one turn in each of two interviews
    pred = truth.copy()
    pred[:, 0] &= rng.random(n) > 0.1
    pred[turns + 4, 1] = False  # one of the two rare turns missed
    pred[5 * turns, 1] = True  # and one wrong suggestion elsewhere
    return truth, pred, groups


def test_intervals_hold_the_point_estimate_and_a_rare_code_is_wide():
    truth, pred, groups = corpus()
    spread = f1_intervals(truth, pred, groups, ["often", "rare"])
    for j, code in enumerate(["often", "rare"]):
        low, high = spread["per_code"][code]
        assert low <= f1_score(truth[:, j], pred[:, j]) <= high
    often, rare = spread["per_code"]["often"], spread["per_code"]["rare"]
    assert rare[1] - rare[0] > 0.5 > often[1] - often[0]  # 3 turns cannot say what 100 can
    assert rare[0] == 0.0  # resamples without the one found turn
    micro = f1_score(truth, pred, average="micro")
    assert spread["micro_f1"][0] <= micro <= spread["micro_f1"][1]
    assert spread["interviews"] == 20 and spread["confidence"] == 0.95


def test_intervals_resample_interviews_not_turns():
    """Errors packed into one interview swing F1 more than the same errors spread over all of them."""
    interviews, turns = 20, 10
    groups = [f"i{k // turns}" for k in range(interviews * turns)]
    truth = np.zeros((interviews * turns, 1), dtype=bool)
    truth[::2] = True
    packed, spread_out = truth.copy(), truth.copy()
    packed[0:10:2] = False  # five misses, all in the first interview
    spread_out[[0, 40, 80, 120, 160]] = False  # five misses in five interviews
    width = {}
    for name, pred in (("packed", packed), ("spread", spread_out)):
        low, high = f1_intervals(truth, pred, groups, ["x"])["per_code"]["x"]
        width[name] = high - low
    assert width["packed"] > width["spread"]


def test_intervals_are_reproducible_and_undefined_codes_are_none():
    truth, pred, groups = corpus(seed=3)
    assert f1_intervals(truth, pred, groups, ["a", "b"]) == f1_intervals(truth, pred, groups, ["a", "b"])
    assert f1_intervals(truth, pred, groups, ["a", "b"], seed=1) != f1_intervals(truth, pred, groups, ["a", "b"])
    nothing = np.zeros((4, 1), dtype=bool)
    assert f1_intervals(nothing, nothing, ["a", "a", "b", "b"], ["x"])["per_code"]["x"] is None
    with pytest.raises(ValueError, match="one group per turn"):
        f1_intervals(truth, pred, groups[:-1], ["a", "b"])


def test_per_code_rows_put_the_weakest_code_first():
    report = {
        "per_code": {
            "strong": {
                "f1": 0.9,
                "f1_interval": [0.8, 0.95],
                "precision": 0.9,
                "recall": 0.9,
                "support": 40,
                "predicted": 40,
            },
            "weak": {
                "f1": 0.4,
                "f1_interval": [0.0, 1.0],
                "precision": 1.0,
                "recall": 0.25,
                "support": 4,
                "predicted": 1,
            },
        }
    }
    rows = per_code_rows(report)
    assert [r["code"] for r in rows] == ["weak", "strong"]
    assert rows[0]["F1 interval"] == "0.00-1.00" and rows[0]["coded turns"] == 4
