"""What the suggestion model reads: the turns (:class:`SegmentBatch`) and the codebook (:class:`CodebookPrototypes`).

Both are plain containers, row- or code-aligned, built from a store by ``toolkit.suggest.suggestions`` or by hand
in tests. They are not pandas frames because a turn holds a ragged list of sentence embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CodebookPrototypes", "SegmentBatch"]


@dataclass(eq=False)
class SegmentBatch:
    """The turns to learn from or to score, with everything the features need, row-aligned.

    ``sentence_vecs[i]`` holds the embeddings of turn i's sentences (may be empty: the turn vector is used).
    ``sentence_lemmas[i]``, when known, the lemma string of each of them: a long turn is also scored passage by
    passage (:mod:`toolkit.suggest.passages`), and a passage's TF-IDF needs its own lemmas.
    ``accounts[i]``, when known: turn i is a whole account, its document's only respondent turn after no topical
    question (a published statement): read and limited sentence by sentence (:mod:`toolkit.suggest.passages`).
    ``documents[i]``, when known: the document turn i belongs to. A document's rows are in reading order, so the
    row before a turn in its document holds the answer before it (:meth:`previous_rows`).
    ``cache`` memoises label-independent features (codebook evidence, pooled vectors) so that the folds of
    a cross-validation, which all transform the same batch, compute them once.
    """

    texts: list[str]
    questions: list[str]
    turn_vecs: np.ndarray
    question_vecs: np.ndarray
    sentence_vecs: list[np.ndarray]
    sentence_texts: list[list[str]]
    lemmas: list[str]
    question_lemmas: list[str]
    sentence_lemmas: list[list[str]] | None = None
    accounts: list[bool] | None = None
    documents: list[str] | None = None
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.texts)

    def sentence_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """All sentence vectors stacked, and each turn's first row in that stack (memoised in ``cache``).

        A turn without sentence vectors contributes its turn vector. Per-sentence scores are reduced per turn
        with ``np.maximum.reduceat(scores, starts)``; the codebook evidence does so for the examples, the
        definitions and the example classifier, so the stack is built once per batch.
        """
        cached = self.cache.get("sentence_rows")
        if cached is None:
            groups = [vecs if len(vecs) else self.turn_vecs[i : i + 1] for i, vecs in enumerate(self.sentence_vecs)]
            stacked = np.vstack(groups) if groups else np.zeros((0, self.turn_vecs.shape[1]), dtype=np.float32)
            lengths = [len(g) for g in groups]
            starts = np.cumsum([0, *lengths[:-1]]).astype(np.int64) if groups else np.zeros(0, dtype=np.int64)
            cached = self.cache["sentence_rows"] = (stacked, starts)
        return cached

    def previous_rows(self) -> np.ndarray:
        """Each row's previous row in the same document (the answer before it), or -1: the first, or unknown."""
        previous = np.full(len(self), -1, dtype=np.int64)
        if self.documents is not None and len(self) > 1:
            same = np.array([a == b for a, b in zip(self.documents[1:], self.documents[:-1], strict=True)])
            previous[1:] = np.where(same, np.arange(len(self) - 1), -1)
        return previous

    def without_questions(self) -> SegmentBatch:
        """The same answers with no interviewer question before them (empty text and lemmas, a zero vector)."""
        return SegmentBatch(
            texts=list(self.texts),
            questions=[""] * len(self),
            turn_vecs=self.turn_vecs,
            question_vecs=np.zeros_like(self.question_vecs),
            sentence_vecs=list(self.sentence_vecs),
            sentence_texts=list(self.sentence_texts),
            lemmas=list(self.lemmas),
            question_lemmas=[""] * len(self),
            sentence_lemmas=self.sentence_lemmas,
            accounts=self.accounts,
            documents=self.documents,
        )

    def concat(self, other: SegmentBatch) -> SegmentBatch:
        """The rows of both batches, ``other``'s last (with an empty cache)."""
        return SegmentBatch(
            texts=self.texts + other.texts,
            questions=self.questions + other.questions,
            turn_vecs=np.vstack([self.turn_vecs, other.turn_vecs.astype(self.turn_vecs.dtype)]),
            question_vecs=np.vstack([self.question_vecs, other.question_vecs.astype(self.question_vecs.dtype)]),
            sentence_vecs=self.sentence_vecs + other.sentence_vecs,
            sentence_texts=self.sentence_texts + other.sentence_texts,
            lemmas=self.lemmas + other.lemmas,
            question_lemmas=self.question_lemmas + other.question_lemmas,
            sentence_lemmas=_joined(self, other),
            accounts=None if self.accounts is None and other.accounts is None else _flags(self) + _flags(other),
            documents=_joined_documents(self, other),
        )

    def subset(self, rows: Sequence[int] | np.ndarray) -> SegmentBatch:
        """The same batch restricted to some rows, in that order (with an empty cache)."""
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
            sentence_lemmas=None if self.sentence_lemmas is None else [self.sentence_lemmas[i] for i in idx],
            accounts=None if self.accounts is None else [self.accounts[i] for i in idx],
            documents=None if self.documents is None else [self.documents[i] for i in idx],
        )


def _flags(batch: SegmentBatch) -> list[bool]:
    """A batch's account flags, all False where unknown."""
    return list(batch.accounts) if batch.accounts is not None else [False] * len(batch)


def _joined_documents(first: SegmentBatch, second: SegmentBatch) -> list[str] | None:
    """Both batches' document keys, or None unless both know them; the same key in both is still two documents."""
    if first.documents is None or second.documents is None:
        return None
    return [f"0:{d}" for d in first.documents] + [f"1:{d}" for d in second.documents]


def _joined(first: SegmentBatch, second: SegmentBatch) -> list[list[str]] | None:
    """Both batches' sentence lemmas, or None unless both know them (a passage needs every sentence's)."""
    if first.sentence_lemmas is None or second.sentence_lemmas is None:
        return None
    return first.sentence_lemmas + second.sentence_lemmas


@dataclass(eq=False)
class CodebookPrototypes:
    """What the codebook says about each code, embedded: examples, definition (+ inclusion), keywords."""

    code_ids: list[str]
    groups: list[str]
    example_texts: list[list[str]]
    example_vecs: list[np.ndarray]
    definition_vecs: np.ndarray
    keyword_lemmas: list[list[str]]
    max_per_group: dict[str, int] = field(default_factory=dict)
    excludes: list[tuple[int, int]] = field(default_factory=list)  # code index pairs never on one turn
    example_lemmas: list[list[str]] = field(default_factory=list)  # lemma strings of the examples, if known

    def __sklearn_clone__(self) -> CodebookPrototypes:
        """The same object: ``clone`` of a suggester shares its codebook, as it would share a vocabulary.

        Why: the label-independent features of a batch are memoised per codebook object, and
        ``sklearn.base.clone`` deep-copies any parameter that is not an estimator, so every clone (each
        fold of a nested selection or a learning curve) missed that cache, recomputed the codebook evidence
        and kept another copy of it: about 0.35 s per fit on the sample corpus. Never mutated after
        it is built, so sharing is safe.
        """
        return self

    def example_batch(self) -> SegmentBatch:
        """The codebook's examples as turns (no question), code-ordered: training rows for a prior."""
        texts = [t for group in self.example_texts for t in group]
        vecs = [v for group in self.example_vecs for v in group]
        dim = self.definition_vecs.shape[1]
        lemmas = [lem for group in self.example_lemmas for lem in group]
        if len(lemmas) != len(texts):
            lemmas = [t.lower() for t in texts]
        turn_vecs = np.vstack(vecs).astype(np.float32) if vecs else np.zeros((0, dim), dtype=np.float32)
        return SegmentBatch(
            texts=texts,
            questions=[""] * len(texts),
            turn_vecs=turn_vecs,
            question_vecs=np.zeros((len(texts), dim), dtype=np.float32),
            sentence_vecs=[turn_vecs[i : i + 1] for i in range(len(texts))],
            sentence_texts=[[t] for t in texts],
            lemmas=lemmas,
            question_lemmas=[""] * len(texts),
            sentence_lemmas=[[lem] for lem in lemmas],
        )

    def example_labels(self) -> np.ndarray:
        """Examples x codes: 1 for the example's own code, -1 (unknown) for the others."""
        rows = [j for j, group in enumerate(self.example_texts) for _ in group]
        labels = np.full((len(rows), len(self.code_ids)), -1, dtype=np.int8)
        labels[np.arange(len(rows)), rows] = 1
        return labels
