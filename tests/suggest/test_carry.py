"""A code carried over from the answer before: previous rows, the carry map, and its place in the suggester."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.coding.review import explanation_lines
from toolkit.suggest.carry import CarryMap, previous_probabilities
from toolkit.suggest.estimator import CodeSuggester

from .test_selection import TWICE
from .test_suggest import labels_for, make_batch, make_prototypes


def _documented(turns, per_document: int):
    batch = make_batch(turns)
    batch.documents = [f"d{i // per_document}" for i in range(len(turns))]
    return batch


def test_previous_rows_link_each_answer_to_the_one_before_it_in_its_document():
    batch = make_batch(TWICE[:5])
    assert (batch.previous_rows() == -1).all()  # documents unknown: no answer has one before it
    batch.documents = ["a", "a", "b", "b", "b"]
    assert batch.previous_rows().tolist() == [-1, 0, -1, 2, 3]
    assert batch.subset([2, 3, 4]).previous_rows().tolist() == [-1, 0, 1]
    assert batch.without_questions().previous_rows().tolist() == [-1, 0, -1, 2, 3]
    # the same key in two joined batches is two documents: the first row of the second has none before it
    assert batch.concat(batch).previous_rows().tolist() == [-1, 0, -1, 2, 3, -1, 5, -1, 7, 8]
    assert batch.concat(make_batch(TWICE[:2])).documents is None


def _follow_ups(rng: np.random.Generator, n_documents: int = 60, turns: int = 6, codes: int = 3):
    """Interviews whose topics run over two turns; the second turn's own probability says little of it."""
    truth = np.zeros((n_documents * turns, codes), dtype=bool)
    probs = np.full(truth.shape, 0.05)
    for d in range(n_documents):
        for t in range(0, turns, 2):
            row, code = d * turns + t, rng.integers(codes)
            truth[row, code] = truth[row + 1, code] = True
            probs[row, code] = 0.9  # the turn that names the topic
            probs[row + 1, code] = 0.2  # the follow-up that does not
    previous = np.array([-1 if i % turns == 0 else i - 1 for i in range(len(truth))])
    return probs, previous, truth


def test_the_carry_map_learns_that_a_topic_carries_and_raises_only_follow_ups():
    probs, previous, truth = _follow_ups(np.random.default_rng(0))
    carry = CarryMap().fit(probs, previous, truth, np.ones_like(truth))
    assert carry.fitted_ and carry.weight_ > 1.0
    carried = carry.transform(probs, previous)
    follow_ups = truth & (probs == 0.2)
    assert (carried[follow_ups] > 0.4).all()  # over the default threshold
    first = previous == -1
    np.testing.assert_allclose(carried[first], probs[first])  # nothing before: the blend map's probability


def test_a_topic_before_is_never_evidence_against_a_code():
    probs, previous, truth = _follow_ups(np.random.default_rng(1))
    flipped = truth.copy()
    flipped[1::2] = False  # follow-ups never keep the topic: the map would want a negative weight
    flipped[::2] = truth[::2]
    carry = CarryMap(min_follow_ups=0).fit(probs, previous, flipped, np.ones_like(truth))
    assert not carry.fitted_ and carry.weight_ == 0.0
    np.testing.assert_allclose(carry.transform(probs, previous), probs)


def test_with_too_few_follow_ups_nothing_is_carried():
    probs, previous, truth = _follow_ups(np.random.default_rng(2), n_documents=1)
    assert int(truth.sum()) == 6 and not CarryMap(min_follow_ups=6).fit(probs, previous, truth, truth | True).fitted_
    unknown = np.zeros_like(truth)  # no decision on any turn: nothing to learn from
    assert not CarryMap().fit(probs, previous, truth, unknown).fitted_


def test_previous_probabilities_are_zero_where_nothing_came_before():
    probs = np.array([[0.9, 0.1], [0.2, 0.3], [0.5, 0.5]])
    np.testing.assert_allclose(previous_probabilities(probs, np.array([-1, 0, 1])), [[0, 0], [0.9, 0.1], [0.2, 0.3]])


@pytest.fixture(scope="module")
def fitted():
    batch, protos = _documented(TWICE, per_document=4), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    groups = list(batch.documents or [])
    return (
        batch,
        CodeSuggester(protos).fit(batch, labels, groups),
        CodeSuggester(protos, carry_over=False).fit(batch, labels, groups),
    )


def test_the_suggester_carries_a_code_into_the_next_answer_only(fitted):
    batch, model, plain = fitted
    k = float(model.prior_strength)
    carry = CarryMap()
    carry.weight_, carry.fitted_ = 3.0, True
    model.carry_maps_[k] = carry  # a known carry, whatever the small corpus taught it
    with_carry, without = model.predict_proba(batch), plain.predict_proba(batch)
    first = batch.previous_rows() == -1
    np.testing.assert_allclose(with_carry[first], without[first], atol=1e-6)
    assert (with_carry[~first] >= without[~first] - 1e-6).all()  # a topic before only ever raises a chance
    assert (with_carry[~first] > without[~first] + 1e-3).any()
    alone = batch.subset(np.where(first)[0])  # the same turns scored with nothing before them
    np.testing.assert_allclose(model.predict_proba(alone), without[first], atol=1e-6)


def test_the_carry_map_is_fitted_on_the_coded_interviews_out_of_fold(fitted):
    _, model, _ = fitted
    k = float(model.prior_strength)
    model.carry_maps_.pop(k, None)
    carry = model._carry_map(k)  # fitted again from what the inner folds said of the coded turns
    assert k in model.carry_maps_ and model._carry_map(k) is carry  # once per prior strength, then kept
    assert model.oof_cells_ is not None and len(model.oof_cells_[0]) == len(model.oof_[0])
    assert CodeSuggester(model.prototypes, carry_over=False)._carry_map(k) is None


def test_a_suggestion_raised_by_the_answer_before_says_so(fitted):
    batch, model, _ = fitted
    carry = CarryMap()
    carry.weight_, carry.fitted_ = 6.0, True
    model.carry_maps_[float(model.prior_strength)] = carry
    reasons = model.explain(batch)
    probs = model.predict_proba(batch)
    previous = batch.previous_rows()
    said = [
        (i, j, why) for i, turn in enumerate(reasons) for j, why in turn.items() if "previous_answer_probability" in why
    ]
    assert said, "a strong carry must show in some explanation"
    for i, j, why in said:
        assert previous[i] >= 0 and why["previous_answer_probability"] == round(float(probs[previous[i], j]), 3)
        assert 6.0 * probs[previous[i], j] * (1 - probs[i].max()) >= 0.5  # named where it lifted the log-odds 0.5+
    first = [why for i, turn in enumerate(reasons) if previous[i] == -1 for why in turn.values()]
    assert not any("previous_answer_probability" in why for why in first)
    line = explanation_lines({"method": "few-shot", "previous_answer_probability": 0.8})
    assert any("the answer before it was about this code too" in text for text in line)
