"""A long answer scored passage by passage: windows, their vectors and lemmas, and the best passage's probability."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from toolkit.errors import ConfigError
from toolkit.suggest.estimator import CodeSuggester, SuggestConfig
from toolkit.suggest.evaluate import cross_validated_decision_inputs, cross_validated_scores
from toolkit.suggest.passages import MIN_PASSAGE_SENTENCES, passage_counts, passage_size, passage_spans, passages
from toolkit.suggest.policy import DecisionPolicy

from .test_suggest import LEM, TURNS, labels_for, make_batch, make_prototypes

FILLER = [
    "The weather in our town is mild.",
    "The bus to the market runs twice a day.",
    "We grew tomatoes on the balcony.",
    "The river freezes in January.",
    "The school building was painted blue.",
]
FAMILY = "My children are small and I must feed them, my mother too."


def with_sentence_lemmas(batch):
    return replace(batch, sentence_lemmas=[LEM.lemmatize(s) for s in batch.sentence_texts], cache={})


def long_answer_batch():
    """The coded turns, then one long answer whose family sentence sits among unrelated ones."""
    sentences = [*FILLER[:3], FAMILY, *FILLER[3:]]
    batch = make_batch([*TURNS, ("Can you tell me about it?", " ".join(sentences), set())])
    return with_sentence_lemmas(batch)


def test_passage_spans_cover_the_turn_in_windows_of_the_size():
    assert passage_spans(9, 4) == [(0, 4), (4, 8), (5, 9)]
    assert passage_spans(8, 4) == [(0, 4), (4, 8)]
    assert passage_spans(3, 4) == [(0, 3)]
    assert passage_spans(5, 2) == [(0, 2), (2, 4), (3, 5)]


def test_passages_of_long_turns_only_with_their_own_lemmas_and_vectors():
    batch = long_answer_batch()
    long_row = len(batch) - 1
    found = passages(batch, 4)
    assert found is not None
    assert found.owner.tolist() == [long_row, long_row]  # 6 sentences: (0, 4) and (2, 6)
    second = found.batch
    assert second.sentence_texts[1] == batch.sentence_texts[long_row][2:6]
    assert second.lemmas[1] == " ".join(batch.sentence_lemmas[long_row][2:6])
    assert second.questions == [batch.questions[long_row]] * 2
    mean = batch.sentence_vecs[long_row][:4].mean(axis=0)
    np.testing.assert_allclose(second.turn_vecs[0], mean / np.linalg.norm(mean), rtol=1e-5)
    assert passages(batch, 4) is found  # memoised on the batch
    assert passages(batch, 0) is None
    assert passages(replace(batch, sentence_lemmas=None, cache={}), 4) is None  # no lemmas, no passages


def test_a_code_in_one_passage_of_a_long_answer_gets_the_best_passage_score():
    batch = long_answer_batch()
    protos = make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    labels = np.vstack([labels, np.full((1, labels.shape[1]), -1, dtype=labels.dtype)])
    family = protos.code_ids.index("root_cause.family")
    long_row = len(batch) - 1
    found = passages(batch, 2)
    assert found is not None
    # the codebook alone (nothing coded, no map): each code's score is the best of the turn's and its passages'
    unlabelled = np.full(labels.shape, -1, dtype=labels.dtype)
    zero = CodeSuggester(protos, passage_sentences=2).fit(batch, unlabelled)
    zero_whole = CodeSuggester(protos, passage_sentences=0).fit(batch, unlabelled)
    best = np.maximum(zero_whole.predict_proba(batch)[long_row], zero.predict_proba(found.batch).max(axis=0))
    np.testing.assert_allclose(zero.predict_proba(batch)[long_row], best)
    # learnt: the family passage lifts the long answer above its diluted whole
    whole = CodeSuggester(protos, min_positives=2, passage_sentences=0).fit(batch, labels)
    by_passage = CodeSuggester(protos, min_positives=2, passage_sentences=2).fit(batch, labels)
    assert by_passage.predict_proba(batch)[long_row, family] > whole.predict_proba(batch)[long_row, family]
    # the short coded turns are scored as before
    np.testing.assert_array_equal(whole.predict_proba(batch)[:long_row], by_passage.predict_proba(batch)[:long_row])


def test_passage_size_below_zero_is_a_config_error():
    with pytest.raises(ConfigError, match="passage_sentences"):
        SuggestConfig(passage_sentences=-1)


def test_passage_counts_are_whole_turn_sized_passages():
    batch = long_answer_batch()  # the coded turns (1-2 sentences), then six sentences
    assert passage_counts(batch, 2).tolist() == [1] * len(TURNS) + [3]
    assert passage_counts(batch, 4).tolist() == [1] * len(TURNS) + [1]  # two windows, one turn's worth
    assert passage_counts(replace(batch, sentence_lemmas=None, cache={}), 2).tolist() == [1] * len(batch)


def test_a_long_turn_carries_each_limit_once_per_passage():
    groups = ["recruitment", "recruitment", "root_cause", "root_cause"]
    policy = DecisionPolicy(groups, {"recruitment": 1}, threshold=0.5, max_codes=2, zero_shot_max_codes=1)
    probs = np.array([[0.9, 0.8, 0.7, 0.6], [0.9, 0.8, 0.7, 0.6]])
    decided = policy.decide(probs, passages=np.array([1, 2]))
    assert decided[0].tolist() == [True, False, True, False]  # one recruitment method, two codes in all
    assert decided[1].tolist() == [True, True, True, True]  # two passages: twice each limit
    zero_shot = policy.decide(probs, few_shot=np.zeros(4, dtype=bool), passages=np.array([1, 2]))
    assert zero_shot.sum(axis=1).tolist() == [1, 2]  # one codebook-only code per passage


def test_a_passage_is_as_long_as_the_median_coded_turn_and_at_least_three_sentences():
    assert passage_size([4, 5, 6, 2], fallback=4) == 4  # median 4.5, whole sentences
    assert passage_size([7, 7, 8], fallback=4) == 7
    assert passage_size([2, 2, 3], fallback=4) == MIN_PASSAGE_SENTENCES == 3  # two-sentence windows cost turns
    assert passage_size([], fallback=4) == 4  # nothing coded: the setting
    assert passage_size([5, 5], fallback=0) == 0  # passages off stay off


def test_a_fitted_model_reads_passages_as_long_as_its_coded_turns():
    batch = long_answer_batch()  # coded turns of 1-2 sentences, then an uncoded answer of six
    protos = make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    labels = np.vstack([labels, np.full((1, labels.shape[1]), -1, dtype=labels.dtype)])
    model = CodeSuggester(protos, min_positives=2, passage_sentences=4)
    assert model.passage_sentences_now() == 4  # before fit: the setting
    model.fit(batch, labels)
    assert model.passage_sentences_now() == 3
    assert model.passage_counts(batch)[-1] == 2  # six sentences: two passages of three, where four made one
    same = CodeSuggester(protos, min_positives=2, passage_sentences=3, passages_follow_coded_turns=False)
    np.testing.assert_allclose(model.predict_proba(batch), same.fit(batch, labels).predict_proba(batch))
    one_interview = CodeSuggester(protos, min_positives=2, passage_sentences=4).fit(batch, labels, ["a"] * len(batch))
    assert one_interview.passage_sentences_now() == 4  # coded turns from one interview: nothing drawn from them
    fixed = CodeSuggester(protos, min_positives=2, passage_sentences=4, passages_follow_coded_turns=False)
    assert fixed.fit(batch, labels).passage_sentences_now() == 4
    zero = CodeSuggester(protos, passage_sentences=4).fit(batch, np.full(labels.shape, -1, dtype=labels.dtype))
    assert zero.passage_sentences_now() == 4  # nothing coded: the setting


def test_cross_validated_decisions_count_passages_as_each_fold_read_them():
    batch = long_answer_batch()
    protos = make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    labels = np.vstack([labels, np.zeros((1, labels.shape[1]), dtype=labels.dtype)])
    groups = [f"interview {i % 3}" for i in range(len(batch))]
    model = CodeSuggester(protos, min_positives=2, passage_sentences=4)
    probs, ranks, counts = cross_validated_decision_inputs(model, batch, labels, groups)
    assert model.passage_counts(batch)[-1] == 1  # the unfitted model's setting: one passage of four
    assert counts[-1] == 2  # its fold read passages of three
    scores = cross_validated_scores(model, batch, labels, groups)
    np.testing.assert_array_equal(scores[0], probs)
    np.testing.assert_array_equal(scores[1], ranks)


def test_a_long_turn_that_is_a_whole_account_is_also_read_sentence_by_sentence():
    batch = long_answer_batch()  # the long answer follows "Can you tell me about it?" in an interview
    long_row = len(batch) - 1
    asked = passages(batch, 4, statement_sentences=True)
    assert asked is not None and (asked.owner == long_row).sum() == 2  # an interview answer: windows only
    removed = batch.without_questions()
    assert (passages(removed, 4, statement_sentences=True).owner == long_row).sum() == 2  # still an interview
    accounts = [False] * (len(batch) - 1) + [True]
    statement = replace(batch, accounts=accounts, cache={})  # as `load_corpus` marks a statement
    found = passages(statement, 4, statement_sentences=True)
    assert found is not None and (found.owner == long_row).sum() == 2 + 6
    assert found.batch.sentence_texts[2:] == [[s] for s in statement.sentence_texts[long_row]]
    assert (passages(statement, 4).owner == long_row).sum() == 2  # off: windows only
    assert passage_counts(statement, 4).tolist() == passage_counts(batch, 4).tolist()  # off: limits as before
    assert passage_counts(statement, 4, statement_sentences=True)[long_row] == 6  # read, and limited, per sentence
    assert passage_counts(batch, 4, statement_sentences=True)[long_row] == 1  # a question: per passage
    protos = make_prototypes()
    unlabelled = np.full((len(batch), len(protos.code_ids)), -1, dtype=np.int8)
    read = CodeSuggester(protos, passage_sentences=4).fit(statement, unlabelled).predict_proba(statement)
    off = CodeSuggester(protos, passage_sentences=4, statement_sentences=False).fit(statement, unlabelled)
    assert (read[long_row] >= off.predict_proba(statement)[long_row] - 1e-9).all()  # the best of more readings
