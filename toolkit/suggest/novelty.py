"""Interviews unlike every coded one, where the codebook's own suggestions are kept unless the model rejects them.

Why: the calibration maps are fitted on out-of-fold scores of the coded interviews, which share their author's
wording even when one is held out. On interviews written by someone else they are too cautious: trained on the
26 sample interviews and scored on the development corpus (20 interviews by another author), micro-F1 0.576
(precision 0.84, recall 0.44) against 0.677 for the codebook alone, and the held-out corpus leans the same way
(probabilities from 0.2 to 0.8 under-confident). Measured on the sample and the development corpus
(``bench/README.md``, fourteenth session), a *document* tells whether it is like the coded ones far better than
a turn does: the mean, over its turns, of each turn's mean cosine to its five nearest coded turns of other
interviews is 0.526-0.608 for the sample's own interviews, each left out, and 0.391-0.535 for the development
corpus' (per turn the same measure separates them with an AUC of only 0.79). So an uncoded interview whose
familiarity is clearly below that of the least familiar coded interview (each coded one measured against the
others, so the cut follows the project's own spread and the embedding model's scale) is *unfamiliar*, and there
the codebook's suggestion of a code stands unless the code's classifier rejects the turn (raw score under
``unfamiliar_veto``, 0.2, chosen among 0.5 / 0.3 / 0.2 / 0.1 on the development corpus with the model trained on
the sample: within 0.01 of the best and precision kept at 0.80; the table is in ``bench/README.md``). A kept
suggestion is given at least ``level``: the estimator passes the share of such suggestions applied on the coded
turns for the probability it shows, and the threshold for the rank its decisions use.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["MARGIN_SDS", "NEIGHBOURS", "familiarity", "keep_codebook_suggestions", "unfamiliar_rows"]

NEIGHBOURS = 5
"""Coded turns each turn is compared with (its nearest); not tuned."""

MARGIN_SDS = 1.0
"""How far below the least familiar coded interview (in standard deviations of the coded interviews'
familiarity) an uncoded one must fall. Chosen on the sample and the development corpus: with 0, the sample's least
familiar interview, left out, was treated as unfamiliar (leave-one-interview-out 0.838 -> 0.836); with 1, the
sample is unchanged and the development corpus' transfer gain is the same (0.576 -> 0.714)."""

MAX_REFERENCE = 2000
"""At most this many coded turns (evenly spaced) are compared with: the cost is rows x reference."""


def _unit(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


def familiarity(
    vecs: np.ndarray, groups: Sequence[object] | np.ndarray, coded: np.ndarray, neighbours: int = NEIGHBOURS
) -> dict[object, float]:
    """Per document: the mean over its turns of the mean cosine to the nearest coded turns of *other* documents."""
    groups = np.asarray(groups)
    unit = _unit(vecs)
    reference = np.where(np.asarray(coded, dtype=bool))[0]
    if len(reference) > MAX_REFERENCE:
        reference = reference[np.linspace(0, len(reference) - 1, MAX_REFERENCE).astype(np.int64)]
    out: dict[object, float] = {}
    for document in np.unique(groups):
        others = reference[groups[reference] != document]
        if not len(others):
            continue
        sims = unit[groups == document] @ unit[others].T
        k = min(neighbours, sims.shape[1])
        out[document] = float(np.partition(sims, -k, axis=1)[:, -k:].mean())
    return out


def unfamiliar_rows(
    vecs: np.ndarray, groups: Sequence[object] | np.ndarray, coded: np.ndarray, neighbours: int = NEIGHBOURS
) -> np.ndarray:
    """Rows of uncoded documents clearly less familiar than the least familiar coded document (bool per row).

    ``coded`` marks the rows with a human decision; a document is coded if any of its rows is. "Clearly": below
    the least familiar coded document by :data:`MARGIN_SDS` standard deviations of the coded documents'
    familiarity. With fewer than two coded documents nothing is unfamiliar (a coded document cannot be measured
    against the others).
    """
    groups = np.asarray(groups)
    coded = np.asarray(coded, dtype=bool)
    coded_documents = set(np.unique(groups[coded]).tolist())
    out = np.zeros(len(groups), dtype=bool)
    if len(coded_documents) < 2:
        return out
    scores = familiarity(vecs, groups, coded, neighbours)
    coded_scores = [scores[d] for d in coded_documents]
    floor = min(coded_scores) - MARGIN_SDS * float(np.std(coded_scores))
    for document, score in scores.items():
        if document not in coded_documents and score < floor:
            out[groups == document] = True
    return out


def keep_codebook_suggestions(
    probs: np.ndarray,
    codebook_fires: np.ndarray,
    learnt: np.ndarray,
    rows: np.ndarray,
    veto: float,
    threshold: float,
) -> np.ndarray:
    """``probs`` with the codebook's suggestions in ``rows`` raised to ``threshold`` unless ``learnt`` vetoes them.

    ``threshold`` is the level a kept suggestion gets at least (see the module's docstring for the two used).

    ``codebook_fires`` (turns x codes): what the codebook alone would suggest; ``learnt``: each code's raw
    classifier score, NaN for a code without a classifier (nothing can veto it). A pair is kept at
    ``max(p, threshold)`` where the codebook suggests it, the row is unfamiliar and the learnt score is not
    below ``veto``; everything else is unchanged (a copy is returned).
    """
    out = np.array(probs, dtype=np.float64, copy=True)
    if veto <= 0 or not np.asarray(rows).any():
        return out
    learnt = np.asarray(learnt, dtype=np.float64)
    standing = np.isnan(learnt) | (np.nan_to_num(learnt, nan=0.0) >= veto)
    keep = np.asarray(codebook_fires, dtype=bool) & standing & np.asarray(rows, dtype=bool)[:, None]
    out[keep] = np.maximum(out[keep], threshold)
    return out
