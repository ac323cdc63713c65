"""The few-shot model's features as scikit-learn transformers over a :class:`SegmentBatch`.

:func:`make_features` builds a ``FeatureUnion`` of one step per view of a turn, as a human coder reads it:
TF-IDF over the turn's lemmas (negation marked, "NOT_check") and over the question's, the turn and
question embeddings, the element-wise max of the sentence embeddings (a code often sits in one sentence
of a long turn), and the codebook evidence. It plays the part of a ``ColumnTransformer``: a batch is not
a table (a turn has a ragged list of sentence vectors), so each step picks its field with
:class:`BatchField` instead of a column name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import KernelPCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from toolkit.suggest.data import CodebookPrototypes, SegmentBatch
from toolkit.suggest.evidence import code_evidence

__all__ = [
    "TURN_WORDS_WEIGHT",
    "BatchField",
    "CodebookEvidence",
    "OptionalTfidf",
    "SentenceMaxPool",
    "feature_weights",
    "make_features",
    "make_tfidf",
    "row_space",
]


TURN_WORDS_WEIGHT = 2.0
"""The turn's own TF-IDF block counts twice: the answer's words carry a code more than the other views.

Scaling a block by w lowers its coefficients' L2 penalty by w^2, so the classifiers lean on the answer's
words four times more freely. Chosen by leave-one-interview-out on the sample and development corpora
(weight 1 / 1.5 / 2 / 3: 0.850 / 0.848 / 0.853 / 0.853 and 0.836 / 0.850 / 0.855 / 0.851), then kept
because every line of the keep rule rose (learning curves at every point, statements, the Russian
development corpus; ``bench/README.md``, twenty-ninth session).
"""


class BatchField(BaseEstimator, TransformerMixin):
    """Select one field of a :class:`SegmentBatch` (the ``ColumnTransformer`` column of this model).

    Args:
        field: ``lemmas``, ``question_lemmas`` (lists of strings, for a vectorizer), ``turn_vecs`` or
            ``question_vecs`` (dense arrays).
    """

    def __init__(self, field: str = "lemmas") -> None:
        self.field = field

    def fit(self, batch: SegmentBatch, y: Any = None) -> BatchField:
        """Nothing to learn: a selection."""
        return self

    def transform(self, batch: SegmentBatch) -> Any:
        """The field's values, row-aligned with the batch."""
        return getattr(batch, self.field)


class SentenceMaxPool(BaseEstimator, TransformerMixin):
    """Element-wise max over each turn's sentence embeddings (the turn vector when it has none).

    Why: a code is often carried by one sentence of a long turn, which the mean (the turn embedding)
    dilutes. Memoised on the batch, since it does not depend on labels.
    """

    def fit(self, batch: SegmentBatch, y: Any = None) -> SentenceMaxPool:
        """Nothing to learn."""
        return self

    def transform(self, batch: SegmentBatch) -> np.ndarray:
        """Rows x embedding dimensions."""
        cached = batch.cache.get("sentence_max")
        if cached is None:
            cached = np.array(batch.turn_vecs, dtype=np.float32, copy=True)
            for i, vecs in enumerate(batch.sentence_vecs):
                if len(vecs):
                    cached[i] = np.max(vecs, axis=0)
            batch.cache["sentence_max"] = cached
        return cached


class CodebookEvidence(BaseEstimator, TransformerMixin):
    """Codebook evidence per code, as features (see :mod:`toolkit.suggest.evidence`).

    Similarity of the turn and its best sentence to the code's examples and definition, keyword hits in
    the turn and the question, and the question's similarity to the definition.

    Args:
        prototypes: the embedded codebook.
    """

    def __init__(self, prototypes: CodebookPrototypes | None = None) -> None:
        self.prototypes = prototypes

    def fit(self, batch: SegmentBatch, y: Any = None) -> CodebookEvidence:
        """Nothing to learn: the evidence is fixed by the codebook."""
        return self

    def transform(self, batch: SegmentBatch) -> np.ndarray:
        """Rows x (7 * codes), see :meth:`toolkit.suggest.evidence.CodeEvidence.dense`."""
        if self.prototypes is None:
            raise ValueError("CodebookEvidence needs prototypes")
        return code_evidence(batch, self.prototypes).dense()


class OptionalTfidf(BaseEstimator, TransformerMixin):
    """A vectorizer that yields no columns instead of failing when no term is frequent enough.

    Why: ``TfidfVectorizer`` raises on an empty vocabulary (e.g. a first fit on a handful of turns with
    ``min_df=2``), whereas the model should then simply work from the other features.

    Args:
        vectorizer: the vectorizer to fit (cloned).
    """

    def __init__(self, vectorizer: TfidfVectorizer | None = None) -> None:
        self.vectorizer = vectorizer

    def fit(self, texts: list[str], y: Any = None) -> OptionalTfidf:
        """Fit a clone of the vectorizer, or remember that there is no vocabulary."""
        vectorizer = clone(self.vectorizer) if self.vectorizer is not None else make_tfidf()
        try:
            self.vectorizer_: TfidfVectorizer | None = vectorizer.fit(texts)
        except ValueError:  # empty vocabulary after min_df pruning, or no texts at all
            self.vectorizer_ = None
        return self

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        """TF-IDF rows (no columns without a vocabulary)."""
        if self.vectorizer_ is None:
            return sp.csr_matrix((len(texts), 0))
        return self.vectorizer_.transform(texts)


def make_tfidf() -> TfidfVectorizer:
    """Unigrams and bigrams of whitespace tokens (lemmas, negation-marked), sublinear tf, terms in >= 2 turns."""
    return TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), min_df=2, sublinear_tf=True)


def make_features(prototypes: CodebookPrototypes) -> FeatureUnion:
    """The feature steps of the few-shot model; fit on labelled turns, transform any batch.

    The union is built with the turn's words weighted (:data:`TURN_WORDS_WEIGHT`); the codebook-evidence block can
    be scaled afterwards (``set_params(transformer_weights=feature_weights(w))``): the model chooses how far its
    classifiers lean on it (:mod:`toolkit.suggest.evidence_weight`).
    """

    def text(field: str) -> Pipeline:
        return Pipeline([("select", BatchField(field)), ("tfidf", OptionalTfidf(make_tfidf()))])

    def dense(field: str) -> BatchField:
        return BatchField(field)

    return FeatureUnion(
        [
            ("turn_tfidf", text("lemmas")),
            ("question_tfidf", text("question_lemmas")),
            ("turn_embedding", dense("turn_vecs")),
            ("question_embedding", dense("question_vecs")),
            ("codebook_evidence", CodebookEvidence(prototypes)),
            ("sentence_max", SentenceMaxPool()),
        ],
        transformer_weights=feature_weights(1.0),
    )


def feature_weights(evidence_weight: float) -> dict[str, float]:
    """The feature union's ``transformer_weights``: the turn's words and the codebook evidence's weights."""
    weights = {"turn_tfidf": TURN_WORDS_WEIGHT}
    if evidence_weight != 1.0:
        weights["codebook_evidence"] = evidence_weight
    return weights


MAX_ROW_SPACE_ROWS = 3000
"""Above this many training turns the n x n eigendecomposition costs more than it saves."""

DENSE_LIMIT = 20_000_000
"""The training turns' features are made dense (160 MB at most) for the rotation's Gram product."""


def row_space(n_features: int, n_rows: int) -> KernelPCA | None:
    """A rotation onto the training turns' principal components, or None where it would not pay.

    Why: with fewer training turns than features (hundreds of turns, thousands of features) an L2-penalised
    logistic regression with an unpenalised intercept has its weights in the span of the centred training
    rows. ``KernelPCA(kernel="linear")`` keeps every component of that span (from the eigenvectors of the
    n x n Gram matrix) and is orthonormal on it, so the penalty and the optimum are unchanged while
    L-BFGS works in n instead of thousands of dimensions: about ten times faster per code, which is what
    keeps a refit after a review decision interactive. Above :data:`MAX_ROW_SPACE_ROWS` turns, or with
    more turns than features, or over :data:`DENSE_LIMIT` entries, the classifiers work on the features
    themselves. Fit it on dense training rows: new rows may stay sparse (sparse x dense is fast).
    """
    if n_rows < 2 or n_rows >= n_features or n_rows > MAX_ROW_SPACE_ROWS or n_rows * n_features > DENSE_LIMIT:
        return None
    return KernelPCA(kernel="linear", eigen_solver="dense")
