"""The suggestion model: determinism, what may be suggested, short turns, probabilities, refits."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.estimator import UNLABELLED, CodebookPrototypes, CodeSuggester, SegmentBatch, SuggestConfig
from toolkit.suggest.lemmas import SimpleLemmatizer

EMB = HashingEmbedder(128)
LEM = SimpleLemmatizer()

CODES = {
    "root_cause.family": (["I have to feed my children.", "My mother needs medicine."], ["children", "mother", "feed"]),
    "root_cause.economic": (["There was no money at all.", "We had debts."], ["money", "debt", "salary"]),
    "contract.none": (["Nothing was signed.", "There were no papers."], ["sign", "paper"]),
}

TURNS = [
    ("Tell me about your family.", "My children are small and I must feed them, my mother too.", {"root_cause.family"}),
    ("How were you managing?", "No money, debts everywhere, the salary was tiny.", {"root_cause.economic"}),
    ("Did you sign anything?", "No, nothing was signed, no papers at all.", {"contract.none"}),
    ("Tell me about your family.", "My mother is ill and my children need food.", {"root_cause.family"}),
    ("How were you managing?", "We had debts and no salary for months.", {"root_cause.economic"}),
    ("Did you sign anything?", "There were no papers, we signed nothing.", {"contract.none"}),
    ("What do you do now?", "I work in a bakery, mornings.", set()),
    ("How is your health?", "Fine, thank you.", set()),
]


PLAIN = {"min_positives": 2, "example_weight": 0.0}  # learn from the coded turns alone (no codebook rows)


def make_batch(turns) -> SegmentBatch:
    texts = [t for _, t, _ in turns]
    questions = [q for q, _, _ in turns]
    sentences = [[s.strip() + "." for s in t.split(".") if s.strip()] for t in texts]
    return SegmentBatch(
        texts=texts,
        questions=questions,
        turn_vecs=EMB.encode(texts),
        question_vecs=EMB.encode(questions),
        sentence_vecs=[EMB.encode(s) for s in sentences],
        sentence_texts=sentences,
        lemmas=LEM.lemmatize(texts),
        question_lemmas=LEM.lemmatize(questions),
    )


def make_prototypes(code_ids=None) -> CodebookPrototypes:
    code_ids = code_ids or list(CODES)
    return CodebookPrototypes(
        code_ids=code_ids,
        groups=[c.split(".")[0] for c in code_ids],
        example_texts=[CODES[c][0] for c in code_ids],
        example_vecs=[EMB.encode(CODES[c][0]) for c in code_ids],
        definition_vecs=EMB.encode([" ".join(CODES[c][0]) for c in code_ids]),
        keyword_lemmas=[LEM.lemmatize(CODES[c][1]) for c in code_ids],
    )


def labels_for(turns, code_ids) -> np.ndarray:
    return np.array([[int(c in codes) for c in code_ids] for _, _, codes in turns], dtype=np.int8)


def test_suggest_is_deterministic():
    batch, protos = make_batch(TURNS), make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    first = CodeSuggester.from_config(protos, SuggestConfig(seed=7)).fit(batch, labels).predict_proba(batch)
    second = CodeSuggester(protos, seed=7).fit(batch, labels).predict_proba(batch)
    np.testing.assert_array_equal(first, second)


def test_suggest_learns_the_training_codes():
    batch, protos = make_batch(TURNS), make_prototypes()
    model = CodeSuggester(protos, **PLAIN).fit(batch, labels_for(TURNS, protos.code_ids))
    assert model.few_shot_codes_ == protos.code_ids
    predicted = model.predict(batch)
    expected = labels_for(TURNS, protos.code_ids).astype(bool)
    assert (predicted == expected).mean() > 0.9


def test_suggest_only_codes_of_the_codebook():
    protos = make_prototypes(["root_cause.family", "contract.none"])
    batch = make_batch(TURNS)
    model = CodeSuggester(protos).fit(batch, labels_for(TURNS, protos.code_ids))
    assert model.predict_proba(batch).shape == (len(TURNS), 2)
    reasons = model.explain(batch)
    assert all(protos.code_ids[j] in protos.code_ids for r in reasons for j in r)


@pytest.mark.parametrize("text", ["", "Yes.", "   ", "Nothing"])
def test_suggest_empty_or_one_word_turn_gets_no_confident_suggestion(text):
    batch, protos = make_batch(TURNS), make_prototypes()
    model = CodeSuggester(protos).fit(batch, labels_for(TURNS, protos.code_ids))
    probe = make_batch([("Did you sign anything?", text, set())])
    probs = model.predict_proba(probe)
    assert probs.max() < model.config.threshold
    assert not model.predict(probe).any()


def test_suggest_probabilities_are_probabilities_in_both_modes():
    batch, protos = make_batch(TURNS), make_prototypes()
    unlabelled = np.full((len(TURNS), 3), UNLABELLED, dtype=np.int8)
    for labels in (unlabelled, labels_for(TURNS, protos.code_ids)):
        probs = CodeSuggester(protos).fit(batch, labels).predict_proba(batch)
        assert probs.shape == (len(TURNS), 3)
        assert np.all((probs >= 0) & (probs <= 1))


def test_suggest_zero_shot_when_nothing_is_coded_finds_obvious_codes():
    batch, protos = make_batch(TURNS), make_prototypes()
    unlabelled = np.full((len(TURNS), 3), UNLABELLED, dtype=np.int8)
    model = CodeSuggester(protos, zero_shot_z=0.5).fit(batch, unlabelled)
    assert model.few_shot_codes_ == []
    predicted = model.predict(batch)
    assert predicted[2, protos.code_ids.index("contract.none")]
    assert not predicted[7].any()


def test_suggest_rejections_are_negatives_and_refit_touches_one_code():
    batch, protos = make_batch(TURNS), make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    model = CodeSuggester(protos, **PLAIN).fit(batch, labels)
    j = protos.code_ids.index("root_cause.family")
    before = [e.coef_.copy() for e in model.estimators_]
    others = [model.estimators_[k] for k in range(3) if k != j]
    model.refit_codes([(6, j, 1), (0, j, 0)])
    assert model.labels_[6, j] == 1 and model.labels_[0, j] == 0
    assert not np.allclose(model.estimators_[j].coef_, before[j])
    assert [model.estimators_[k] for k in range(3) if k != j] == others  # the very same fitted objects
    for k in range(3):
        if k != j:
            np.testing.assert_array_equal(model.estimators_[k].coef_, before[k])


def test_suggest_group_limit_keeps_the_strongest():
    protos = make_prototypes()
    protos.max_per_group = {"root_cause": 1}
    model = CodeSuggester(protos)
    model.trained_ = np.ones(3, dtype=bool)
    probs = np.array([[0.9, 0.8, 0.7]])
    chosen = model.decide(probs)
    assert chosen.tolist() == [[True, False, True]]


def test_suggest_config_validates():
    from toolkit.errors import ConfigError

    with pytest.raises(ConfigError, match="between 0 and 1"):
        SuggestConfig(threshold=1.5)
    batch, protos = make_batch(TURNS), make_prototypes()
    with pytest.raises(ConfigError, match="between 0 and 1"):
        CodeSuggester(protos, threshold=0.0).fit(batch, labels_for(TURNS, protos.code_ids))
    with pytest.raises(ConfigError, match="C must be"):
        CodeSuggester(protos).set_params(C=-1.0).fit(batch, labels_for(TURNS, protos.code_ids))


def test_suggest_is_a_scikit_learn_estimator():
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    protos = make_prototypes()
    model = CodeSuggester(protos, C=3.0, threshold=0.4, **PLAIN)
    params = model.get_params()
    assert params["C"] == 3.0 and params["threshold"] == 0.4 and params["prototypes"] is protos
    assert set(params) - {"prototypes"} == set(SuggestConfig.__dataclass_fields__)
    assert model.set_params(C=2.0) is model and model.C == 2.0
    assert clone(model).get_params()["C"] == 2.0
    assert not hasattr(model, "estimators_")  # __init__ only stores parameters
    batch = make_batch(TURNS)
    assert model.fit(batch, labels_for(TURNS, protos.code_ids)) is model
    estimator = model.estimators_[0]
    assert isinstance(estimator, LogisticRegression)
    assert estimator.C == 2.0 and estimator.class_weight == "balanced"


def test_suggest_features_are_scikit_learn_tfidf_on_labelled_turns():
    from sklearn.feature_extraction.text import TfidfVectorizer

    batch, protos = make_batch(TURNS), make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    labels[6:] = UNLABELLED
    model = CodeSuggester(protos, **PLAIN).fit(batch, labels)
    turn_tfidf = model.features_.named_transformers["turn_tfidf"].named_steps["tfidf"].vectorizer_
    reference = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"\S+")
    reference.fit(batch.lemmas[:6])
    assert turn_tfidf.vocabulary_ == reference.vocabulary_
    np.testing.assert_allclose(
        turn_tfidf.transform(batch.lemmas).toarray(), reference.transform(batch.lemmas).toarray()
    )
    assert model.X_.shape[0] == 2 * len(TURNS)  # each turn, then its answer alone (answer_only_weight)


def test_suggest_tfidf_without_vocabulary_gives_no_columns():
    batch, protos = make_batch(TURNS[:1]), make_prototypes()
    model = CodeSuggester(protos).fit(batch, np.full((1, 3), UNLABELLED, dtype=np.int8))
    probs = model.predict_proba(make_batch(TURNS))
    assert probs.shape == (len(TURNS), 3) and np.all((probs >= 0) & (probs <= 1))


def test_suggest_policy_limits_zero_shot_codes_per_turn():
    from toolkit.suggest.policy import DecisionPolicy

    policy = DecisionPolicy(["a", "b", "c"], threshold=0.5, max_codes=3, zero_shot_max_codes=1)
    probs = np.array([[0.9, 0.8, 0.7]])
    assert policy.decide(probs).tolist() == [[True, True, True]]
    assert policy.decide(probs, few_shot=np.array([False, False, True])).tolist() == [[True, False, True]]


def test_suggest_codebook_examples_are_training_rows_once_enough_turns_are_coded():
    """The codebook's examples join the coded turns (a prior the data outweighs); never counted as coded."""
    batch, protos = make_batch(TURNS), make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    n_examples = sum(len(e) for e in protos.example_texts)
    few = CodeSuggester(protos, example_weight=1.0, min_positives=3, min_labelled_turns=100).fit(batch, labels)
    assert few.X_.shape[0] == 2 * len(TURNS) + n_examples  # the turns, the examples, the answers alone
    assert not few.trained_.any()  # two coded turns per code and too few coded turns: still the codebook alone
    enough = CodeSuggester(protos, example_weight=1.0, min_positives=3, min_labelled_turns=len(TURNS)).fit(
        batch, labels
    )
    assert enough.trained_.all() and enough.positives_.tolist() == [2, 2, 2]  # examples are not coded turns
    weights = enough.sample_weight_
    assert weights.shape == (2 * len(TURNS) + n_examples,) and np.all(weights == 1.0)
    probs = enough.predict_proba(batch)
    assert probs.shape == (len(TURNS), 3) and np.all((probs >= 0) & (probs <= 1))
    assert enough.explain(batch, probs) is not None


def test_a_code_no_coded_turn_holds_stays_with_the_codebook():
    """Enough coded turns for the examples, but none holds the code: its examples against those turns would learn
    the codebook's wording against the interviews' talk, so it keeps no classifier."""
    batch, protos = make_batch(TURNS), make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    j = protos.code_ids.index("contract.none")
    labels[labels[:, j] == 1, j] = 0  # nobody applied it anywhere: every coded turn says "not this code"
    model = CodeSuggester(protos, example_weight=1.0, min_positives=3, min_labelled_turns=len(TURNS)).fit(batch, labels)
    assert model.positives_[j] == 0 and not model.trained_[j] and model.estimators_[j] is None
    assert model.trained_[[i for i in range(len(protos.code_ids)) if i != j]].all()  # the others still learn
    assert j not in [protos.code_ids.index(c) for c in model.few_shot_codes_]


def test_an_uncalibrated_model_explains_its_suggestions_without_a_codebook_record():
    """``calibrate=False`` fits no codebook-score map, so there is no record for the card to show."""
    batch, protos = make_batch(TURNS), make_prototypes()
    model = CodeSuggester(protos, calibrate=False, **PLAIN).fit(batch, labels_for(TURNS, protos.code_ids))
    assert getattr(model, "codebook_record_", None) is None
    reasons = model.explain(batch)
    assert len(reasons) == len(TURNS) and any(reasons)


def test_clone_shares_the_codebook_so_every_fold_reuses_the_batch_features():
    from sklearn.base import clone

    from toolkit.suggest.evidence import code_evidence

    batch, protos = make_batch(TURNS), make_prototypes()
    model = CodeSuggester(protos).fit(batch, labels_for(TURNS, protos.code_ids))
    copy = clone(model)
    assert copy.prototypes is protos
    cached = len(batch.cache)
    copy.fit(batch, labels_for(TURNS, protos.code_ids))
    assert len(batch.cache) == cached  # no second copy of the evidence or of the training rows
    assert code_evidence(batch, copy.prototypes) is code_evidence(batch, protos)
