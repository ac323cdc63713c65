"""The codebook-score map trusts each code's codebook score as far as the codebook's own suggestions were coded."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from toolkit.suggest.calibration import CodebookMap, codebook_precision_shift, inner_folds


def _two_codes(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two codes with the same codebook scores; a high score means the code far more often for code 0."""
    rng = np.random.default_rng(seed)
    z = rng.normal(-1.0, 2.0, size=n)
    scores = np.repeat((1 / (1 + np.exp(-z)))[:, None], 2, axis=1)
    chance = 1 / (1 + np.exp(-np.column_stack([z + 1.0, z - 2.0])))
    truth = rng.random((n, 2)) < chance
    return scores, truth, np.repeat(np.arange(n // 10), 10)


def test_precision_shift_rises_for_a_code_whose_codebook_suggestions_are_coded_and_falls_for_one_whose_are_not():
    fires = np.array([[1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 0]], dtype=bool)
    truth = np.array([[1, 0, 1], [1, 0, 0], [1, 1, 0], [1, 0, 0]], dtype=bool)
    known = np.ones_like(fires)
    shift = codebook_precision_shift(fires, truth, known)
    assert shift[0] > 0 > shift[1]
    assert shift[2] == 0.0  # never suggested by the codebook on a coded turn: the pooled curve
    # shrunk toward the pooled rate: four turns move it, but not to certainty
    assert abs(shift[0]) < 3.0


def test_codebook_map_gives_the_same_score_a_higher_chance_where_the_codebook_has_been_right():
    scores, truth, groups = _two_codes()
    folds = inner_folds(groups, len(scores))
    best = np.ones_like(scores)
    fitted = CodebookMap().fit(scores, truth, np.ones_like(truth), best, scores > 0.5, folds)
    assert fitted.fitted_ and fitted.shift_weight_ > 0
    mapped = fitted.transform(scores, best)
    assert (mapped[:, 0] > mapped[:, 1]).all()
    high = scores[:, 0] > 0.5
    # each code's mean chance where the codebook suggests it is near the rate at which those turns were coded
    for j in range(2):
        assert abs(mapped[high, j].mean() - truth[high, j].mean()) < 0.05
    pooled = CodebookMap().fit(scores, truth, np.ones_like(truth), best, np.zeros_like(truth), folds)
    assert pooled.shift_weight_ == 0.0 or np.allclose(pooled.shift_, 0.0)  # no suggestion: one pooled curve
    assert abs(pooled.transform(scores, best)[high, 0].mean() - truth[high, 0].mean()) > 0.1  # what it fixes
    # one code's column: with its index the code's shift applies, without it the pooled curve
    np.testing.assert_allclose(fitted.transform(scores[:, 0], best[:, 0], codes=0), mapped[:, 0])
    assert not np.allclose(fitted.transform(scores[:, 1], best[:, 1]), mapped[:, 1])


def test_codebook_map_fits_each_pair_with_a_shift_that_did_not_see_its_label():
    scores, truth, groups = _two_codes()
    folds = inner_folds(groups, len(scores))
    best = np.ones_like(scores)
    known = np.ones_like(truth)
    first = CodebookMap().fit(scores, truth, known, best, scores > 0.5, folds)
    held = folds[0][1]
    flipped = truth.copy()
    flipped[held] = ~flipped[held]  # the held fold's labels change ...
    second = CodebookMap().fit(scores, flipped, known, best, scores > 0.5, folds)
    np.testing.assert_array_equal(first.oof_shift_[held], second.oof_shift_[held])  # ... not its shift
    assert not np.allclose(first.shift_, second.shift_)  # the shift for new turns uses every coded turn


def test_codebook_map_never_gives_a_lower_chance_for_a_better_record():
    """Out-of-fold shifts that run against the labels (each fold's record the opposite of the other's) must not
    turn the shift's weight negative: the map is then fitted without the shift."""
    rng = np.random.default_rng(1)
    n = 400
    groups = np.repeat([0, 1], n // 2)
    scores = np.clip(rng.uniform(0.55, 0.99, size=(n, 2)), 0, 1)
    first = groups == 0
    # code 0 coded wherever the codebook suggests it in the first interview, never in the second; code 1 the reverse
    truth = np.column_stack([first, ~first]) & (rng.random((n, 2)) < scores)  # a higher score, more often
    fires, best, known = np.ones((n, 2), bool), np.ones((n, 2)), np.ones((n, 2), bool)
    folds = inner_folds(groups, n)
    fitted = CodebookMap().fit(scores, truth, known, best, fires, folds)
    # each pair's out-of-fold shift comes from the other interview, whose record is the opposite of its label
    assert np.corrcoef(fitted.oof_shift_[:, 0], truth[:, 0])[0, 1] < -0.5
    assert fitted.fitted_ and fitted.shift_weight_ == 0.0
    unconstrained = LogisticRegression(C=1.0, max_iter=200).fit(
        np.column_stack([np.log(scores / (1 - scores)).ravel(), best.ravel(), fitted.oof_shift_.ravel()]), truth.ravel()
    )
    assert unconstrained.coef_[0, 2] < 0  # what the constraint stops
