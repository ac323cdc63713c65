"""How good are the suggestions? Per-code and averaged agreement with a coder's codings.

:func:`classification_report` compares two boolean matrices (turns x codes). :func:`evaluate` builds
them from a store: ``cross-validated`` holds out one interview at a time (the model never sees the
interview it is scored on), ``zero-shot`` uses the codebook alone, ``stored`` scores the suggestions
currently in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import select

from toolkit.embed import Embedder, select_embedder
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.lemmas import Lemmatizer, select_lemmatizer
from toolkit.model import Coder, Suggestion
from toolkit.store import Store
from toolkit.suggest import UNLABELLED, CodeSuggester, SuggestConfig
from toolkit.suggestions import build_prototypes, label_matrix, load_corpus

__all__ = ["MODES", "classification_report", "cohen_kappa_binary", "cross_validated_probabilities", "evaluate"]

MODES = ("cross-validated", "zero-shot", "stored")


def cohen_kappa_binary(truth: np.ndarray, pred: np.ndarray) -> float:
    """Cohen's kappa of two binary vectors; 1.0 when both are constant and equal, 0.0 when chance explains all."""
    truth = truth.astype(bool)
    pred = pred.astype(bool)
    n = len(truth)
    if n == 0:
        return float("nan")
    observed = float(np.mean(truth == pred))
    p_truth, p_pred = truth.mean(), pred.mean()
    expected = p_truth * p_pred + (1 - p_truth) * (1 - p_pred)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return float((observed - expected) / (1 - expected))


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def classification_report(truth: np.ndarray, pred: np.ndarray, code_ids: Sequence[str]) -> dict[str, Any]:
    """Per-code precision, recall, F1, support and kappa; micro and macro averages (as scikit-learn).

    Macro averages run over codes with support or predictions (a code absent from both is left out).
    """
    truth = np.asarray(truth, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    per_code: dict[str, dict[str, float]] = {}
    tps = fps = fns = 0
    macro = []
    for j, code in enumerate(code_ids):
        tp = float(np.sum(truth[:, j] & pred[:, j]))
        fp = float(np.sum(~truth[:, j] & pred[:, j]))
        fn = float(np.sum(truth[:, j] & ~pred[:, j]))
        precision, recall, f1 = _prf(tp, fp, fn)
        per_code[code] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": int(truth[:, j].sum()),
            "predicted": int(pred[:, j].sum()),
            "kappa": round(cohen_kappa_binary(truth[:, j], pred[:, j]), 4),
        }
        tps, fps, fns = tps + tp, fps + fp, fns + fn
        if truth[:, j].any() or pred[:, j].any():
            macro.append((precision, recall, f1))
    micro_p, micro_r, micro_f1 = _prf(tps, fps, fns)
    macro_arr = np.array(macro) if macro else np.zeros((1, 3))
    return {
        "n_segments": int(truth.shape[0]),
        "micro_precision": round(micro_p, 4),
        "micro_recall": round(micro_r, 4),
        "micro_f1": round(micro_f1, 4),
        "macro_precision": round(float(macro_arr[:, 0].mean()), 4),
        "macro_recall": round(float(macro_arr[:, 1].mean()), 4),
        "macro_f1": round(float(macro_arr[:, 2].mean()), 4),
        "per_code": per_code,
    }


def cross_validated_probabilities(
    model: CodeSuggester, batch, labels: np.ndarray, groups: Sequence[str], config: SuggestConfig | None = None
) -> np.ndarray:
    """Leave-one-group-out probabilities: each interview scored by a model fitted without it."""
    groups = np.asarray(groups)
    probs = np.zeros(labels.shape, dtype=np.float64)
    evidence = None  # label-independent: computed by the first fold, reused by the others
    for group in dict.fromkeys(groups):
        held = groups == group
        train_labels = labels.copy()
        train_labels[held] = UNLABELLED
        fitted = CodeSuggester(model.prototypes, config or model.config).fit(batch, train_labels, evidence)
        evidence = fitted.evidence_
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
    embedder = select_embedder(embedder)
    lemmatizer = select_lemmatizer(lemmatizer)
    config = config or SuggestConfig()
    corpus = load_corpus(store, embedder, lemmatizer)
    prototypes, _ = build_prototypes(store, embedder, lemmatizer, codebook)
    gold = label_matrix(store, corpus, prototypes.code_ids, coders=[gold_coder])
    rows = np.where((gold != UNLABELLED).any(axis=1))[0]
    if not len(rows):
        raise ToolkitError(f"coder {gold_coder!r} has no codings on respondent turns")
    truth = gold[rows] == 1
    model = CodeSuggester(prototypes, config)
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
