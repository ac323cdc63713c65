"""The code-suggestion model: scikit-learn style, pure (no store, no files).

How a suggestion is made, and why (numbers in ``bench/README.md``):

* Each respondent turn is described by what a human coder looks at: the turn's embedding, the
  interviewer's question before it, its sentences (a code is often carried by one sentence of a long
  turn: element-wise max over sentence embeddings, and each sentence's best match to a code's examples
  and definition), TF-IDF over lemmas with negation marked ("NOT_check"), codebook keywords found, and the
  question's similarity to each code's definition.
* **Few-shot** (a code with at least ``min_positives`` labelled turns): one-vs-rest logistic regression
  on all of that, class-balanced; its probabilities are calibrated on held-out interviews by
  construction of the bench (reliability is measured there and tested).
* **Zero-shot** (a code nobody has applied yet): how far the turn stands out for the code among all
  turns, as a z-score of sentence-to-example similarity + keyword hits + question-to-definition
  similarity, squashed to (0, 1) around ``zero_shot_z``. These probabilities are *not* calibrated.
* Decisions: probability >= ``threshold``; at most ``max_per_group`` codes of one group (from the
  codebook, e.g. one recruitment method per turn) and ``max_codes`` per turn; turns under two words get
  no confident suggestion.

Use :class:`CodeSuggester` with a :class:`SegmentBatch` and :class:`CodebookPrototypes`;
``toolkit.suggestions`` builds those from a store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from toolkit.errors import ConfigError
from toolkit.lemmas import keyword_hits
from toolkit.linear import BalancedLogisticRegression, TfidfFeaturizer

__all__ = [
    "UNLABELLED",
    "CodeSuggester",
    "CodebookPrototypes",
    "SegmentBatch",
    "SuggestConfig",
]

UNLABELLED = -1
_MIN_WORDS = 2
_SHORT_CAP = 0.2


@dataclass(frozen=True)
class SuggestConfig:
    """Settings of the suggestion model; validated on creation."""

    C: float = 5.0
    threshold: float = 0.5
    max_codes: int = 3
    min_positives: int = 2
    zero_shot_z: float = 2.0
    zero_shot_slope: float = 2.0
    zero_shot_max_codes: int = 1
    max_iter: int = 500
    neighbours: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"the threshold is a probability strictly between 0 and 1, not {self.threshold}")
        if self.C <= 0 or self.max_codes < 1 or self.min_positives < 1:
            raise ConfigError("C must be > 0, max_codes and min_positives >= 1")


@dataclass
class SegmentBatch:
    """The turns to learn from or to score, with everything the features need, row-aligned.

    ``sentence_vecs[i]`` holds the embeddings of turn i's sentences (may be empty: the turn vector is used).
    """

    texts: list[str]
    questions: list[str]
    turn_vecs: np.ndarray
    question_vecs: np.ndarray
    sentence_vecs: list[np.ndarray]
    sentence_texts: list[list[str]]
    lemmas: list[str]
    question_lemmas: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows: Sequence[int] | np.ndarray) -> SegmentBatch:
        """The same batch restricted to some rows, in that order."""
        idx = list(map(int, rows))
        return SegmentBatch(
            texts=[self.texts[i] for i in idx],
            questions=[self.questions[i] for i in idx],
            turn_vecs=self.turn_vecs[idx],
            question_vecs=self.question_vecs[idx],
            sentence_vecs=[self.sentence_vecs[i] for i in idx],
            sentence_texts=[self.sentence_texts[i] for i in idx],
            lemmas=[self.lemmas[i] for i in idx],
            question_lemmas=[self.question_lemmas[i] for i in idx],
        )


@dataclass
class CodebookPrototypes:
    """What the codebook says about each code, embedded: examples, definition (+ inclusion), keywords."""

    code_ids: list[str]
    groups: list[str]
    example_texts: list[list[str]]
    example_vecs: list[np.ndarray]
    definition_vecs: np.ndarray
    keyword_lemmas: list[list[str]]
    max_per_group: dict[str, int] = field(default_factory=dict)


def _max_sentence_vectors(batch: SegmentBatch) -> np.ndarray:
    out = np.array(batch.turn_vecs, dtype=np.float32, copy=True)
    for i, vecs in enumerate(batch.sentence_vecs):
        if len(vecs):
            out[i] = np.max(vecs, axis=0)
    return out


def _sentence_max_similarity(batch: SegmentBatch, targets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per turn and code: best similarity of any sentence to any target vector, and which sentence.

    Vectorised: one matrix product of all sentences against all targets, then maxima per code and turn.
    """
    n, k = len(batch), len(targets)
    groups = [vecs if len(vecs) else batch.turn_vecs[i : i + 1] for i, vecs in enumerate(batch.sentence_vecs)]
    counts = np.array([len(g) for g in groups])
    sentences = np.vstack(groups) if n else np.zeros((0, batch.turn_vecs.shape[1]), dtype=np.float32)
    sizes = np.array([len(t) for t in targets])
    best = np.full((n, k), -1.0, dtype=np.float32)
    which = np.zeros((n, k), dtype=np.int32)
    if not n or not sizes.sum():
        return best, which
    sims = sentences @ np.vstack([t for t in targets if len(t)]).T
    per_code = np.full((len(sentences), k), -1.0, dtype=np.float32)
    column = 0
    for j, size in enumerate(sizes):
        if size:
            per_code[:, j] = sims[:, column : column + size].max(axis=1)
            column += size
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    best = np.maximum.reduceat(per_code, starts, axis=0)
    for i, (start, count) in enumerate(zip(starts, counts, strict=True)):
        which[i] = np.argmax(per_code[start : start + count], axis=0)
    best[:, sizes == 0] = -1.0
    return best, which


def _keyword_counts(lemmas: list[str], keywords: list[list[str]]) -> np.ndarray:
    out = np.zeros((len(lemmas), len(keywords)), dtype=np.float32)
    for i, text in enumerate(lemmas):
        for j, words in enumerate(keywords):
            out[i, j] = len(keyword_hits(text, words))
    return np.log1p(out)


@dataclass
class _CodeEvidence:
    """Similarity and keyword evidence of every turn for every code (shared by both modes)."""

    proto_turn: np.ndarray
    proto_sent: np.ndarray
    proto_sent_which: np.ndarray
    def_turn: np.ndarray
    def_sent: np.ndarray
    def_question: np.ndarray
    kw_turn: np.ndarray
    kw_question: np.ndarray

    def dense(self) -> np.ndarray:
        return np.hstack(
            [
                self.proto_turn,
                self.def_turn,
                self.def_question,
                self.kw_turn,
                self.kw_question,
                self.proto_sent,
                self.def_sent,
            ]
        )

    def zero_shot_raw(self) -> np.ndarray:
        return np.stack([self.proto_sent, self.kw_turn, self.def_question])


def _evidence(batch: SegmentBatch, protos: CodebookPrototypes) -> _CodeEvidence:
    definitions = [protos.definition_vecs[j : j + 1] for j in range(len(protos.code_ids))]
    proto_sent, which = _sentence_max_similarity(batch, protos.example_vecs)
    def_sent, _ = _sentence_max_similarity(batch, definitions)
    proto_turn = np.stack(
        [
            (batch.turn_vecs @ e.T).max(axis=1) if len(e) else np.zeros(len(batch), dtype=np.float32)
            for e in protos.example_vecs
        ],
        axis=1,
    )
    return _CodeEvidence(
        proto_turn=proto_turn,
        proto_sent=proto_sent,
        proto_sent_which=which,
        def_turn=batch.turn_vecs @ protos.definition_vecs.T,
        def_sent=def_sent,
        def_question=batch.question_vecs @ protos.definition_vecs.T,
        kw_turn=_keyword_counts(batch.lemmas, protos.keyword_lemmas),
        kw_question=_keyword_counts(batch.question_lemmas, protos.keyword_lemmas),
    )


class CodeSuggester:
    """Suggest codes for respondent turns; ``fit`` learns from labels, ``predict_proba`` scores.

    Labels are a matrix (turns x codes) of 1 (coded), 0 (not coded, or a rejected suggestion) and
    ``UNLABELLED`` (-1, nobody looked). Codes with too few positives fall back to zero-shot.

    Example:
        >>> model = CodeSuggester(prototypes).fit(batch, labels)  # doctest: +SKIP
        >>> model.predict(batch)[:2]  # doctest: +SKIP
    """

    def __init__(self, prototypes: CodebookPrototypes, config: SuggestConfig | None = None) -> None:
        self.prototypes = prototypes
        self.config = config or SuggestConfig()

    # ------------------------------------------------------------------ features
    def _features(self, batch: SegmentBatch, evidence: _CodeEvidence) -> sp.csr_matrix:
        return sp.hstack(
            [
                self.turn_vectorizer_.transform(batch.lemmas),
                self.question_vectorizer_.transform(batch.question_lemmas),
                sp.csr_matrix(batch.turn_vecs),
                sp.csr_matrix(batch.question_vecs),
                sp.csr_matrix(evidence.dense()),
                sp.csr_matrix(_max_sentence_vectors(batch)),
            ]
        ).tocsr()

    # ------------------------------------------------------------------ learning
    def fit(self, batch: SegmentBatch, labels: np.ndarray, evidence: _CodeEvidence | None = None) -> CodeSuggester:
        """Learn from labelled rows; all rows (labelled or not) set the zero-shot reference statistics.

        ``evidence`` (another fit's ``evidence_`` on the same batch) skips recomputing what does not
        depend on labels, as cross-validation folds do.
        """
        labels = np.asarray(labels)
        n_codes = len(self.prototypes.code_ids)
        if labels.shape != (len(batch), n_codes):
            raise ValueError(f"labels must have shape {(len(batch), n_codes)}, got {labels.shape}")
        evidence = evidence if evidence is not None else _evidence(batch, self.prototypes)
        self.evidence_ = evidence
        raw = evidence.zero_shot_raw()
        self.zs_mean_ = raw.mean(axis=1, keepdims=True)
        self.zs_std_ = raw.std(axis=1, keepdims=True) + 1e-6
        labelled = np.where((labels != UNLABELLED).any(axis=1))[0]
        vectorizer_rows = labelled if len(labelled) else np.arange(len(batch))
        self.turn_vectorizer_ = self._vectorizer().fit([batch.lemmas[i] for i in vectorizer_rows] or ["empty"])
        self.question_vectorizer_ = self._vectorizer().fit(
            [batch.question_lemmas[i] for i in vectorizer_rows] or ["empty"]
        )
        self.X_ = self._features(batch, evidence)
        self.labels_ = labels.copy()
        self.batch_ = batch
        n_features = self.X_.shape[1]
        self.coef_ = np.zeros((n_features, n_codes))
        self.intercept_ = np.zeros(n_codes)
        self.trained_ = np.zeros(n_codes, dtype=bool)
        self._fit_codes(list(range(n_codes)))
        return self

    @staticmethod
    def _vectorizer() -> TfidfFeaturizer:
        return TfidfFeaturizer(min_df=2, ngram_max=2)

    def _fit_codes(self, columns: list[int]) -> None:
        """Fit the listed codes together; codes with too few positives (or no negatives) stay zero-shot."""
        trainable = []
        for j in columns:
            column = self.labels_[:, j]
            known = column != UNLABELLED
            enough = (column[known] == 1).sum() >= self.config.min_positives and (column[known] == 0).sum() >= 1
            self.trained_[j] = bool(enough)
            if enough:
                trainable.append(j)
        if not trainable:
            return
        labels = self.labels_[:, trainable]
        model = BalancedLogisticRegression(C=self.config.C, max_iter=self.config.max_iter).fit(
            self.X_, labels == 1, mask=labels != UNLABELLED
        )
        self.coef_[:, trainable] = model.coef_
        self.intercept_[trainable] = model.intercept_

    def refit_codes(self, updates: Sequence[tuple[int, int, int]]) -> CodeSuggester:
        """Apply (row, code index, label) updates from review decisions and refit only those codes.

        The vocabulary and features of the last ``fit`` are reused, so one decision costs one small fit.
        """
        touched = set()
        for row, j, label in updates:
            self.labels_[row, j] = label
            touched.add(j)
        self._fit_codes(sorted(touched))
        return self

    @property
    def few_shot_codes_(self) -> list[str]:
        """Codes scored by a trained classifier (the others are zero-shot)."""
        return [c for c, trained in zip(self.prototypes.code_ids, self.trained_, strict=True) if trained]

    # ------------------------------------------------------------------ scoring
    def _zero_shot(self, evidence: _CodeEvidence) -> np.ndarray:
        z = (evidence.zero_shot_raw() - self.zs_mean_) / self.zs_std_
        combined = z.sum(axis=0) / np.sqrt(z.shape[0])
        return 1.0 / (1.0 + np.exp(-self.config.zero_shot_slope * (combined - self.config.zero_shot_z)))

    def predict_proba(self, batch: SegmentBatch) -> np.ndarray:
        """Probabilities (turns x codes) in [0, 1]."""
        probs, _ = self._score(batch)
        return probs

    def _score(self, batch: SegmentBatch) -> tuple[np.ndarray, _CodeEvidence]:
        same = batch is getattr(self, "batch_", None)  # scoring the batch we learned from: reuse its features
        evidence = self._evidence_for(batch)
        probs = self._zero_shot(evidence)
        if self.trained_.any():
            X = self.X_ if same else self._features(batch, evidence)
            logits = np.asarray(X @ self.coef_[:, self.trained_]) + self.intercept_[self.trained_]
            probs[:, self.trained_] = 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
        short = np.array([len(t.split()) < _MIN_WORDS for t in batch.texts])
        probs[short] = np.minimum(probs[short], _SHORT_CAP)
        return np.clip(probs, 0.0, 1.0), evidence

    def _evidence_for(self, batch: SegmentBatch) -> _CodeEvidence:
        return self.evidence_ if batch is getattr(self, "batch_", None) else _evidence(batch, self.prototypes)

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Boolean matrix of suggested codes: threshold, then the per-group and per-turn limits."""
        chosen = self._limit_zero_shot(probs >= self.config.threshold, probs)
        groups = self.prototypes.groups
        for i in range(len(probs)):
            on = [j for j in np.argsort(-probs[i]) if chosen[i, j]]
            per_group: dict[str, int] = {}
            keep = []
            for j in on:
                group = groups[j]
                limit = self.prototypes.max_per_group.get(group, self.config.max_codes)
                if per_group.get(group, 0) < limit and len(keep) < self.config.max_codes:
                    keep.append(j)
                    per_group[group] = per_group.get(group, 0) + 1
            chosen[i] = False
            chosen[i, keep] = True
        return chosen

    def _limit_zero_shot(self, chosen: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Zero-shot scores are rough: keep only the strongest ``zero_shot_max_codes`` of them per turn."""
        zero_shot = ~getattr(self, "trained_", np.ones(chosen.shape[1], dtype=bool))
        if not zero_shot.any():
            return chosen
        for i in range(len(chosen)):
            on = [j for j in np.argsort(-probs[i]) if chosen[i, j] and zero_shot[j]]
            for j in on[self.config.zero_shot_max_codes :]:
                chosen[i, j] = False
        return chosen

    def predict(self, batch: SegmentBatch) -> np.ndarray:
        """Boolean matrix of suggested codes."""
        return self.decide(self.predict_proba(batch))

    # ------------------------------------------------------------------ explanation
    def _neighbours(self, batch: SegmentBatch, chosen: np.ndarray) -> dict[tuple[int, int], list[dict[str, float]]]:
        """For each suggested (turn, code): the most similar turns coded with that code, one product per code."""
        labels = getattr(self, "labels_", None)
        if labels is None:
            return {}
        k = self.config.neighbours + 1
        out: dict[tuple[int, int], list[dict[str, float]]] = {}
        for j in range(chosen.shape[1]):
            rows = np.where(chosen[:, j])[0]
            positives = np.where(labels[:, j] == 1)[0]
            if not len(rows) or not len(positives):
                continue
            sims = batch.turn_vecs[rows] @ self.batch_.turn_vecs[positives].T
            top = np.argsort(-sims, axis=1)[:, :k] if sims.shape[1] <= k else np.argpartition(-sims, k, axis=1)[:, :k]
            for r, row in enumerate(rows):
                best = sorted(top[r], key=lambda c: -sims[r, c])
                out[(int(row), j)] = [
                    {"row": int(positives[c]), "similarity": round(float(sims[r, c]), 3)} for c in best
                ]
        return out

    def explain(self, batch: SegmentBatch, probs: np.ndarray | None = None) -> list[dict[int, dict[str, object]]]:
        """For each turn, for each suggested code index: a one-glance reason.

        The nearest already-coded turns with their codes, the codebook example closest to the turn's best
        sentence, the keywords found, and whether the score is few-shot (calibrated) or zero-shot.
        """
        scored, evidence = self._score(batch) if probs is None else (probs, self._evidence_for(batch))
        probs = scored
        chosen = self.decide(probs)
        neighbours = self._neighbours(batch, chosen)
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
                reason: dict[str, object] = {
                    "method": "few-shot" if self.trained_[j] else "zero-shot",
                    "calibrated": bool(self.trained_[j]),
                    "sentence": sentences[min(sentence_index, len(sentences) - 1)],
                    "example": example,
                    "example_similarity": round(float(evidence.proto_sent[i, j]), 3),
                    "keywords": keyword_hits(batch.lemmas[i], self.prototypes.keyword_lemmas[j]),
                    "neighbours": neighbours.get((i, j), []),
                }
                reasons[j] = reason
            out.append(reasons)
        return out
