"""The suggestion model: determinism, what may be suggested, short turns, probabilities, refits."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.embed import HashingEmbedder
from toolkit.lemmas import SimpleLemmatizer
from toolkit.suggest import UNLABELLED, CodebookPrototypes, CodeSuggester, SegmentBatch, SuggestConfig

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
    first = CodeSuggester(protos, SuggestConfig(seed=7)).fit(batch, labels).predict_proba(batch)
    second = CodeSuggester(protos, SuggestConfig(seed=7)).fit(batch, labels).predict_proba(batch)
    np.testing.assert_array_equal(first, second)


def test_suggest_learns_the_training_codes():
    batch, protos = make_batch(TURNS), make_prototypes()
    model = CodeSuggester(protos).fit(batch, labels_for(TURNS, protos.code_ids))
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
    model = CodeSuggester(protos, SuggestConfig(zero_shot_z=0.5)).fit(batch, unlabelled)
    assert model.few_shot_codes_ == []
    predicted = model.predict(batch)
    assert predicted[2, protos.code_ids.index("contract.none")]
    assert not predicted[7].any()


def test_suggest_rejections_are_negatives_and_refit_touches_one_code():
    batch, protos = make_batch(TURNS), make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    model = CodeSuggester(protos).fit(batch, labels)
    j = protos.code_ids.index("root_cause.family")
    before = model.coef_.copy()
    model.refit_codes([(6, j, 1), (0, j, 0)])
    assert model.labels_[6, j] == 1 and model.labels_[0, j] == 0
    assert not np.allclose(model.coef_[:, j], before[:, j])
    others = [k for k in range(3) if k != j]
    np.testing.assert_array_equal(model.coef_[:, others], before[:, others])


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


def test_suggest_linear_parts_match_scikit_learn():
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from toolkit.linear import BalancedLogisticRegression, TfidfFeaturizer

    texts = ["i do not NOT_check the firm", "i check the firm", "the firm be good good", "alone"] * 3
    ours = TfidfFeaturizer().fit(texts).transform(texts).toarray()
    theirs = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"\S+")
    np.testing.assert_allclose(ours, theirs.fit(texts).transform(texts).toarray(), atol=1e-12)

    rng = np.random.default_rng(0)
    X = sp.csr_matrix(np.hstack([rng.normal(size=(120, 20)), (rng.random((120, 50)) < 0.1) * 1.0]))
    Y = (X[:, :3].toarray() + rng.normal(scale=0.5, size=(120, 3)) > 0.8).astype(int)
    mine = BalancedLogisticRegression(C=5.0, tol=1e-7).fit(X, Y).predict_proba(X)
    for j in range(3):
        reference = LogisticRegression(C=5.0, class_weight="balanced", max_iter=5000, tol=1e-8).fit(X, Y[:, j])
        np.testing.assert_allclose(mine[:, j], reference.predict_proba(X)[:, 1], atol=2e-3)
