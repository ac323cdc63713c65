"""How good are the suggestions? Per-code and averaged agreement with a coder's codings.

:func:`classification_report` compares two boolean matrices (turns x codes). :func:`evaluate` builds
them from a store: ``nested`` holds out one interview at a time and chooses every setting inside the
other interviews (``toolkit.suggest.selection``), ``cross-validated`` holds out one interview at a time
with the default settings, ``zero-shot`` uses the codebook alone, ``stored`` scores the suggestions
currently in the store, ``learning-curve`` scores after 1, 2, 4 ... coded interviews.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from sqlalchemy import select

from toolkit.errors import NotFoundError, ToolkitError
from toolkit.store.engine import Store
from toolkit.store.models import Coder, Suggestion
from toolkit.suggest.embed import Embedder, default_model_cache, select_embedder
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SegmentBatch, SuggestConfig
from toolkit.suggest.intervals import f1_intervals
from toolkit.suggest.learning_curve import DEFAULT_SIZES, learning_curve, read_curve
from toolkit.suggest.lemmas import Lemmatizer, select_lemmatizer
from toolkit.suggest.model_choice import lemmatizer_for, project_embedding_model
from toolkit.suggest.report import classification_report
from toolkit.suggest.selection import SelectionGrid, nested_predictions
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

__all__ = [
    "MODES",
    "classification_report",
    "cross_validated_decision_inputs",
    "cross_validated_probabilities",
    "cross_validated_scores",
    "evaluate",
]

MODES = ("nested", "cross-validated", "zero-shot", "stored", "learning-curve")


def cross_validated_probabilities(
    model: CodeSuggester,
    batch: SegmentBatch,
    labels: np.ndarray,
    groups: Sequence[str],
    config: SuggestConfig | None = None,
    folds: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Leave-one-group-out probabilities: each interview scored by a model fitted without it.

    ``LeaveOneGroupOut`` splits by interview; a held-out interview's labels are hidden (``UNLABELLED``)
    rather than its rows dropped, so that every fold transforms the same batch and its label-independent
    features are computed once (memoised on the batch). Each fold's model is a fresh estimator with
    ``model``'s parameters (or ``config``'s). ``folds``: split the interviews into that many groups instead
    (``GroupKFold``), one fit per group rather than one per interview, for projects with many interviews.
    To decide from them, use :func:`cross_validated_scores`.
    """
    return cross_validated_scores(model, batch, labels, groups, config, folds, on_progress)[0]


def cross_validated_scores(
    model: CodeSuggester,
    batch: SegmentBatch,
    labels: np.ndarray,
    groups: Sequence[str],
    config: SuggestConfig | None = None,
    folds: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cross_validated_probabilities` and the ranks decisions use (``CodeSuggester.decide``'s ``ranks``).

    ``on_progress(done, total)`` before the first fit and after each (a progress bar's feed). To decide from
    them, pass each turn's passage count from the model that scored it (:func:`cross_validated_decision_inputs`).
    """
    return cross_validated_decision_inputs(model, batch, labels, groups, config, folds, on_progress)[:2]


def cross_validated_decision_inputs(
    model: CodeSuggester,
    batch: SegmentBatch,
    labels: np.ndarray,
    groups: Sequence[str],
    config: SuggestConfig | None = None,
    folds: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cross_validated_scores` and each turn's passage count from its fold's model (``decide``'s three).

    Why the counts: a fitted model reads passages as long as its coded turns (``passage_sentences_now``), so
    an unfitted model's counts (from the ``passage_sentences`` setting) may not be those it scored with.
    """
    params = model.get_params(deep=False)
    if config is not None:
        params.update(asdict(config))
    labels = np.asarray(labels)
    probs = np.zeros(labels.shape, dtype=np.float64)
    ranks = np.zeros(labels.shape, dtype=np.float64)
    counts = np.ones(len(labels), dtype=np.int64)
    interviews = np.asarray(groups)
    splitter = LeaveOneGroupOut() if folds is None else GroupKFold(n_splits=min(folds, len(np.unique(interviews))))
    splits = list(splitter.split(np.zeros(len(labels)), groups=interviews))
    report = on_progress or (lambda done, total: None)
    report(0, len(splits))  # the bar shows before the first fit ends
    for done, (_, held) in enumerate(splits, start=1):
        train_labels = labels.copy()
        train_labels[held] = UNLABELLED
        fitted = type(model)(**params).fit(batch, train_labels, groups)
        fold_probs, fold_ranks = fitted.predict_proba_and_ranks(batch)  # the fitted batch: its features are reused
        probs[held], ranks[held] = fold_probs[held], fold_ranks[held]
        counts[held] = fitted.passage_counts(batch)[held]
        report(done, len(splits))
    return probs, ranks, counts


def evaluate(
    store: Store,
    gold_coder: str,
    mode: str = "nested",
    codebook: str | None = None,
    embedder: Embedder | str | None = None,
    lemmatizer: Lemmatizer | str | None = None,
    config: SuggestConfig | None = None,
    grid: SelectionGrid | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    orders: int = 5,
    folds: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Compare suggestions with ``gold_coder``'s codings over the respondent turns of the documents they coded.

    ``nested`` (the default) chooses C, the codebook prior and the threshold inside each training fold
    (``grid``); ``learning-curve`` returns scores after ``sizes`` coded interviews instead of a report.
    ``folds`` (``cross-validated`` only): that many groups of interviews instead of one per interview.
    ``on_progress(done, total)``: the fits of ``nested``, ``cross-validated`` and ``learning-curve`` as they end;
    ``progress``: the embedding model's own bar while new text is embedded.
    """
    if mode not in MODES:
        raise ToolkitError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if folds is not None and (mode != "cross-validated" or folds < 2):
        raise ToolkitError("folds needs the cross-validated mode and at least 2 (default: one per interview)")
    with store.read() as session:
        if session.scalar(select(Coder).where(Coder.name == gold_coder)) is None:
            known = ", ".join(session.scalars(select(Coder.name).order_by(Coder.name)))
            raise NotFoundError(f"unknown coder {gold_coder!r} (coders: {known or 'none'})")
    embedder = select_embedder(
        embedder if embedder is not None else project_embedding_model(store)[0],
        cache_dir=default_model_cache(store.url),
    )
    lemmatizer = select_lemmatizer(lemmatizer if lemmatizer is not None else lemmatizer_for(store))
    config = config or SuggestConfig()
    corpus = load_corpus(store, embedder, lemmatizer, progress=progress)
    prototypes, _ = build_prototypes(store, embedder, lemmatizer, codebook)
    gold = label_matrix(store, corpus, prototypes.code_ids, coders=[gold_coder])
    rows = np.where((gold != UNLABELLED).any(axis=1))[0]
    if not len(rows):
        raise ToolkitError(f"coder {gold_coder!r} has no codings on respondent turns")
    truth = gold[rows] == 1
    model = CodeSuggester.from_config(prototypes, config)
    documents = [corpus.documents[i] for i in rows]
    if mode == "learning-curve":
        curve = learning_curve(
            model, corpus.batch, gold, corpus.documents, sizes=sizes, orders=orders, on_progress=on_progress
        )
        curve.update({"mode": mode, "gold_coder": gold_coder, "n_segments": len(rows), "reading": read_curve(curve)})
        return curve
    chosen = None
    if mode == "nested":
        pred, _, chosen = nested_predictions(model, corpus.batch, gold, corpus.documents, grid, on_progress)
        pred = pred[rows]
    elif mode == "cross-validated":
        batch = corpus.batch.subset(rows)
        probs, ranks, counts = cross_validated_decision_inputs(
            model, batch, gold[rows], documents, folds=folds, on_progress=on_progress
        )
        pred = model.decide(probs, counts, ranks)
    elif mode == "zero-shot":
        unlabelled = np.full(gold.shape, UNLABELLED, dtype=np.int8)
        model.fit(corpus.batch, unlabelled)
        pred = model.predict(corpus.batch.subset(rows))
    else:
        pred = _stored_predictions(store, [corpus.segment_ids[i] for i in rows], prototypes.code_ids)
    report = classification_report(truth, pred, prototypes.code_ids)
    interviews = len(set(documents))
    report.update({"mode": mode, "gold_coder": gold_coder, "documents": interviews})
    # how far each F1 would move with other interviews of the same kind (resampling whole interviews)
    spread = f1_intervals(truth, pred, documents, prototypes.code_ids)
    report["micro_f1_interval"] = spread["micro_f1"]
    for code, interval in spread["per_code"].items():
        report["per_code"][code]["f1_interval"] = interval
    report["interval"] = {k: spread[k] for k in ("confidence", "resamples", "interviews")}
    if mode == "cross-validated":
        report["folds"] = min(folds or interviews, interviews)
    if chosen is not None:
        report["chosen_settings"] = [
            {"C": c, "prior_strength": k, "threshold": t, "folds": n} for (c, k, t), n in chosen.most_common()
        ]
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
