"""Estimated findings for a store: which interviews the reference coder has coded, and the model's chances.

An interview counts as **coded** when the reference coder (:func:`toolkit.analysis.frames.choose_coder`)
has a coding in it or a review decision on a suggestion in it: the notion the suggestion model already
uses (a coded interview's turns without a code are negatives, :func:`toolkit.suggest.suggestions.label_matrix`).
For the others, the suggestion model is fitted on the reference coder's codings and its turn probabilities
give each interview's chance to have a code (:mod:`toolkit.analysis.estimates`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from toolkit.analysis.estimates import estimate_shares, interview_probability, next_to_code, recalibrate
from toolkit.analysis.frames import DEFAULT_CODER, choose_coder, load_frames
from toolkit.errors import NotFoundError
from toolkit.store.engine import Store
from toolkit.store.models import MODEL_CODER, Coder, Coding, Document, Review, Segment, Suggestion
from toolkit.suggest.embed import Embedder, default_model_cache, select_embedder
from toolkit.suggest.estimator import CodeSuggester
from toolkit.suggest.evaluate import cross_validated_probabilities
from toolkit.suggest.lemmas import Lemmatizer, select_lemmatizer
from toolkit.suggest.model_choice import lemmatizer_for, project_embedding_model
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

__all__ = [
    "RECALIBRATION_FOLDS",
    "coded_documents",
    "estimate_lines",
    "estimates_document",
    "store_estimates",
    "unfamiliar_lines",
]

RECALIBRATION_FOLDS = 5  # groups of coded interviews the recalibration's held-out scores come from (store_estimates)


def coded_documents(store: Store, coder: str | None) -> list[str]:
    """Interviews with a coding or a review decision by ``coder`` (None: by any person), by name."""
    with store.read() as session:
        by_coding = select(Document.name).join(Coding, Coding.document_id == Document.id)
        by_coding = by_coding.join(Coder, Coding.coder_id == Coder.id).where(Coder.name != MODEL_CODER)
        by_review = (
            select(Document.name)
            .join(Segment, Segment.document_id == Document.id)
            .join(Suggestion, Suggestion.segment_id == Segment.id)
            .join(Review, Review.suggestion_id == Suggestion.id)
            .join(Coder, Review.reviewer_id == Coder.id)
            .where(Review.undone_at.is_(None), Coder.name != MODEL_CODER)
        )
        if coder is not None:
            by_coding = by_coding.where(Coder.name == coder)
            by_review = by_review.where(Coder.name == coder)
        names = set(session.scalars(by_coding)) | set(session.scalars(by_review))
    return sorted(names)


def store_estimates(
    store: Store,
    codes: Sequence[str] | None = None,
    *,
    coder: str | None = DEFAULT_CODER,
    level: float = 0.9,
    embedder: Embedder | str | None = None,
    lemmatizer: Lemmatizer | str | None = None,
    recalibrated: bool = True,
    recalibration_folds: int | None = RECALIBRATION_FOLDS,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The share of interviews with each code: counted where coded, estimated with an interval elsewhere.

    ``recalibrated`` (the default) maps each uncoded interview's ``1 - prod(1 - p)`` (except one unlike every coded
    interview, ``unfamiliar`` below: the curve is fitted on familiar ones) through a logistic curve
    fitted on the coded interviews' held-out scores against what the coder found
    (:func:`toolkit.analysis.estimates.recalibrate`): on the sample (bench/bench_estimates.py) the raw
    score ran high by 0.7 interviews of 13 on average and its 90 % interval held the truth 93 % of the time;
    recalibrated, 0.0 and 93 %. The held-out scores come from ``recalibration_folds`` groups of coded interviews
    (one model fit per group, at the evidence weight the full fit chose; None: one fit per interview): on the
    same splits 5 groups held the truth as often (28 of 30) with a mean error of 0.67 interviews against 0.66
    for one fit per interview, each choosing its own weight as before, and the estimate took 5 s instead of 17
    (``on_progress(done, total)`` after each fit, for a progress bar).

    Returns:
        ``coder`` (whose codings count, and why), ``level``, ``recalibrated``, ``coded`` and ``uncoded``
        (interview names), ``estimates`` (a frame with :data:`toolkit.analysis.estimates.ESTIMATE_COLUMNS`),
        ``interviews`` (uncoded interview x code chances), ``next`` (the interview to code next, or None) and
        ``unfamiliar`` (uncoded interviews unlike every coded one, :mod:`toolkit.suggest.novelty`: their
        chances rest on the codebook's suggestions more than on the coding, and are less sure than shown; they are
        not recalibrated: on the development corpus, 19 of its 20 interviews unlike the coded sample, the
        recalibrated estimates ran 1.7 interviews low per code on average, left as they are 0.3 high;
        ``bench/README.md``).

    Raises:
        NotFoundError: a code not in the codebook.
    """
    choice = choose_coder(store, coder)
    codings, cases = load_frames(store, coder)
    done = coded_documents(store, choice.coder)
    all_documents = sorted(cases["document"].astype(str))
    uncoded = [d for d in all_documents if d not in set(done)]
    embedder = select_embedder(
        embedder if embedder is not None else project_embedding_model(store)[0],
        cache_dir=default_model_cache(store.url),
    )
    lemmatizer = select_lemmatizer(lemmatizer if lemmatizer is not None else lemmatizer_for(store))
    prototypes, _ = build_prototypes(store, embedder, lemmatizer)
    known = list(prototypes.code_ids)
    wanted = list(codes) if codes else known
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise NotFoundError(f"unknown code {unknown[0]!r}; codes: {', '.join(known)}")
    rows: list[dict[str, Any]] = []
    calibrated: list[str] = []
    unfamiliar: list[str] = []
    if uncoded:
        corpus = load_corpus(store, embedder, lemmatizer)
        labels = label_matrix(store, corpus, known, coders=[choice.coder] if choice.coder else None)
        model = CodeSuggester(prototypes).fit(corpus.batch, labels, corpus.documents)
        calibrated = [c for c, ok in zip(known, model.calibrated_, strict=True) if ok]
        pending = [i for i, d in enumerate(corpus.documents) if d in set(uncoded)]
        # the fitted batch, as `qda suggest` scores it: the unfamiliar-interview rule applies to it alone
        probs = model.predict_proba(corpus.batch)[np.asarray(pending, dtype=int)] if pending else None
        unfamiliar = sorted({corpus.documents[i] for i in np.where(model.unfamiliar_turns())[0]})
        for document in uncoded:
            turns = [k for k, i in enumerate(pending) if corpus.documents[i] == document]
            for code in wanted:
                column = known.index(code)
                chances: list[float] = probs[turns, column].tolist() if probs is not None and turns else []
                rows.append({"document": document, "code": code, "probability": interview_probability(chances)})
        # not an interview unlike the coded ones: the curve is fitted on coded interviews, each scored as a familiar
        # one is, while an unlike one's chances rest on the codebook's kept suggestions (toolkit.suggest.novelty)
        unlike = set(unfamiliar)
        familiar = [r for r in rows if r["document"] not in unlike]
        if recalibrated and familiar:
            # the held-out fits use the evidence weight the full fit chose: one fit each instead of one per weight
            template = CodeSuggester(prototypes).set_params(evidence_weight=model.evidence_weight_)
            scores, truth = _held_out_interview_scores(
                corpus, labels, template, set(done), recalibration_folds, on_progress
            )
            mapped = recalibrate(scores, truth, [r["probability"] for r in familiar])
            for row, value in zip(familiar, mapped, strict=True):
                row["probability"] = float(value)
    interviews = pd.DataFrame(rows, columns=["document", "code", "probability"])
    if not uncoded:
        interviews = pd.DataFrame({"document": pd.Series(dtype=object), "code": [], "probability": []})
    estimates = estimate_shares(
        codings, done, _with_all(interviews, uncoded, wanted), wanted, calibrated=calibrated, level=level
    )
    return {
        "coder": choice.describe(),
        "level": level,
        "recalibrated": recalibrated,
        "coded": done,
        "uncoded": uncoded,
        "unfamiliar": unfamiliar,
        "estimates": estimates,
        "interviews": interviews,
        "next": next_to_code(interviews, wanted),
    }


def _held_out_interview_scores(
    corpus: Any,
    labels: np.ndarray,
    template: CodeSuggester,
    coded: set[str],
    folds: int | None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[float], list[int]]:
    """Coded interviews scored by models fitted without them, with the truth.

    ``folds`` groups of interviews (one fit per group), or one fit per interview (None, or as many as there are).
    """
    rows = np.asarray([i for i, d in enumerate(corpus.documents) if d in coded], dtype=int)
    if len(set(corpus.documents[i] for i in rows)) < 3:
        return [], []
    documents = [corpus.documents[i] for i in rows]
    folds = folds if folds and folds < len(set(documents)) else None
    held = cross_validated_probabilities(
        template, corpus.batch.subset(rows), labels[rows], documents, folds=folds, on_progress=on_progress
    )
    scores, truth = [], []
    for document in sorted(set(documents)):
        mine = [k for k, d in enumerate(documents) if d == document]
        for column in range(labels.shape[1]):
            scores.append(interview_probability(held[mine, column].tolist()))
            truth.append(int((labels[rows[mine], column] == 1).any()))
    return scores, truth


def _with_all(interviews: pd.DataFrame, uncoded: list[str], codes: list[str]) -> pd.DataFrame:
    """Every uncoded interview appears, even one without turns (chance 0), so counts of interviews add up."""
    present = set(interviews["document"].astype(str))
    extra = [{"document": d, "code": c, "probability": 0.0} for d in uncoded if d not in present for c in codes]
    return pd.concat([interviews, pd.DataFrame(extra, columns=interviews.columns)]) if extra else interviews


def estimates_document(result: dict[str, Any]) -> dict[str, Any]:
    """:func:`store_estimates` as plain JSON values (``qda estimate --json``)."""
    table = result["estimates"]
    return {
        "coder": result["coder"],
        "level": result["level"],
        "recalibrated": result["recalibrated"],
        "coded": result["coded"],
        "uncoded": result["uncoded"],
        "unfamiliar": result.get("unfamiliar", []),
        "next": result["next"],
        "estimates": [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in table.to_dict("records")
        ],
    }


def estimate_lines(result: dict[str, Any]) -> list[str]:
    """The estimates as text lines, every estimated figure labelled as an estimate."""
    table = result["estimates"]
    n_coded, n_uncoded = len(result["coded"]), len(result["uncoded"])
    level = f"{result['level'] * 100:.0f} %"
    lines = [
        f"counting {result['coder']}",
        f"coded so far: {n_coded} of {n_coded + n_uncoded} interviews; {n_uncoded} uncoded",
    ]
    if not n_uncoded:
        lines.append("every interview is coded: the figures are counts, nothing is estimated")
    lines.append(f"{'code':30} {'coded so far':>14} {'estimate, uncoded':>22} {'share (estimate)':>24}")
    for row in table.itertuples(index=False):
        mark = "" if row.calibrated else " *"
        estimated = f"{row.expected:.1f} [{row.low}-{row.high}]" if n_uncoded else "-"
        share = f"{row.share:.0%} [{row.share_low:.0%}-{row.share_high:.0%}]" if n_coded + n_uncoded else "-"
        lines.append(f"{row.code + mark:30} {f'{row.coded_with} of {row.coded}':>14} {estimated:>22} {share:>24}")
    if n_uncoded:
        lines.append(
            f"ESTIMATES for the uncoded interviews from the model's probabilities"
            f"{' (recalibrated on the coded interviews)' if result.get('recalibrated') else ''}, {level} intervals; "
            "* = zero-shot code, probabilities not calibrated"
        )
        lines.append(f"code next: {result['next']} (narrows these estimates most)")
    lines.extend(unfamiliar_lines(result.get("unfamiliar", []), n_uncoded))
    return lines


def unfamiliar_lines(unfamiliar: Sequence[str], n_uncoded: int) -> list[str]:
    """What to tell a researcher about uncoded interviews unlike the coded ones (none: nothing).

    Why: their estimates come from a model that has not seen such wording; the suggestion model keeps the
    codebook's own suggestions there, and coding one of them is what teaches it.
    """
    if not unfamiliar:
        return []
    names = ", ".join(unfamiliar[:10]) + (f" and {len(unfamiliar) - 10} more" if len(unfamiliar) > 10 else "")
    return [
        f"unlike the coded interviews: {len(unfamiliar)} of {n_uncoded} uncoded ({names}); their figures lean on the "
        "codebook's own suggestions, and the model's chances were calibrated on interviews unlike them: coding "
        "one of them teaches the model their wording"
    ]
