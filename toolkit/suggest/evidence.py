"""Codebook evidence: how much each turn looks like each code, by similarity and keywords.

It is what a human coder checks against the codebook (the best sentence's similarity to the code's
examples and definition, the keywords found, the question's similarity to the definition) and it feeds
both the few-shot features and the zero-shot score. It does not depend on labels, so it is computed once
per (batch, codebook) and memoised on the batch.

A plain "no" counts against a code the question asks about: ``denied`` marks the turns that answer with a
refusal word ("No. I did not check anything", "Нет, не проверял") and ``affirmative`` the codes whose examples
mostly affirm (checking the employer, receiving a copy, answering an advertisement); the zero-shot score holds
such a turn under its cut for such a code when the question is about it (:mod:`toolkit.suggest.zero_shot`).

Negation and contrast can count against a code: ``proto_sent_polar`` (a few-shot feature) compares a
sentence only with the code's examples of the same polarity (a negated sentence with negated examples,
an affirmative one with affirmative ones), so "The copy, we never saw it" no longer looks like "I kept my
copy" (contract.received,
whose examples are all affirmative) but still like "They wouldn't give them to us" (contract.not_received).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from toolkit.suggest.data import CodebookPrototypes, SegmentBatch
from toolkit.suggest.example_classifier import example_classifier_scores
from toolkit.suggest.lemmas import NEGATIONS, keyword_hits

__all__ = [
    "QUESTION_SOURCE",
    "REFUSALS",
    "ZERO_SHOT_SOURCES",
    "CodeEvidence",
    "code_evidence",
    "is_negated",
    "opens_with_refusal",
]

ZERO_SHOT_SOURCES = 4  # column blocks of CodeEvidence.zero_shot_raw
QUESTION_SOURCE = 2  # the block of the question's similarity to each code's definition

_NEGATION = re.compile(
    r"\b(?:" + "|".join(sorted(w for w in NEGATIONS if w.isalpha())) + r"|cannot)\b|n't\b|\bnot\b", re.IGNORECASE
)


def is_negated(text: str) -> bool:
    """Whether a sentence holds a negation ("never", "not", "nothing", "didn't" ...)."""
    return bool(_NEGATION.search(text.replace("\u2019", "'")))


REFUSALS = frozenset({"no", "nope", "never", "not", "нет", "не", "никогда", "ні", "не-а"})
_FIRST_WORD = re.compile(r"[\w-]+")
_RUSSIAN_NEGATION = re.compile(r"(?<!\w)(?:не|нет|ни|никогда|ничего|никто|без)(?!\w)", re.IGNORECASE)


def opens_with_refusal(text: str) -> bool:
    """Whether an answer begins with a refusal word ("No.", "Never.", "Not really", "Нет, ..."): a no."""
    first = _FIRST_WORD.search(text)
    return first is not None and first.group(0).lower() in REFUSALS


def _mostly_affirmative(examples: list[str]) -> bool:
    """Whether fewer than a third of a code's examples hold a negation (English or Russian)."""
    if not examples:
        return False
    negated = [is_negated(e) or bool(_RUSSIAN_NEGATION.search(e)) for e in examples]
    return sum(negated) < len(negated) / 3


@dataclass
class CodeEvidence:
    """Similarity and keyword evidence of every turn (rows) for every code (columns)."""

    proto_turn: np.ndarray
    proto_sent: np.ndarray
    proto_sent_which: np.ndarray
    proto_sent_polar: np.ndarray
    def_turn: np.ndarray
    def_sent: np.ndarray
    def_question: np.ndarray
    kw_turn: np.ndarray
    kw_question: np.ndarray
    example_classifier: np.ndarray
    denied: np.ndarray
    affirmative: np.ndarray

    def dense(self) -> np.ndarray:
        """All evidence side by side: the few-shot model's codebook features."""
        return np.hstack(
            [
                self.proto_turn,
                self.def_turn,
                self.def_question,
                self.kw_turn,
                self.kw_question,
                self.proto_sent,
                self.def_sent,
                self.proto_sent_polar,
            ]
        )

    def zero_shot_raw(self) -> np.ndarray:
        """Rows x (4 * codes): example similarity, keywords, question-to-definition, example classifier.

        The sources: best sentence-to-example similarity, keyword hits, the question's similarity to the
        definition and the codebook-example classifier's value (:mod:`toolkit.suggest.example_classifier`).

        The same-polarity similarity is not used here: on the sample corpus it cost zero-shot 0.03 micro-F1
        (a negation word anywhere in a sentence is a crude polarity: "you don't think, you think how to feed
        them" is about family); it is a few-shot feature, whose weight is learnt.
        """
        return np.hstack([self.proto_sent, self.kw_turn, self.def_question, self.example_classifier])


def code_evidence(batch: SegmentBatch, prototypes: CodebookPrototypes) -> CodeEvidence:
    """The evidence of ``batch`` for ``prototypes``, memoised on the batch (it never depends on labels)."""
    key = ("evidence", id(prototypes))
    cached = batch.cache.get(key)
    if cached is not None and cached[0] is prototypes:
        return cached[1]
    evidence = _compute(batch, prototypes)
    batch.cache[key] = (prototypes, evidence)
    return evidence


def _compute(batch: SegmentBatch, protos: CodebookPrototypes) -> CodeEvidence:
    definitions = [protos.definition_vecs[j : j + 1] for j in range(len(protos.code_ids))]
    proto_sent, which = _sentence_max_similarity(batch, protos.example_vecs)
    def_sent, _ = _sentence_max_similarity(batch, definitions)
    proto_sent_polar = _polar_similarity(batch, protos)
    proto_turn = np.stack(
        [
            (batch.turn_vecs @ e.T).max(axis=1) if len(e) else np.zeros(len(batch), dtype=np.float32)
            for e in protos.example_vecs
        ],
        axis=1,
    )
    return CodeEvidence(
        proto_turn=proto_turn,
        proto_sent=proto_sent,
        proto_sent_which=which,
        proto_sent_polar=proto_sent_polar,
        def_turn=batch.turn_vecs @ protos.definition_vecs.T,
        def_sent=def_sent,
        def_question=batch.question_vecs @ protos.definition_vecs.T,
        kw_turn=_keyword_counts(batch.lemmas, protos.keyword_lemmas),
        kw_question=_keyword_counts(batch.question_lemmas, protos.keyword_lemmas),
        example_classifier=example_classifier_scores(batch, protos),
        denied=np.array([opens_with_refusal(t) for t in batch.texts], dtype=bool),
        affirmative=np.array([_mostly_affirmative(texts) for texts in protos.example_texts], dtype=bool),
    )


def _sentence_max_similarity(batch: SegmentBatch, targets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per turn and code: best similarity of any sentence to any target vector, and which sentence.

    Vectorised: one matrix product of all sentences against all targets, then maxima per code and turn.
    """
    n, k = len(batch), len(targets)
    sentences, starts = batch.sentence_rows()
    counts = np.diff(np.append(starts, len(sentences)))
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
    best = np.maximum.reduceat(per_code, starts, axis=0)
    for i, (start, count) in enumerate(zip(starts, counts, strict=True)):
        which[i] = np.argmax(per_code[start : start + count], axis=0)
    best[:, sizes == 0] = -1.0
    return best, which


def _polar_similarity(batch: SegmentBatch, protos: CodebookPrototypes) -> np.ndarray:
    """Per turn and code: best similarity of a sentence to an example of the same polarity (-1 if none)."""
    n, k = len(batch), len(protos.code_ids)
    best = np.full((n, k), -1.0, dtype=np.float32)
    polarity = [np.array([is_negated(e) for e in texts], dtype=bool) for texts in protos.example_texts]
    for i in range(n):
        vecs, texts = batch.sentence_vecs[i], batch.sentence_texts[i]
        if not len(vecs) or len(texts) != len(vecs):
            vecs, texts = batch.turn_vecs[i : i + 1], [batch.texts[i]]
        negated = np.array([is_negated(t) for t in texts], dtype=bool)
        for j, examples in enumerate(protos.example_vecs):
            if not len(examples):
                continue
            sims = vecs @ examples.T  # sentences x examples
            same = negated[:, None] == polarity[j][None, :]
            if same.any():
                best[i, j] = float(np.where(same, sims, -1.0).max())
    return best


def _keyword_counts(lemmas: list[str], keywords: list[list[str]]) -> np.ndarray:
    out = np.zeros((len(lemmas), len(keywords)), dtype=np.float32)
    for i, text in enumerate(lemmas):
        for j, words in enumerate(keywords):
            out[i, j] = len(keyword_hits(text, words))
    return np.log1p(out)
