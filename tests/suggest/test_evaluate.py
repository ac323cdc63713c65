from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support

from toolkit.suggest.evaluate import classification_report

CODES = ["a", "b", "c", "d"]


def test_evaluate_agrees_with_scikit_learn_on_a_hand_made_case():
    truth = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0]], bool)
    pred = np.array([[1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0]], bool)
    report = classification_report(truth, pred, CODES)
    used = [0, 1, 2]  # code "d" is neither in truth nor predicted: left out of macro, as sklearn's labels=...
    assert report["micro_f1"] == pytest.approx(f1_score(truth, pred, average="micro"), abs=1e-4)
    assert report["macro_f1"] == pytest.approx(f1_score(truth[:, used], pred[:, used], average="macro"), abs=1e-4)
    p, r, f, s = precision_recall_fscore_support(truth, pred, zero_division=0)
    for j, code in enumerate(CODES):
        m = report["per_code"][code]
        assert (m["precision"], m["recall"], m["f1"], m["support"]) == pytest.approx((p[j], r[j], f[j], s[j]), abs=1e-4)
        if truth[:, j].any() or pred[:, j].any():
            assert m["kappa"] == pytest.approx(cohen_kappa_score(truth[:, j], pred[:, j]), abs=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_evaluate_kappa_matches_scikit_learn_on_random_vectors(seed):
    rng = np.random.default_rng(seed)
    a = rng.random((50, 1)) < 0.3
    b = rng.random((50, 1)) < 0.4
    kappa = classification_report(a, b, ["x"])["per_code"]["x"]["kappa"]
    assert kappa == pytest.approx(cohen_kappa_score(a[:, 0], b[:, 0]), abs=1e-4)


def test_evaluate_perfect_and_empty_predictions():
    truth = np.array([[1, 0], [0, 1]], bool)
    assert classification_report(truth, truth, ["x", "y"])["micro_f1"] == 1.0
    assert classification_report(truth, np.zeros_like(truth), ["x", "y"])["micro_f1"] == 0.0
    constant = np.zeros((3, 1), bool)
    report = classification_report(constant, constant, ["x"])
    assert report["per_code"]["x"]["kappa"] == 1.0 and report["macro_f1"] == 0.0
