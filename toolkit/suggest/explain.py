"""Why a code was suggested, in one glance.

The sentence, the closest codebook example, the keywords found, the nearest turns already coded with it,
whether the probability is calibrated, how often the codebook's own suggestion of the code was applied on
coded turns (how far its codebook score is trusted), the most likely code not suggested for the turn (what
a reviewer would change the suggestion to, if not this one), whether the interview is unlike the coded ones,
and whether the answer before was about the same code (a follow-up keeps its topic, :mod:`.carry`).
"""

from __future__ import annotations

import numpy as np

from toolkit.suggest.data import CodebookPrototypes, SegmentBatch
from toolkit.suggest.evidence import CodeEvidence
from toolkit.suggest.lemmas import keyword_hits

__all__ = ["Explainer"]


class Explainer:
    """Reasons for the suggested (turn, code) pairs of a batch.

    Not a scikit-learn transformer: its output is a list of small dicts for a human reader, not features.

    Args:
        prototypes: the embedded codebook (examples and keywords are quoted).
        neighbours: how many nearest coded turns to list.
    """

    def __init__(self, prototypes: CodebookPrototypes, neighbours: int = 2) -> None:
        self.prototypes = prototypes
        self.neighbours = neighbours

    def explain(
        self,
        batch: SegmentBatch,
        chosen: np.ndarray,
        evidence: CodeEvidence,
        few_shot: np.ndarray,
        coded_vecs: np.ndarray | None = None,
        labels: np.ndarray | None = None,
        calibrated: np.ndarray | None = None,
        probs: np.ndarray | None = None,
        codebook_record: np.ndarray | None = None,
        unfamiliar: np.ndarray | None = None,
        codebook_picks: np.ndarray | None = None,
        after_topic: np.ndarray | None = None,
    ) -> list[dict[int, dict[str, object]]]:
        """For each turn, for each suggested code index: a one-glance reason.

        ``coded_vecs`` and ``labels`` are the training turns' embeddings and labels (rows aligned), from
        which the nearest already-coded turns are found; without them no neighbours are listed.
        ``calibrated`` marks codes whose probability is calibrated (default: the few-shot ones). With
        ``probs`` (turns x codes), each reason names the most likely code not suggested for its turn. With
        ``codebook_record`` (codes x 2: coded turns on which the codebook alone suggests the code, and how many
        of those were coded with it), each reason says so. ``unfamiliar`` (bool per turn) marks the turns of an
        interview unlike the coded ones, where the codebook's own suggestions were kept (:mod:`.novelty`);
        ``codebook_picks`` (turns x codes) the pairs suggested below the threshold as the codebook's own pick
        (``CodeSuggester.codebook_pick_floors``). ``after_topic`` (turns x codes): the answer before's probability of
        the code where carrying it over raised this turn's (NaN elsewhere; :mod:`.carry`).
        """
        calibrated = few_shot if calibrated is None else calibrated
        near = self._neighbours(batch, chosen, coded_vecs, labels)
        out: list[dict[int, dict[str, object]]] = []
        for i in range(len(batch)):
            reasons: dict[int, dict[str, object]] = {}
            for j in np.where(chosen[i])[0]:
                j = int(j)
                sentence_index = int(evidence.proto_sent_which[i, j])
                sentences = batch.sentence_texts[i] or [batch.texts[i]]
                examples = self.prototypes.example_texts[j]
                example = ""
                if examples and len(self.prototypes.example_vecs[j]):
                    vec = batch.sentence_vecs[i][sentence_index] if len(batch.sentence_vecs[i]) else batch.turn_vecs[i]
                    example = examples[int(np.argmax(self.prototypes.example_vecs[j] @ vec))]
                reasons[j] = {
                    "method": "few-shot" if few_shot[j] else "zero-shot",
                    "calibrated": bool(calibrated[j]),
                    "sentence": sentences[min(sentence_index, len(sentences) - 1)],
                    "example": example,
                    "example_similarity": round(float(evidence.proto_sent[i, j]), 3),
                    "keywords": keyword_hits(batch.lemmas[i], self.prototypes.keyword_lemmas[j]),
                    "neighbours": near.get((i, j), []),
                    **self._next_code(chosen[i], None if probs is None else probs[i]),
                    **self._record(codebook_record, j),
                    **({"unfamiliar_interview": True} if unfamiliar is not None and unfamiliar[i] else {}),
                    **({"codebook_pick": True} if codebook_picks is not None and codebook_picks[i, j] else {}),
                    **self._after_topic(after_topic, i, j),
                }
            out.append(reasons)
        return out

    def _next_code(self, chosen: np.ndarray, probs: np.ndarray | None) -> dict[str, object]:
        """The most probable code not suggested for the turn, and its probability (nothing without ``probs``)."""
        others = np.where(~chosen)[0]
        if probs is None or not len(others):
            return {}
        best = int(others[np.argmax(probs[others])])
        return {"next_code": self.prototypes.code_ids[best], "next_probability": round(float(probs[best]), 3)}

    @staticmethod
    def _after_topic(after_topic: np.ndarray | None, i: int, j: int) -> dict[str, object]:
        """The answer before's probability of the code, where it raised this one's (nothing otherwise)."""
        if after_topic is None or np.isnan(after_topic[i, j]):
            return {}
        return {"previous_answer_probability": round(float(after_topic[i, j]), 3)}

    @staticmethod
    def _record(codebook_record: np.ndarray | None, j: int) -> dict[str, object]:
        """How the codebook's own suggestion of code ``j`` fared on coded turns (nothing if it never made one)."""
        if codebook_record is None or not codebook_record[j, 0]:
            return {}
        return {"codebook_suggested": int(codebook_record[j, 0]), "codebook_applied": int(codebook_record[j, 1])}

    def _neighbours(
        self, batch: SegmentBatch, chosen: np.ndarray, coded_vecs: np.ndarray | None, labels: np.ndarray | None
    ) -> dict[tuple[int, int], list[dict[str, float]]]:
        """For each suggested (turn, code): the most similar turns coded with that code, one product per code."""
        if labels is None or coded_vecs is None:
            return {}
        k = self.neighbours + 1
        out: dict[tuple[int, int], list[dict[str, float]]] = {}
        for j in range(chosen.shape[1]):
            rows = np.where(chosen[:, j])[0]
            positives = np.where(labels[:, j] == 1)[0]
            if not len(rows) or not len(positives):
                continue
            sims = batch.turn_vecs[rows] @ coded_vecs[positives].T
            top = np.argsort(-sims, axis=1)[:, :k] if sims.shape[1] <= k else np.argpartition(-sims, k, axis=1)[:, :k]
            for r, row in enumerate(rows):
                best = sorted(top[r], key=lambda c: -sims[r, c])
                out[(int(row), j)] = [
                    {"row": int(positives[c]), "similarity": round(float(sims[r, c]), 3)} for c in best
                ]
        return out
