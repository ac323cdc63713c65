"""The learnt-plus-codebook map: calibrated where the arithmetic average of two probabilities is not."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from toolkit.suggest.calibration import BlendMap
from toolkit.suggest.estimator import CodeSuggester

from .test_calibration import _bins
from .test_selection import GROUPS, TWICE
from .test_suggest import labels_for, make_batch, make_prototypes


def _two_scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An over-confident learnt score, noisier for codes with few coded turns, and a weak codebook score."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(-1.5, 2.0, size=n)
    truth = rng.random(n) < 1 / (1 + np.exp(-signal))
    counts = rng.integers(1, 20, size=n).astype(np.float64)
    learnt = 1 / (1 + np.exp(-(2 * signal + rng.normal(0, 1, size=n) * 4 / np.sqrt(counts) + 1)))
    codebook = 1 / (1 + np.exp(-(0.6 * signal + rng.normal(0, 1, size=n))))
    return learnt, codebook, counts, truth


def test_blend_map_is_reliable_on_new_items_where_the_average_is_not():
    learnt, codebook, counts, truth = _two_scores(16_000, seed=0)
    train, test = slice(0, 8000), slice(8000, None)
    k = 2.0
    average = (counts * learnt + k * codebook) / (counts + k)
    off_average = max(abs(p - o) for p, o in _bins(average[test], truth[test]))
    bmap = BlendMap(k).fit(learnt[train], codebook[train], counts[train], truth[train])
    blended = bmap.transform(learnt[test], codebook[test], counts[test])
    off_blend = max(abs(p - o) for p, o in _bins(blended, truth[test]))
    assert off_average > 0.15  # the average of two such scores is not a probability
    assert off_blend < 0.1
    assert np.all((blended > 0) & (blended < 1))


def test_blend_map_is_monotone_in_both_scores_and_leans_on_the_codebook_with_few_coded_turns():
    learnt, codebook, counts, truth = _two_scores(6000, seed=1)
    bmap = BlendMap(2.0).fit(learnt, codebook, counts, truth)
    assert bmap.fitted_ and np.all(bmap.coef_[:2] > 0) and bmap.coef_[2] >= 0
    grid = np.linspace(0.05, 0.95, 7)
    for fixed in (0.2, 0.8):
        assert np.all(np.diff(bmap.transform(grid, np.full(7, fixed), 5.0)) > 0)
        assert np.all(np.diff(bmap.transform(np.full(7, fixed), grid, 5.0)) > 0)

    # with one coded turn the codebook moves the probability more than the learnt score does; with 500, less
    def swing(n: float, learnt_moves: bool) -> float:
        pair = (grid, np.full(7, 0.5)) if learnt_moves else (np.full(7, 0.5), grid)
        return float(np.ptp(bmap.transform(*pair, n)))

    assert swing(1.0, False) > swing(1.0, True)
    assert swing(500.0, True) > swing(500.0, False)


def _log_loss(p: np.ndarray, truth: np.ndarray) -> float:
    return float(-np.mean(np.where(truth, np.log(p), np.log1p(-p))))


def test_the_codebook_keeps_a_say_with_many_coded_turns_where_it_adds_to_the_learnt_score():
    """Truth depends on what the learnt score sees and on what only the codebook sees, at every n."""
    rng = np.random.default_rng(3)
    n = 16_000
    seen, unseen = rng.normal(-1.5, 1.5, size=n), rng.normal(0.0, 1.5, size=n)
    truth = rng.random(n) < 1 / (1 + np.exp(-(seen + unseen)))
    counts = rng.integers(50, 200, size=n).astype(np.float64)  # many coded turns: w near 1
    learnt = 1 / (1 + np.exp(-(seen + rng.normal(0, 0.5, size=n))))
    codebook = 1 / (1 + np.exp(-(unseen + rng.normal(0, 0.5, size=n))))
    train, test = slice(0, 8000), slice(8000, None)
    bmap = BlendMap(2.0).fit(learnt[train], codebook[train], counts[train], truth[train])
    assert bmap.fitted_ and bmap.coef_[2] > 0.3
    # the two-term map (the map before the late term) on the same pairs
    design = bmap._design(learnt, codebook, counts)[:, :2]
    two = LogisticRegression(max_iter=200).fit(design[train], truth[train])
    with_late = _log_loss(bmap.transform(learnt[test], codebook[test], counts[test]), truth[test])
    without = _log_loss(two.predict_proba(design[test])[:, 1], truth[test])
    assert with_late < without - 0.02


def test_the_late_codebook_term_is_dropped_where_it_would_count_against_the_code():
    """With many coded turns the codebook score runs against the truth: the map is then the two-term one."""
    rng = np.random.default_rng(4)
    n = 8000
    signal = rng.normal(-1.5, 2.0, size=n)
    truth = rng.random(n) < 1 / (1 + np.exp(-signal))
    counts = rng.choice([0.0, 1.0, 30.0], size=n)
    learnt = 1 / (1 + np.exp(-(signal + rng.normal(0, 1.5, size=n))))
    sign = np.where(counts > 10, -1.0, 1.0)
    codebook = 1 / (1 + np.exp(-(sign * signal + rng.normal(0, 1.0, size=n))))
    bmap = BlendMap(2.0).fit(learnt, codebook, counts, truth)
    assert bmap.fitted_ and bmap.coef_[2] == 0.0 and np.all(bmap.coef_[:2] > 0)
    two = LogisticRegression(max_iter=200).fit(bmap._design(learnt, codebook, counts)[:, :2], truth)
    np.testing.assert_allclose(bmap.coef_[:2], two.coef_[0])
    grid = np.linspace(0.05, 0.95, 7)
    assert np.all(np.diff(bmap.transform(np.full(7, 0.5), grid, 30.0)) >= 0)  # never decreasing in the codebook


def test_blend_map_fits_nothing_without_enough_positives():
    learnt, codebook, counts, truth = _two_scores(200, seed=2)
    few = truth.copy()
    few[np.where(few)[0][3:]] = False
    assert not BlendMap(2.0).fit(learnt, codebook, counts, few).fitted_


def test_suggester_combines_learnt_and_codebook_scores_with_the_blend_map():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    model = CodeSuggester(protos, min_positives=1).fit(batch, labels, GROUPS)
    bmap = model._blend_map(2.0)
    assert model.trained_.all() and bmap is not None and model.calibrated_.all()
    probs = model.predict_proba(batch)
    assert np.all((probs > 0) & (probs < 1))
    # not the arithmetic average of the two mapped scores, which is what it replaces
    learnt_only = model.set_params(prior_strength=0.0).predict_proba(batch)
    assert model._blend_map(0.0) is None  # no prior: the learnt map alone
    zero = model.zero_shot_map_.transform(
        model.zero_raw_, (model.zero_raw_ >= model.zero_raw_.max(axis=1, keepdims=True))
    )
    n = model.positives_.astype(np.float64)
    average = (n * learnt_only + 2.0 * zero) / (n + 2.0)
    long = np.array([len(t.split()) >= 2 for t in batch.texts])
    assert not np.allclose(probs[long], average[long], atol=1e-3)
