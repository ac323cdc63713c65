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


def test_interview_folds_score_each_interview_by_a_model_fitted_without_it():
    """``folds=k``: one fit per group of interviews, each row scored by the fit that did not see its interview."""
    from sklearn.model_selection import GroupKFold

    from toolkit.suggest.estimator import UNLABELLED, CodeSuggester
    from toolkit.suggest.evaluate import cross_validated_probabilities

    from .test_novelty import TURNS, TWICE, labels_for, with_unfamiliar_interview

    batch, protos, _, groups = with_unfamiliar_interview()
    labels = labels_for(TWICE + TURNS, protos.code_ids)
    model = CodeSuggester(protos, min_positives=2)
    one_per_interview = cross_validated_probabilities(model, batch, labels, groups)
    n_interviews = len(set(groups))
    assert n_interviews > 2
    # as many folds as interviews is leave-one-interview-out
    np.testing.assert_allclose(
        cross_validated_probabilities(model, batch, labels, groups, folds=n_interviews), one_per_interview
    )
    two = cross_validated_probabilities(model, batch, labels, groups, folds=2)
    for _, held in GroupKFold(n_splits=2).split(np.zeros(len(labels)), groups=np.asarray(groups)):
        hidden = labels.copy()
        hidden[held] = UNLABELLED
        fitted = CodeSuggester(protos, min_positives=2).fit(batch, hidden, groups)
        np.testing.assert_allclose(two[held], fitted.predict_proba(batch)[held])
