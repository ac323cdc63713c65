"""Zero-shot scores from the codebook alone, for codes nobody has applied (yet).

How far a turn stands out for a code among all turns: the z-scores (``StandardScaler`` over every turn,
labelled or not) of best sentence-to-example similarity, keyword hits, question-to-definition similarity
and the codebook-example classifier's value, summed, and squashed to (0, 1) around ``z``. An answer that opens
with "no" to a question about a code whose examples affirm it ("Did you check the employer?" "No. I did not
check anything.") is held under the cut for that code: the question and the answer's words ("check",
"hotline") would otherwise suggest it. These scores are
*not* calibrated; once turns are coded the suggester maps them to chances (``toolkit.suggest.calibration``),
and every explanation says which.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.preprocessing import StandardScaler

from toolkit.suggest.evidence import QUESTION_SOURCE, ZERO_SHOT_SOURCES, CodeEvidence

__all__ = ["QUESTION_ABOUT_CODE_Z", "ZeroShotScorer"]

# the question is about a code when its similarity to the code's definition stands this many standard
# deviations above the turns' mean (not tuned: 1.0 and 1.5 gave the sample and development corpora the same
# zero-shot F1 within 0.002, 0.5 cost the development corpus 0.010)
QUESTION_ABOUT_CODE_Z = 1.0


class ZeroShotScorer(BaseEstimator):
    """Score codes from codebook evidence without labels.

    Not a transformer of a :class:`SegmentBatch`: it reads the :class:`CodeEvidence` the suggester has
    already computed for the batch, so that evidence is computed once for both modes and the explanation.

    Args:
        z: combined z-score at which the probability is 0.5.
        slope: steepness of the logistic squash.
    """

    def __init__(self, z: float = 2.0, slope: float = 2.0) -> None:
        self.z = z
        self.slope = slope

    def fit(self, evidence: CodeEvidence) -> ZeroShotScorer:
        """Learn each evidence column's mean and spread over all turns (labels play no part)."""
        raw = evidence.zero_shot_raw()
        self.n_codes_ = raw.shape[1] // ZERO_SHOT_SOURCES
        self.scaler_ = StandardScaler().fit(raw)
        return self

    def predict_proba(self, evidence: CodeEvidence) -> np.ndarray:
        """Rows x codes in (0, 1)."""
        z = self.scaler_.transform(evidence.zero_shot_raw())
        sources = z.reshape(len(z), ZERO_SHOT_SOURCES, self.n_codes_)
        combined = sources.sum(axis=1) / np.sqrt(ZERO_SHOT_SOURCES)
        asked = sources[:, QUESTION_SOURCE, :] >= QUESTION_ABOUT_CODE_Z
        denied = evidence.denied[:, None] & evidence.affirmative[None, :] & asked
        combined = np.where(denied, np.minimum(combined, self.z - 1.0), combined)  # at most 0.12 with slope 2
        return 1.0 / (1.0 + np.exp(-self.slope * (combined - self.z)))
