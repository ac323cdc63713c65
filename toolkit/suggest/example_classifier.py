"""A codebook-only classifier: per code, a logistic regression on the codebook's examples, that code's vs the rest.

Why: the nearest example says how much a sentence looks like a code's examples, not how much more it looks
like them than like the other codes'; a linear model over the examples' embeddings learns the directions that
set the codes apart (family and economic hardship share "feed", "money"; what separates them is learnt). It
sees the codebook only, never a coding, so it is zero-shot evidence. Measured on the sample corpus, codebook
alone (`bench/bench_suggest_v2.py`): micro-F1 0.595 -> 0.620 as a fourth zero-shot source beside the
best-example similarity, keyword hits and question-to-definition similarity, while a copy of an existing
source in its place gave 0.579 and 0.596 (it is the classifier, not a fourth term, that helps); on the held-out
corpus, scored once after it was kept, 0.662 -> 0.726.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np
from sklearn.linear_model import LogisticRegression

from toolkit.suggest.data import CodebookPrototypes, SegmentBatch

__all__ = ["example_classifier", "example_classifier_scores"]

_FITTED: WeakKeyDictionary[CodebookPrototypes, tuple[np.ndarray, np.ndarray]] = WeakKeyDictionary()


def example_classifier(protos: CodebookPrototypes) -> tuple[np.ndarray, np.ndarray]:
    """Weights (codes x dimensions) and biases (codes) of one balanced logistic regression per code.

    A code without examples, or a codebook where only one code has any, gets zero weights: no evidence either
    way. Memoised per codebook object (prototypes are never mutated after they are built).
    """
    cached = _FITTED.get(protos)
    if cached is not None:
        return cached
    dim = protos.definition_vecs.shape[1]
    k = len(protos.code_ids)
    weights, biases = np.zeros((k, dim), dtype=np.float32), np.zeros(k, dtype=np.float32)
    owners = np.concatenate([np.full(len(v), j) for j, v in enumerate(protos.example_vecs)]) if k else np.zeros(0)
    if len(set(owners.tolist())) >= 2:
        examples = np.vstack([v for v in protos.example_vecs if len(v)]).astype(np.float64)
        for j in range(k):
            mine = owners == j
            if mine.any():
                fit = LogisticRegression(class_weight="balanced", max_iter=1000).fit(examples, mine)
                weights[j], biases[j] = fit.coef_[0], fit.intercept_[0]
    _FITTED[protos] = (weights, biases)
    return weights, biases


def example_classifier_scores(batch: SegmentBatch, protos: CodebookPrototypes) -> np.ndarray:
    """Rows x codes: the classifier's decision value for the turn's best sentence (the turn if it has none)."""
    weights, biases = example_classifier(protos)
    n, k = len(batch), len(protos.code_ids)
    if not n:
        return np.zeros((0, k), dtype=np.float32)
    sentences, starts = batch.sentence_rows()
    values = sentences @ weights.T + biases
    return np.maximum.reduceat(values, starts, axis=0).astype(np.float32)
