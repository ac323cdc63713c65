"""How far the learnt classifiers lean on the codebook's evidence, chosen on the coded interviews themselves.

The few-shot features hold a block of codebook evidence (:class:`toolkit.suggest.features.CodebookEvidence`),
and each trained code's learnt score is then blended with the codebook's own score (``BlendMap``). Scaling the
block down makes the L2-penalised classifiers lean more on the coded turns' own words, so that the learnt score
adds to the codebook's instead of repeating it. That paid on some corpora and cost on others (leave-one-
interview-out at weight 0.5 against 1.0: English sample 0.841 -> 0.852, English development corpus
0.768 -> 0.796, Russian development corpus 0.728 -> 0.714; ``bench/README.md``, twenty-third session), so no
one weight is right for every project: each fit tries the candidates and keeps the one whose blended,
calibrated probabilities had the lowest log-loss out of fold on its coded interviews, with no look at the
turns it will score. The classifiers' raw out-of-fold scores did not tell the weights apart (lower log-loss
at 1.0 on both English corpora, though 0.5 was better blended).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import log_loss

from toolkit.suggest.calibration import BlendMap

__all__ = ["EVIDENCE_WEIGHTS", "blended_log_loss"]

EVIDENCE_WEIGHTS = (0.5, 1.0)
"""The candidates; 1.0 (the codebook's evidence at full weight) stands where none can be scored."""


def blended_log_loss(
    blend: BlendMap | None, oof: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
) -> float | None:
    """Log-loss of the blended probabilities on the out-of-fold (learnt, codebook, count, truth) quadruples.

    None where there is nothing to score: no blend map (one coded interview, no trained code, no prior).
    """
    if blend is None or oof is None:
        return None
    learnt, codebook, counts, truth = oof
    return float(log_loss(truth, blend.transform(learnt, codebook, counts), labels=[False, True]))
