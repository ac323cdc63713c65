"""A long answer read passage by passage, as a coder reads it: windows of a few sentences, scored like turns.

Why: the model learns from interview turns (median four sentences in the sample corpus) and scored a long
answer, such as a published statement after one generic question, as one diluted whole. On the sample's
answers merged three or six at a time behind "Can you tell me about it?", each code's best passage found what
the whole answer hid: micro-F1 0.66 -> 0.80 and 0.52 -> 0.81, near the 0.82 / 0.84 of scoring the original
turns (``bench/bench_passages.py``, numbers in ``bench/README.md``). The estimator gives a long turn, for
each code, the highest codebook and learnt scores of the turn itself or any of its passages, before the
calibration maps (which are fitted on scores taken the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.suggest.data import SegmentBatch

__all__ = ["MIN_PASSAGE_SENTENCES", "Passages", "passage_counts", "passage_size", "passage_spans", "passages"]

MIN_PASSAGE_SENTENCES = 3


@dataclass(frozen=True)
class Passages:
    """The passages of a batch's long turns as a batch of their own, and each passage's turn (``owner``)."""

    batch: SegmentBatch
    owner: np.ndarray


def passage_size(coded_turn_sentences: Sequence[int], fallback: int) -> int:
    """How many sentences a passage holds: the median coded turn's, at least 3; ``fallback`` before coding.

    Why: the model reads a passage well when it is as long as the turns it learnt from. With windows of four
    sentences (the sample corpus' median turn) a corpus of two-sentence turns (the development corpus) read its
    answers merged three or six at a time at micro-F1 0.648 / 0.567 when trained on the other interviews;
    with windows of two (its median) 0.712 / 0.709, of three 0.708 / 0.705. But windows of two cost its turns,
    read one by one, 0.026 leave-one-interview-out (0.768 -> 0.742; three: unchanged), hence the floor of three.
    ``fallback`` <= 0 (passages off) stays off. Measured in ``bench/README.md`` (nineteenth session).
    """
    if fallback < 1 or not len(coded_turn_sentences):
        return max(int(fallback), 0)
    return max(MIN_PASSAGE_SENTENCES, int(np.median(np.asarray(coded_turn_sentences))))


def passage_spans(n_sentences: int, size: int) -> list[tuple[int, int]]:
    """Consecutive windows of ``size`` sentences covering ``n_sentences``; the last one ends at the end.

    Example:
        >>> passage_spans(9, 4)
        [(0, 4), (4, 8), (5, 9)]
    """
    if n_sentences <= size:
        return [(0, n_sentences)]
    starts = list(range(0, n_sentences - size + 1, size))
    if starts[-1] + size < n_sentences:
        starts.append(n_sentences - size)
    return [(start, start + size) for start in starts]


def passages(batch: SegmentBatch, size: int, statement_sentences: bool = False) -> Passages | None:
    """The passages of every turn with more than ``size`` sentences (None when there is none, or no lemmas).

    A passage keeps its turn's question; its vector is the normalised mean of its sentences' vectors (on the
    merged-answer proxy as good as embedding the passage's text, with no model call at scoring time) and its
    lemmas are its sentences' lemmas (the turn's lemmas instead cost 0.03-0.05 micro-F1 on that proxy).

    ``statement_sentences``: a long turn that is a whole account (``batch.accounts``: its document's only
    respondent turn, after no topical question; a statement, ``qda import --statement``) is also read sentence
    by sentence. Why: a written account moves between topics from one sentence to the next (one sentence may
    hold three codes), where an interview answer follows its question.
    On 40 statements written for testing (``bench/bench_statements.py``), trained on the sample interviews:
    micro-F1 0.527 -> 0.745 (recall 0.37 -> 0.64, precision 0.94 -> 0.89). Interview turns, which all follow a
    question, are read as before; every long answer read this way cost the sample's and the development
    corpus' interviews 0.018 and 0.033 (``bench/README.md``, nineteenth session), and interviews with their
    questions removed, read this way, 0.049 (scored without questions, trained with them; twentieth session).
    """
    if size < 1 or batch.sentence_lemmas is None:
        return None
    key = ("passages", size, statement_sentences)
    if key not in batch.cache:  # memoised: the folds of a cross-validation score the same batch
        batch.cache[key] = _passages(batch, size, statement_sentences)
    return batch.cache[key]


def _is_statement(batch: SegmentBatch, row: int, size: int) -> bool:
    """Whether a long turn is read, and limited, sentence by sentence: it is a whole account (``accounts``)."""
    return size > 1 and batch.accounts is not None and bool(batch.accounts[row])


def _passages(batch: SegmentBatch, size: int, statement_sentences: bool) -> Passages | None:
    assert batch.sentence_lemmas is not None
    rows: list[tuple[int, int, int]] = []
    for i, vecs in enumerate(batch.sentence_vecs):
        n = len(vecs)
        if n > size and len(batch.sentence_texts[i]) == n and len(batch.sentence_lemmas[i]) == n:
            rows.extend((i, start, end) for start, end in passage_spans(n, size))
            if statement_sentences and _is_statement(batch, i, size):
                rows.extend((i, start, start + 1) for start in range(n))
    if not rows:
        return None
    means = np.stack([batch.sentence_vecs[i][start:end].mean(axis=0) for i, start, end in rows])
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    turn_vecs = (means / np.where(norms > 0, norms, 1.0)).astype(batch.turn_vecs.dtype)
    sentence_lemmas = [batch.sentence_lemmas[i][start:end] for i, start, end in rows]
    owner = np.array([i for i, _, _ in rows], dtype=np.int64)
    return Passages(
        SegmentBatch(
            texts=[" ".join(batch.sentence_texts[i][start:end]) for i, start, end in rows],
            questions=[batch.questions[i] for i in owner],
            turn_vecs=turn_vecs,
            question_vecs=batch.question_vecs[owner],
            sentence_vecs=[batch.sentence_vecs[i][start:end] for i, start, end in rows],
            sentence_texts=[batch.sentence_texts[i][start:end] for i, start, end in rows],
            lemmas=[" ".join(lemmas) for lemmas in sentence_lemmas],
            question_lemmas=[batch.question_lemmas[i] for i in owner],
            sentence_lemmas=sentence_lemmas,
        ),
        owner,
    )


def passage_counts(batch: SegmentBatch, size: int, statement_sentences: bool = False) -> np.ndarray:
    """How many turns' worth of passages each turn holds: its sentences // ``size``, at least 1.

    The decision policy lets a long turn carry each per-turn limit that many times (as that many turns
    would). Counted in whole passages, not windows: on the sample corpus, counting every window (a turn of
    five sentences has two) doubled the limits of half the interview turns and cost 0.009 micro-F1; whole
    passages cost 0.002, and both raised the six-answers proxy from 0.818 to 0.850 (zero-shot 0.40 -> 0.57;
    measured before the best window was taken ahead of the calibration maps).

    ``statement_sentences``: a statement read sentence by sentence (:func:`passages`) carries the limits once
    per sentence, as it is read. On the 40 test statements, trained on the sample: 0.745 -> 0.791 (dense
    statements 0.586 -> 0.713; once per two sentences the same), zero-shot 0.311 -> 0.372.
    """
    counts = np.ones(len(batch), dtype=np.int64)
    found = passages(batch, size, statement_sentences)
    if found is not None:
        for row in np.unique(found.owner):
            n = len(batch.sentence_vecs[row])
            counts[row] = n if statement_sentences and _is_statement(batch, row, size) else max(1, n // size)
    return counts
