"""The codebook-evidence weight: chosen by each fit on its own coded interviews, and full for whole accounts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import log_loss

import toolkit.suggest.estimator as estimator_module
from toolkit.errors import ConfigError
from toolkit.suggest.calibration import BlendMap
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SuggestConfig
from toolkit.suggest.evidence_weight import EVIDENCE_WEIGHTS, blended_log_loss
from toolkit.suggest.features import TURN_WORDS_WEIGHT

from .test_selection import GROUPS, TWICE
from .test_suggest import labels_for, make_batch, make_prototypes


def _coded():
    batch, protos = make_batch(TWICE), make_prototypes()
    return batch, protos, labels_for(TWICE, protos.code_ids)


def test_blended_log_loss_scores_the_blend_maps_probabilities_and_nothing_without_one():
    rng = np.random.default_rng(0)
    truth = rng.random(200) < 0.3
    learnt = np.clip(truth * 0.6 + rng.random(200) * 0.4, 0.01, 0.99)
    codebook = np.clip(truth * 0.3 + rng.random(200) * 0.6, 0.01, 0.99)
    counts = np.full(200, 6.0)
    blend = BlendMap(2.0).fit(learnt, codebook, counts, truth)
    assert blend.fitted_
    expected = log_loss(truth, blend.transform(learnt, codebook, counts))
    assert blended_log_loss(blend, (learnt, codebook, counts, truth)) == pytest.approx(expected)
    assert blended_log_loss(None, (learnt, codebook, counts, truth)) is None
    assert blended_log_loss(blend, None) is None


@pytest.mark.parametrize("winner", EVIDENCE_WEIGHTS)
def test_fit_keeps_the_weight_with_the_lower_out_of_fold_loss_and_its_whole_state(monkeypatch, winner):
    batch, protos, labels = _coded()
    tried: list[float] = []

    def loss(blend, oof):  # the winner scores lower; record which weight each call was made at
        tried.append(current[0].evidence_weight_)
        return 0.1 if current[0].evidence_weight_ == winner else 0.2

    current = [CodeSuggester(protos)]
    monkeypatch.setattr(estimator_module, "blended_log_loss", loss)
    chosen = current[0].fit(batch, labels, GROUPS)
    assert sorted(tried) == sorted(EVIDENCE_WEIGHTS)
    assert chosen.evidence_weight_ == winner
    fixed = CodeSuggester(protos, evidence_weight=winner).fit(batch, labels, GROUPS)
    np.testing.assert_allclose(chosen.predict_proba(batch), fixed.predict_proba(batch))
    weights = chosen.features_.get_params()["transformer_weights"]
    assert (weights or {}).get("codebook_evidence", 1.0) == winner  # new batches are read at the kept weight


def test_the_full_weight_stands_where_nothing_can_be_scored():
    batch, protos, labels = _coded()
    one_interview = labels.copy()
    one_interview[[g != GROUPS[0] for g in GROUPS]] = UNLABELLED
    assert CodeSuggester(protos).fit(batch, one_interview, GROUPS).evidence_weight_ == 1.0
    nothing = np.full(labels.shape, UNLABELLED, dtype=np.int8)
    assert CodeSuggester(protos).fit(batch, nothing).evidence_weight_ == 1.0
    no_blend = CodeSuggester(protos, prior_strength=0.0).fit(batch, labels, GROUPS)  # no blend map to score
    assert no_blend.trained_.any() and no_blend.evidence_weight_ == 1.0


def test_a_lower_weight_changes_what_the_classifiers_learn():
    batch, protos, labels = _coded()
    full = CodeSuggester(protos, evidence_weight=1.0, calibrate=False).fit(batch, labels, GROUPS)
    half = CodeSuggester(protos, evidence_weight=0.5, calibrate=False).fit(batch, labels, GROUPS)
    assert full.trained_.any()
    assert not np.allclose(full.predict_proba(batch), half.predict_proba(batch))


def test_whole_accounts_are_scored_by_a_model_at_the_account_weight():
    batch, protos, labels = _coded()
    accounts = [i % 5 == 0 for i in range(len(batch))]
    with_accounts = replace(batch, accounts=accounts, cache={})
    mixed = CodeSuggester(protos, evidence_weight=0.5).fit(with_accounts, labels, GROUPS)
    interviews = CodeSuggester(protos, evidence_weight=0.5).fit(batch, labels, GROUPS)
    statements = CodeSuggester(protos, evidence_weight=1.0).fit(with_accounts, labels, GROUPS)
    probs = mixed.predict_proba(with_accounts)
    rows = np.array(accounts)
    assert not np.allclose(statements.predict_proba(with_accounts)[rows], interviews.predict_proba(batch)[rows])
    np.testing.assert_allclose(probs[rows], statements.predict_proba(with_accounts)[rows])
    np.testing.assert_allclose(probs[~rows], interviews.predict_proba(batch)[~rows])
    assert mixed.account_twin_ is not None and mixed.account_twin_.evidence_weight_ == 1.0
    # a review decision reaches the twin too
    mixed.refit_codes([(1, 0, 1)])
    assert mixed.account_twin_.labels_[1, 0] == 1


def test_no_twin_without_accounts_or_at_the_same_weight():
    batch, protos, labels = _coded()
    model = CodeSuggester(protos, evidence_weight=0.5).fit(batch, labels, GROUPS)
    model.predict_proba(batch)
    assert model.account_twin_ is None
    accounts = replace(batch, accounts=[True] * len(batch), cache={})
    same = CodeSuggester(protos, evidence_weight=1.0).fit(accounts, labels, GROUPS)
    same.predict_proba(accounts)
    assert same.account_twin_ is None


def test_weights_are_checked():
    with pytest.raises(ConfigError, match="evidence_weight"):
        SuggestConfig(evidence_weight=-0.5)
    with pytest.raises(ConfigError, match="account_evidence_weight"):
        SuggestConfig(account_evidence_weight=0.0)


def test_the_selections_own_full_weight_fit_becomes_the_accounts_model_without_a_refit(monkeypatch):
    batch, protos, labels = _coded()
    with_accounts = replace(batch, accounts=[i % 5 == 0 for i in range(len(batch))], cache={})
    current: list[CodeSuggester] = []
    monkeypatch.setattr(  # the half weight wins the selection, so the accounts need the full-weight fit
        estimator_module, "blended_log_loss", lambda blend, oof: 0.1 if current[0].evidence_weight_ == 0.5 else 0.2
    )
    current.append(CodeSuggester(protos))
    model = current[0].fit(with_accounts, labels, GROUPS)
    assert model.evidence_weight_ == 0.5 and model.account_state_ is not None
    fits = []
    real_fit = CodeSuggester.fit
    monkeypatch.setattr(CodeSuggester, "fit", lambda self, *a, **k: fits.append(1) or real_fit(self, *a, **k))
    probs = model.predict_proba(with_accounts)
    assert not fits and model.account_twin_ is not None and model.account_state_ is None  # no second fit
    statements = real_fit(CodeSuggester(protos, evidence_weight=1.0), with_accounts, labels, GROUPS)
    rows = np.array(with_accounts.accounts)
    np.testing.assert_allclose(probs[rows], statements.predict_proba(with_accounts)[rows])
    # the twin's labels are its own: a decision reaches both models once, and both learn it
    model.refit_codes([(1, 0, 1)])
    assert model.labels_[1, 0] == 1 and model.account_twin_.labels_[1, 0] == 1
    assert model.account_twin_.labels_ is not model.labels_


def test_a_decision_before_accounts_are_scored_drops_the_stale_full_weight_fit(monkeypatch):
    batch, protos, labels = _coded()
    with_accounts = replace(batch, accounts=[i % 5 == 0 for i in range(len(batch))], cache={})
    current: list[CodeSuggester] = []
    monkeypatch.setattr(
        estimator_module, "blended_log_loss", lambda blend, oof: 0.1 if current[0].evidence_weight_ == 0.5 else 0.2
    )
    current.append(CodeSuggester(protos))
    model = current[0].fit(with_accounts, labels, GROUPS)
    model.refit_codes([(1, 0, 1)])
    assert model.account_state_ is None  # learnt before the decision
    model.predict_proba(with_accounts)
    assert model.account_twin_ is not None and model.account_twin_.labels_[1, 0] == 1


@pytest.mark.parametrize("evidence_weight", EVIDENCE_WEIGHTS)
def test_the_classifiers_read_the_turns_words_at_their_weight_whatever_the_evidence_weight(evidence_weight):
    batch, protos, labels = _coded()
    model = CodeSuggester(protos, evidence_weight=evidence_weight).fit(batch, labels, GROUPS)
    union = model.features_
    words = dict(union.transformer_list)["turn_tfidf"]
    n_words = len(words.named_steps["tfidf"].vectorizer_.vocabulary_)
    block = union.transform(batch)[:, :n_words].toarray()  # the union's first block: the turn's TF-IDF
    norms = np.linalg.norm(block, axis=1)
    with_words = norms > 0
    assert with_words.any()
    np.testing.assert_allclose(norms[with_words], TURN_WORDS_WEIGHT)  # unit TF-IDF rows, scaled by the weight
    assert union.get_params()["transformer_weights"].get("codebook_evidence", 1.0) == evidence_weight
