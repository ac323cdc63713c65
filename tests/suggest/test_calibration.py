"""Calibration maps: fitted on training labels only, monotone, inside (0, 1), reliable on a synthetic problem."""

from __future__ import annotations

import numpy as np

from toolkit.suggest.calibration import SigmoidMap, inner_folds, logit
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester

from .test_selection import GROUPS, TWICE
from .test_suggest import labels_for, make_batch, make_prototypes


def _bins(probs: np.ndarray, truth: np.ndarray, min_items: int = 20) -> list[tuple[float, float]]:
    """(mean probability, observed share) of each 0.1-wide bin with at least ``min_items`` items."""
    out = []
    for lo in np.arange(0.0, 1.0, 0.1):
        in_bin = (probs >= lo) & (probs < lo + 0.1)
        if in_bin.sum() >= min_items:
            out.append((float(probs[in_bin].mean()), float(truth[in_bin].mean())))
    return out


def test_sigmoid_map_makes_an_overconfident_score_reliable_on_new_items():
    rng = np.random.default_rng(0)
    true_logit = rng.normal(-1.5, 1.5, size=8000)
    truth = rng.random(8000) < 1 / (1 + np.exp(-true_logit))
    score = 1 / (1 + np.exp(-(2.5 * true_logit + 1.5)))  # over-confident and shifted up, like balanced weights
    train, test = slice(0, 4000), slice(4000, None)
    raw = _bins(score[test], truth[test])
    assert max(abs(p - o) for p, o in raw) > 0.1  # the problem is real
    mapped = SigmoidMap().fit(score[train], truth[train]).transform(score[test])
    bins = _bins(mapped, truth[test])
    assert len(bins) >= 5 and all(abs(p - o) <= 0.1 for p, o in bins)


def test_sigmoid_map_is_monotone_and_strictly_inside_0_1():
    rng = np.random.default_rng(1)
    scores = rng.random(300)
    truth = rng.random(300) < scores
    fitted = SigmoidMap().fit(scores, truth)
    grid = np.linspace(0.0, 1.0, 1001)
    out = fitted.transform(grid)
    assert fitted.fitted_ and fitted.slope_ > 0
    assert np.all(np.diff(out) >= 0) and out.min() > 0.0 and out.max() < 1.0
    flagged = fitted.transform(grid, np.ones_like(grid))
    assert np.all(np.diff(flagged) >= 0) and flagged.min() > 0.0 and flagged.max() < 1.0


def test_sigmoid_map_refuses_too_little_or_reversed_evidence():
    assert not SigmoidMap().fit(np.array([0.9, 0.1, 0.2]), np.array([True, False, False])).fitted_  # 1 positive
    scores = np.linspace(0.01, 0.99, 200)
    reversed_map = SigmoidMap().fit(scores, scores < 0.5)  # a score that ranks backwards is not reversed
    assert not reversed_map.fitted_
    np.testing.assert_allclose(reversed_map.transform(scores), np.clip(scores, 1e-6, 1 - 1e-6), atol=1e-9)
    np.testing.assert_allclose(logit(np.array([0.5])), [0.0])


def test_inner_folds_keep_each_interview_on_one_side():
    groups = np.array(["a", "a", "b", "b", "c", "d", "d", "e"])
    folds = inner_folds(groups, len(groups), n_splits=4)
    assert len(folds) == 4
    for train, held in folds:
        assert not set(groups[train]) & set(groups[held])
    assert sorted(np.concatenate([h for _, h in folds]).tolist()) == list(range(len(groups)))
    assert inner_folds(np.array(["a"] * 5), 5) == []  # one interview: nothing to hold out


def test_maps_are_fitted_on_labelled_turns_only():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    hidden = np.array([g == "d3" for g in GROUPS])  # an interview nobody coded yet (scored, never learnt from)
    train = labels.copy()
    train[hidden] = UNLABELLED
    model = CodeSuggester(protos).fit(batch, train, GROUPS)
    assert model.zero_shot_map_ is not None and model.few_shot_map_ is not None
    # whatever the hidden interview's true labels are, the maps and its probabilities do not move
    flipped = labels.copy()
    flipped[hidden] = 1 - flipped[hidden]
    model2 = CodeSuggester(protos).fit(batch, np.where(hidden[:, None], UNLABELLED, flipped), GROUPS)
    np.testing.assert_allclose(model.predict_proba(batch), model2.predict_proba(batch))
    # while a coded turn's label does move the codebook-score map: it is fitted on the coded turns
    changed = train.copy()
    row = int(np.where(~hidden)[0][0])
    changed[row] = 1 - changed[row]
    model3 = CodeSuggester(protos).fit(batch, changed, GROUPS)
    assert model3.zero_shot_map_ is not None
    assert (model3.zero_shot_map_.slope_, model3.zero_shot_map_.intercept_) != (
        model.zero_shot_map_.slope_,
        model.zero_shot_map_.intercept_,
    )


def test_calibrated_flag_tells_the_truth():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    none = np.full(labels.shape, UNLABELLED, dtype=np.int8)
    zero = CodeSuggester(protos).fit(batch, none)
    assert zero.zero_shot_map_ is None and not zero.calibrated_.any()  # codebook alone: not calibrated
    explained = zero.explain(batch)
    assert all(not r["calibrated"] for turn in explained for r in turn.values())
    learnt = CodeSuggester(protos, min_positives=50, min_labelled_turns=10_000).fit(batch, labels, GROUPS)
    assert not learnt.trained_.any() and learnt.zero_shot_map_ is not None  # zero-shot, mapped on coded turns
    assert learnt.calibrated_.all()
    assert all(r["calibrated"] and r["method"] == "zero-shot" for turn in learnt.explain(batch) for r in turn.values())
    raw = CodeSuggester(protos, calibrate=False, min_positives=50, min_labelled_turns=10_000).fit(batch, labels)
    assert not raw.calibrated_.any()


def test_live_refit_updates_the_codebook_map_and_keeps_probabilities_in_range():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    train = labels.copy()
    train[[g == "d3" for g in GROUPS]] = UNLABELLED
    model = CodeSuggester(protos).fit(batch, train, GROUPS)
    before = (model.zero_shot_map_.slope_, model.zero_shot_map_.intercept_)
    row = int(np.where([g == "d3" for g in GROUPS])[0][0])
    model.refit_codes([(row, 0, 0), (row, 1, 0), (row, 2, 1)])
    assert (model.zero_shot_map_.slope_, model.zero_shot_map_.intercept_) != before
    probs = model.predict_proba(batch)
    assert np.all((probs > 0) & (probs < 1))


def test_learnt_probabilities_from_one_interview_are_not_called_calibrated():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    one = [g == "d0" for g in GROUPS]
    train = np.where(np.array(one)[:, None], labels, UNLABELLED).astype(np.int8)
    # min_interviews=1: learn from one interview anyway (the default waits for a second one, test_few_shot)
    model = CodeSuggester(protos, min_positives=1, min_interviews=1).fit(batch, train, GROUPS)
    assert model.trained_.any() and model.few_shot_map_ is None  # no second interview to hold out
    assert not model.calibrated_[model.trained_].any()


def test_uncalibrated_codebook_scores_are_cut_at_zero_shot_cut_not_the_threshold():
    batch, protos = make_batch(TWICE), make_prototypes()
    none = np.full((len(TWICE), len(protos.code_ids)), UNLABELLED, dtype=np.int8)
    model = CodeSuggester(protos).fit(batch, none)
    probs = model.predict_proba(batch)
    assert model.zero_shot_map_ is None
    between = (probs > 0.2) & (probs < 0.5)
    assert between.any(), "the fixture needs codebook scores between the two cuts"
    assert not model.decide(probs)[between].any()  # the 0.4 threshold is for probabilities, not these scores
    model.set_params(zero_shot_cut=0.2, zero_shot_max_codes=len(protos.code_ids))
    assert model.decide(probs)[between].any()
