"""Answer-only training copies: the answer's own words carry a code, whatever question came before it."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import ConfigError
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SuggestConfig

from .test_selection import GROUPS, TWICE
from .test_suggest import labels_for, make_batch, make_prototypes

RAW = {"calibrate": False, "min_positives": 2, "example_weight": 0.0, "prior_strength": 0.0}


def test_answers_scored_without_their_questions_keep_their_codes():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    bare = batch.without_questions()
    coded = labels == 1
    scores = {}
    for weight in (0.0, 1.0):
        model = CodeSuggester(protos, answer_only_weight=weight, **RAW).fit(batch, labels, GROUPS)
        scores[weight] = (model.predict_proba(batch)[coded].mean(), model.predict_proba(bare)[coded].mean())
    (with_q_before, bare_before), (with_q_now, bare_now) = scores[0.0], scores[1.0]
    assert bare_now > bare_before + 0.05  # trained on questions alone, a bare answer lost much of its chance
    assert with_q_now - bare_now < (with_q_before - bare_before) / 2


def test_copies_line_up_with_their_turns_and_follow_review_decisions():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    labels[GROUPS.index("d3") :: 4] = UNLABELLED  # one interview nobody coded yet
    model = CodeSuggester(protos).fit(batch, labels, GROUPS)
    n = len(batch)
    copies = model._copies(np.arange(n))
    assert model.copies_start_ == n + len(protos.example_labels())
    assert len(model.labels_) == model.copies_start_ + n
    np.testing.assert_array_equal(model.labels_[copies], model.labels_[:n])
    assert np.all(model.sample_weight_[copies] == 1.0)
    row = int(np.where((labels == UNLABELLED).all(axis=1))[0][0])
    model.refit_codes([(row, 0, 1), (row, 1, 0)])
    assert model.labels_[copies[row], 0] == 1 and model.labels_[copies[row], 1] == 0  # the copy learns it too
    assert model.positives_[0] == int((model.labels_[:n, 0] == 1).sum())  # copies are not counted as coded turns


def test_no_copies_without_a_weight_and_none_before_anything_is_coded():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    off = CodeSuggester(protos, answer_only_weight=0.0).fit(batch, labels, GROUPS)
    assert len(off.labels_) == len(batch) + len(protos.example_labels()) and len(off._copies(np.arange(3))) == 0
    none = CodeSuggester(protos).fit(batch, np.full(labels.shape, UNLABELLED, dtype=np.int8))
    assert len(none.labels_) == len(batch) and len(none._copies(np.arange(3))) == 0
    with pytest.raises(ConfigError, match="answer_only_weight"):
        SuggestConfig(answer_only_weight=-1.0)
