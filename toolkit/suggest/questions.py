"""Which interviewer questions name a topic: a question that names none counts as no question at all.

"Can you tell me about it?", "Go on." or "What happened then?" say nothing about the codes of the answer that
follows, yet the model reads each question's words, embedding and similarity to the codes' definitions. Trained
on interviews whose questions are topical, with each answer also learnt without its question, it scored answers
after such content-free prompts lower than the same answers with no question (sample corpus, leave one
interview out, seven prompts at scoring only: recall fell 0.031-0.053, against 0.018 with the questions
removed; ``bench/README.md``). So the model reads a content-free question as absent: zero vector, no lemmas.

A question is content-free when every lemma is a stop word of English or Russian (spaCy's lists) or an
eliciting verb below; negation marks are ignored. Its text is kept, for the reviewer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from toolkit.suggest.data import SegmentBatch
from toolkit.suggest.lemmas import stop_words

__all__ = ["ELICITING_LEMMAS", "account_rows", "content_free", "without_content_free_questions"]

ELICITING_LEMMAS = frozenset(
    {
        # English: verbs and fillers an interviewer uses to ask for more, whatever the topic
        "tell", "say", "talk", "describe", "explain", "continue", "happen", "mean", "remember", "think",
        "share", "elaborate", "add", "like", "want", "okay", "ok", "right", "mm", "hmm", "yes", "yeah", "thank",
        "then", "next", "else", "anything", "lot", "bit", "little", "feel",
        "story", "experience",  # "Can you tell us your story?": the prompt before many published accounts
        # Russian (lemmas)
        "рассказать", "рассказывать", "сказать", "говорить", "описать", "объяснить", "продолжать",
        "продолжить", "случиться", "произойти", "происходить", "помнить", "вспомнить", "думать", "поделиться",
        "добавить", "хотеть", "спасибо", "хорошо", "понятно", "ага", "да", "дальше", "чувствовать",
        "далёкий",  # pymorphy3's lemma of "дальше" ("and then?")
        "история", "опыт",
    }
)  # fmt: skip


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    return stop_words() | ELICITING_LEMMAS | {"n't", "'s", "'m", "'re", "'ve", "'ll", "'d"}


def content_free(question_lemmas: str) -> bool:
    """Whether a question's lemma string (``Lemmatizer`` output) holds no word that could name a topic.

    Example:
        >>> content_free("can you tell i about it"), content_free("can you tell i about your family")
        (True, False)
    """
    words = _function_words()
    return all(lemma.removeprefix("NOT_") in words for lemma in question_lemmas.split())


def account_rows(documents: Sequence[str], question_lemmas: Sequence[str]) -> list[int]:
    """The turns that are whole accounts: a document's only respondent turn, after no question or a content-free one.

    Why: a published statement often comes after one generic prompt ("Can you tell me about it?"), and the
    model reads a whole account sentence by sentence (:mod:`toolkit.suggest.passages`). Keyed on the question
    being absent, the same statement was read one way with no question and another behind a generic prompt (40
    test statements, trained on the sample interviews: micro-F1 0.791 against 0.527;
    ``bench/bench_statements.py --question``), while a content-free question should never decide. Keyed on the
    document's only turn, an interview stays an interview: its content-free follow-ups ("Go on.") and its turns
    when the questions are removed are read as interview answers (read as statements, they cost the development
    corpus 0.028 and the sample interviews without their questions 0.049; ``bench/README.md``, twentieth session).

    Example:
        >>> account_rows(["a", "b", "b", "c"], ["can you tell i about it", "", "", "what be your job"])
        [0]
    """
    turns = Counter(documents)
    return [
        row
        for row, (doc, lemmas) in enumerate(zip(documents, question_lemmas, strict=True))
        if turns[doc] == 1 and content_free(lemmas)
    ]


def without_content_free_questions(batch: SegmentBatch) -> SegmentBatch:
    """``batch`` with its content-free questions read as absent; the batch itself when it has none.

    Memoised in ``batch.cache``, so that scoring a fitted batch again finds the very batch that was fitted.
    """
    cached = batch.cache.get("content_free_questions")
    if cached is not None:
        return cached
    rows = [
        i
        for i, lemmas in enumerate(batch.question_lemmas)
        if content_free(lemmas) and (lemmas or batch.question_vecs[i].any())
    ]
    if not rows:
        batch.cache["content_free_questions"] = batch
        return batch
    vecs = batch.question_vecs.copy()
    vecs[rows] = 0
    lemmas = list(batch.question_lemmas)
    for i in rows:
        lemmas[i] = ""
    gated = replace(batch, question_vecs=vecs, question_lemmas=lemmas, cache={})
    gated.cache["content_free_questions"] = gated
    batch.cache["content_free_questions"] = gated
    return gated
