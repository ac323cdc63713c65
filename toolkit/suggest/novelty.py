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
suggestion is given at least ``level``: the estimator passes :func:`kept_share` for the probability it shows, and
the threshold for the rank its decisions use.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "MARGIN_SDS",
    "NEIGHBOURS",
    "VETO_GAIN_CARRIED",
    "familiarity",
    "keep_codebook_suggestions",
    "kept_share",
    "unfamiliar_rows",
]

NEIGHBOURS = 5
"""Coded turns each turn is compared with (its nearest); not tuned."""

MARGIN_SDS = 1.0
"""How far below the least familiar coded interview (in standard deviations of the coded interviews'
familiarity) an uncoded one must fall. Chosen on the sample and the development corpus: with 0, the sample's least
familiar interview, left out, was treated as unfamiliar (leave-one-interview-out 0.838 -> 0.836); with 1, the
sample is unchanged and the development corpus' transfer gain is the same (0.576 -> 0.714)."""

VETO_GAIN_CARRIED = 0.2
"""How much of the veto's gain in precision, measured out of fold on the coded interviews, a kept suggestion keeps in
an unfamiliar one (:func:`kept_share`). Chosen on transfer settings, none held out (``bench/README.md``,
thirty-first session): the development corpus trained on the sample (the codebook's plain share on the coded turns
0.563, the vetoed share 0.864, the kept pairs applied 0.727 of the time) and the Russian development corpus
trained on the English, Russian or both samples (plain 0.566 / 0.610 / 0.587, vetoed 0.876 / 0.895 / 0.868,
applied 0.596 / 0.667 / 0.595). Among 0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.7 and 1 (the vetoed share alone,
as before), 0.2 has the lowest log-loss over every (turn, code) pair, the two corpora weighted alike (the Russian
one's three settings averaged): each corpus alone prefers 0.4 and 0. Every value below 1 lowers the log-loss of
all four settings."""

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


def kept_share(plain: float | None, vetoed: float | None, carried: float = VETO_GAIN_CARRIED) -> float | None:
    """The probability shown for a codebook suggestion kept in an unfamiliar interview (None: nothing measured).

    ``plain``: the share of the codebook's own suggestions that people applied on the coded turns; ``vetoed``: the
    same share counting only those the classifiers' out-of-fold scores would not veto. Why not ``vetoed`` alone:
    out of fold the classifiers still know the coded interviews' authors, so their veto is sharper there than in an
    interview unlike them; shown at ``vetoed`` the kept pairs were applied 0.14-0.28 less often than shown, in
    every transfer setting measured. So the share moves from ``plain`` towards ``vetoed`` by ``carried`` of the way.
    """
    if plain is None or vetoed is None:
        return vetoed if plain is None else plain
    return plain + carried * (vetoed - plain)


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
