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
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.texts)

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
        )


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
