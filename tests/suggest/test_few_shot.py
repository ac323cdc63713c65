"""Few-shot never below the codebook by construction where nothing can be checked: one coded interview."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import ConfigError
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SuggestConfig
from toolkit.suggest.learning_curve import learning_curve

from .test_selection import GROUPS, TWICE
from .test_suggest import labels_for, make_batch, make_prototypes


def _coded(labels: np.ndarray, interviews: set[str]) -> np.ndarray:
    keep = np.array([g in interviews for g in GROUPS])
    return np.where(keep[:, None], labels, UNLABELLED).astype(np.int8)


def test_one_coded_interview_gives_the_codebook_alone():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    none = np.full(labels.shape, UNLABELLED, dtype=np.int8)
    zero = CodeSuggester(protos, min_positives=1).fit(batch, none, GROUPS)
    one = CodeSuggester(protos, min_positives=1).fit(batch, _coded(labels, {"d0"}), GROUPS)
    assert not one.trained_.any() and one.zero_shot_map_ is None and one.few_shot_map_ is None
    np.testing.assert_allclose(one.predict_proba(batch), zero.predict_proba(batch))
    np.testing.assert_array_equal(one.predict(batch), zero.predict(batch))
    assert not one.calibrated_.any()  # the codebook alone, unmapped: no claim of calibration


def test_a_second_coded_interview_turns_learning_on():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    two = CodeSuggester(protos, min_positives=1).fit(batch, _coded(labels, {"d0", "d1"}), GROUPS)
    assert two.trained_.any() and two.zero_shot_map_ is not None
    # without groups the interviews cannot be told apart: learning starts with the first coded turns, as before
    blind = CodeSuggester(protos, min_positives=1).fit(batch, _coded(labels, {"d0"}))
    assert blind.trained_.any()


def test_live_decision_on_a_second_interview_starts_learning():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    model = CodeSuggester(protos, min_positives=1).fit(batch, _coded(labels, {"d0"}), GROUPS)
    assert not model.trained_.any()
    row = GROUPS.index("d1")
    j = int(np.argmax(labels[row]))
    model.refit_codes([(row, j, int(labels[row, j]))])
    assert model.trained_[j] and model.trained_.sum() == 1  # only the decided code is refitted live


def test_min_interviews_is_validated():
    with pytest.raises(ConfigError):
        SuggestConfig(min_interviews=0)


def test_learning_curve_compares_each_code_with_the_codebook_on_the_same_turns():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    never = CodeSuggester(protos, min_interviews=99)  # never learns: each point is the codebook alone
    curve = learning_curve(never, batch, labels, GROUPS, sizes=(0, 1, 2), orders=3)
    for point in curve["points"]:
        assert point["per_code_zero_shot_f1"] == point["per_code_f1"]
        assert set(point["per_code_orders_below"].values()) == {0}  # the same model is never below itself
        assert all(0 <= held <= 3 for held in point["per_code_orders_held"].values())
    learner = CodeSuggester(protos, min_positives=1)
    curve = learning_curve(learner, batch, labels, GROUPS, sizes=(1, 2), orders=3)
    one, two = curve["points"]
    assert one["per_code_f1"] == one["per_code_zero_shot_f1"]  # one interview: the codebook alone
    assert set(two["per_code_zero_shot_f1"]) == set(protos.code_ids)
    for code in protos.code_ids:  # a code below on average is below in at least one order, and only then
        below, held = two["per_code_orders_below"][code], two["per_code_orders_held"][code]
        assert 0 <= below <= held
        mean_below = (two["per_code_f1"][code] or 0) < (two["per_code_zero_shot_f1"][code] or 0)
        assert not mean_below or below >= 1
