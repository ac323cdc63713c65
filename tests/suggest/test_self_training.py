"""Self-training: while few interviews are coded, uncoded turns the model is sure of train the codes with few coded
turns."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import ConfigError
from toolkit.suggest import estimator
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SuggestConfig

from .test_selection import GROUPS, TWICE
from .test_suggest import labels_for, make_batch, make_prototypes

LEVEL = 0.5  # the tiny corpus is rarely sure of anything at the screened 0.9


@pytest.fixture(scope="module")
def half_coded():
    """The test corpus with two of its four interviews coded; the rows of the other two are unlabelled."""
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    uncoded = np.isin(GROUPS, ["d2", "d3"])
    labels[uncoded] = UNLABELLED
    return batch, protos, labels, uncoded


def test_self_training_is_on_by_default_and_off_at_zero(half_coded):
    batch, protos, labels, _ = half_coded
    assert SuggestConfig().self_training == CodeSuggester(protos).self_training == 0.9
    model = CodeSuggester(protos, self_training=0.0).fit(batch, labels, GROUPS)
    assert model.self_trained_turns_ == 0 and model.coded_labels_ is None
    np.testing.assert_array_equal(model.labels_[: len(batch)], labels)


def test_self_training_stops_once_enough_interviews_are_coded(half_coded, monkeypatch):
    """Two interviews are coded here: at a limit of two the model fits once, as without self-training."""
    batch, protos, labels, _ = half_coded
    assert CodeSuggester(protos, self_training=LEVEL).fit(batch, labels, GROUPS).self_trained_turns_ > 0
    monkeypatch.setattr(estimator, "SELF_TRAINING_INTERVIEWS", 2)
    model = CodeSuggester(protos, self_training=LEVEL).fit(batch, labels, GROUPS)
    assert model.self_trained_turns_ == 0 and model.coded_labels_ is None
    np.testing.assert_array_equal(model.labels_[: len(batch)], labels)


def test_without_interviews_nothing_is_borrowed(half_coded):
    """Without groups the coded interviews cannot be counted, so the model does not self-train."""
    batch, protos, labels, _ = half_coded
    model = CodeSuggester(protos, self_training=LEVEL).fit(batch, labels)
    assert model.self_trained_turns_ == 0 and model.coded_labels_ is None


def test_self_training_borrows_only_uncoded_turns_the_fitted_model_is_sure_of(half_coded):
    batch, protos, labels, uncoded = half_coded
    first = CodeSuggester(protos).fit(batch, labels, GROUPS)
    sure = first.predict_proba(batch)
    model = CodeSuggester(protos, self_training=LEVEL).fit(batch, labels, GROUPS)
    assert model.self_trained_turns_ > 0
    np.testing.assert_array_equal(model.coded_labels_, labels)  # the people's labels, kept apart
    now = model.labels_[: len(batch)]
    np.testing.assert_array_equal(now[~uncoded], labels[~uncoded])  # coded turns keep what people said
    borrowed = (now != UNLABELLED) & uncoded[:, None]
    assert borrowed.any(axis=1).sum() == model.self_trained_turns_
    assert (sure.max(axis=1)[borrowed.any(axis=1)] >= LEVEL).all()  # only turns whose best code is sure
    assert (sure[borrowed & (now == 1)] >= LEVEL).all()
    assert (sure[borrowed & (now == 0)] < estimator.SELF_TRAINING_NEGATIVE).all()
    few = first.positives_ < estimator.SELF_TRAINING_BELOW
    assert not borrowed[:, ~few].any()  # codes with enough coded turns borrow nothing


def test_codes_with_enough_coded_turns_borrow_nothing(half_coded, monkeypatch):
    batch, protos, labels, _ = half_coded
    monkeypatch.setattr(estimator, "SELF_TRAINING_BELOW", 0)  # every code has "enough"
    model = CodeSuggester(protos, self_training=LEVEL).fit(batch, labels, GROUPS)
    assert model.self_trained_turns_ == 0 and model.coded_labels_ is None
    np.testing.assert_array_equal(model.labels_[: len(batch)], labels)


def test_self_trained_turns_are_not_coded_for_the_unfamiliar_interview_rule(half_coded, monkeypatch):
    """Counted as coded, they turned the rule off for the interviews they came from (bench/README.md)."""
    batch, protos, labels, _ = half_coded
    seen: list[np.ndarray] = []

    def record(vectors, groups, coded):
        seen.append(coded.copy())
        return np.zeros(len(coded), dtype=bool)

    monkeypatch.setattr(estimator, "unfamiliar_rows", record)
    model = CodeSuggester(protos, self_training=LEVEL).fit(batch, labels, GROUPS)
    assert model.self_trained_turns_ > 0
    model.unfamiliar_turns()
    np.testing.assert_array_equal(seen[-1], (labels != UNLABELLED).any(axis=1))
    row = int(np.where(~(labels != UNLABELLED).any(axis=1))[0][0])
    model.refit_codes([(row, 0, 1)])  # a review decision makes a turn coded for the rule too
    model.unfamiliar_turns()
    assert seen[-1][row]


def test_self_training_is_a_probability():
    with pytest.raises(ConfigError, match="self_training"):
        SuggestConfig(self_training=1.0)
    with pytest.raises(ConfigError, match="self_training"):
        CodeSuggester(make_prototypes(), self_training=-0.1).config


def test_a_self_trained_models_statements_are_scored_from_the_peoples_codings_alone(half_coded):
    """The accounts' twin does not self-train: it did, and the dense statements fell 0.805 -> 0.794."""
    _, protos, labels, _ = half_coded
    batch = make_batch(TWICE)  # a batch of its own: the module's fixture stays without accounts
    batch.accounts = [i == len(TWICE) - 1 for i in range(len(TWICE))]  # the last turn is a whole account
    model = CodeSuggester(protos, self_training=LEVEL, evidence_weight=0.5).fit(batch, labels, GROUPS)
    assert model.self_trained_turns_ > 0
    model.predict_proba(batch)
    twin = model.account_twin_
    assert twin is not None and twin.self_training == 0.0 and twin.self_trained_turns_ == 0
    np.testing.assert_array_equal(twin.labels_[: len(batch)], labels)


def test_the_review_card_and_the_codebook_record_count_only_the_peoples_codings(half_coded):
    """Borrowed turns are the model's guesses: the codebook's record (the map's per-code shift, the card's "people
    applied it") and the card's similar coded turns exclude them."""
    batch, protos, labels, uncoded = half_coded
    plain = CodeSuggester(protos, self_training=0.0).fit(batch, labels, GROUPS)
    model = CodeSuggester(protos, self_training=LEVEL).fit(batch, labels, GROUPS)
    assert model.self_trained_turns_ > 0
    np.testing.assert_array_equal(model.codebook_record_, plain.codebook_record_)  # the map's record, too
    np.testing.assert_array_equal(model.people_labels(), labels)
    reasons = [why for turn in model.explain(batch) for why in turn.values()]
    shown = {n["row"] for why in reasons for n in why["neighbours"]}
    assert shown and not any(uncoded[row] for row in shown)
