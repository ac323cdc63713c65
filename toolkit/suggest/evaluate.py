"""How good are the suggestions? Per-code and averaged agreement with a coder's codings.

:func:`classification_report` compares two boolean matrices (turns x codes). :func:`evaluate` builds
them from a store: ``cross-validated`` holds out one interview at a time (the model never sees the
interview it is scored on), ``zero-shot`` uses the codebook alone, ``stored`` scores the suggestions
currently in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support
from sklearn.model_selection import LeaveOneGroupOut
from sqlalchemy import select

from toolkit.errors import NotFoundError, ToolkitError
from toolkit.store.engine import Store
from toolkit.store.models import Coder, Suggestion
from toolkit.suggest.embed import Embedder, select_embedder
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SegmentBatch, SuggestConfig
from toolkit.suggest.lemmas import Lemmatizer, select_lemmatizer
from toolkit.suggest.model_choice import lemmatizer_for, project_embedding_model
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

__all__ = ["MODES", "classification_report", "cross_validated_probabilities", "evaluate"]

MODES = ("cross-validated", "zero-shot", "stored")


def classification_report(truth: np.ndarray, pred: np.ndarray, code_ids: Sequence[str]) -> dict[str, Any]:
    """Per-code precision, recall, F1, support and kappa; micro and macro averages (``sklearn.metrics``).

    Macro averages run over codes with support or predictions (a code absent from both is left out: it
    says nothing about the model, and scikit-learn would count it as F1 0 with a warning). The kappa of a
    code whose two vectors are both constant and equal is 1.0 (scikit-learn returns NaN there).
    """
    truth = np.asarray(truth, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    n_codes = len(code_ids)
    if truth.shape != pred.shape or truth.ndim != 2 or truth.shape[1] != n_codes:
        raise ValueError(f"truth and pred must both be turns x {n_codes} codes, got {truth.shape} and {pred.shape}")
    precision, recall, f1, support = precision_recall_fscore_support(truth, pred, average=None, zero_division=0)
    per_code: dict[str, dict[str, float]] = {}
    for j, code in enumerate(code_ids):
        per_code[code] = {
            "precision": round(float(precision[j]), 4),
            "recall": round(float(recall[j]), 4),
            "f1": round(float(f1[j]), 4),
            "support": int(support[j]),
            "predicted": int(pred[:, j].sum()),
            "kappa": round(_kappa(truth[:, j], pred[:, j]), 4),
        }
    micro = precision_recall_fscore_support(truth, pred, average="micro", zero_division=0)
    used = np.where(truth.any(axis=0) | pred.any(axis=0))[0]
    macro = (
        precision_recall_fscore_support(truth[:, used], pred[:, used], average="macro", zero_division=0)
        if len(used) and len(truth)
        else (0.0, 0.0, 0.0, None)
    )
    return {
        "n_segments": int(truth.shape[0]),
        "micro_precision": round(float(micro[0]), 4),
        "micro_recall": round(float(micro[1]), 4),
        "micro_f1": round(float(micro[2]), 4),
        "macro_precision": round(float(macro[0]), 4),
        "macro_recall": round(float(macro[1]), 4),
        "macro_f1": round(float(macro[2]), 4),
        "per_code": per_code,
    }


def _kappa(truth: np.ndarray, pred: np.ndarray) -> float:
    """``cohen_kappa_score``, but 1.0 for two identical constant vectors (perfect agreement, not undefined)."""
    if not len(truth):
        return float("nan")
    if np.array_equal(truth, pred) and len(np.unique(truth)) == 1:
        return 1.0
    return float(cohen_kappa_score(truth, pred))


def cross_validated_probabilities(
    model: CodeSuggester,
    batch: SegmentBatch,
    labels: np.ndarray,
    groups: Sequence[str],
    config: SuggestConfig | None = None,
) -> np.ndarray:
    """Leave-one-group-out probabilities: each interview scored by a model fitted without it.

    ``LeaveOneGroupOut`` splits by interview; a held-out interview's labels are hidden (``UNLABELLED``)
    rather than its rows dropped, so that every fold transforms the same batch and its label-independent
    features are computed once (memoised on the batch). Each fold's model is a fresh estimator with
    ``model``'s parameters (or ``config``'s).
    """
    params = model.get_params(deep=False)
    if config is not None:
        params.update(asdict(config))
    labels = np.asarray(labels)
    probs = np.zeros(labels.shape, dtype=np.float64)
    for train, held in LeaveOneGroupOut().split(np.zeros(len(labels)), groups=np.asarray(groups)):
        train_labels = labels.copy()
        train_labels[held] = UNLABELLED
        fitted = type(model)(**params).fit(batch, train_labels)
        probs[held] = fitted.predict_proba(batch)[held]  # the fitted batch itself: its features are reused
    return probs


def evaluate(
    store: Store,
    gold_coder: str,
    mode: str = "cross-validated",
    codebook: str | None = None,
    embedder: Embedder | str | None = None,
    lemmatizer: Lemmatizer | str | None = None,
    config: SuggestConfig | None = None,
) -> dict[str, Any]:
    """Compare suggestions with ``gold_coder``'s codings over the respondent turns of the documents they coded."""
    if mode not in MODES:
        raise ToolkitError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    with store.read() as session:
        if session.scalar(select(Coder).where(Coder.name == gold_coder)) is None:
            known = ", ".join(session.scalars(select(Coder.name).order_by(Coder.name)))
            raise NotFoundError(f"unknown coder {gold_coder!r} (coders: {known or 'none'})")
    embedder = select_embedder(embedder if embedder is not None else project_embedding_model(store)[0])
    lemmatizer = select_lemmatizer(lemmatizer if lemmatizer is not None else lemmatizer_for(store))
    config = config or SuggestConfig()
    corpus = load_corpus(store, embedder, lemmatizer)
    prototypes, _ = build_prototypes(store, embedder, lemmatizer, codebook)
    gold = label_matrix(store, corpus, prototypes.code_ids, coders=[gold_coder])
    rows = np.where((gold != UNLABELLED).any(axis=1))[0]
    if not len(rows):
        raise ToolkitError(f"coder {gold_coder!r} has no codings on respondent turns")
    truth = gold[rows] == 1
    model = CodeSuggester.from_config(prototypes, config)
    if mode == "cross-validated":
        batch = corpus.batch.subset(rows)
        probs = cross_validated_probabilities(model, batch, gold[rows], [corpus.documents[i] for i in rows])
        pred = model.decide(probs)
    elif mode == "zero-shot":
        unlabelled = np.full(gold.shape, UNLABELLED, dtype=np.int8)
        model.fit(corpus.batch, unlabelled)
        pred = model.predict(corpus.batch.subset(rows))
    else:
        pred = _stored_predictions(store, [corpus.segment_ids[i] for i in rows], prototypes.code_ids)
    report = classification_report(truth, pred, prototypes.code_ids)
    report.update({"mode": mode, "gold_coder": gold_coder, "documents": len({corpus.documents[i] for i in rows})})
    return report


def _stored_predictions(store: Store, segment_ids: list[int], code_ids: Sequence[str]) -> np.ndarray:
    row_of = {s: i for i, s in enumerate(segment_ids)}
    col_of = {c: j for j, c in enumerate(code_ids)}
    pred = np.zeros((len(segment_ids), len(code_ids)), dtype=bool)
    with store.read() as session:
        for segment_id, code_id in session.execute(select(Suggestion.segment_id, Suggestion.code_id)):
            if segment_id in row_of and code_id in col_of:
                pred[row_of[segment_id], col_of[code_id]] = True
    return pred
