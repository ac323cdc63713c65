"""Lemmatised, negation-marked text: what keyword and TF-IDF features of a suggestion are built on.

"I did not check the firm" and "I checked the firm" must not look alike to a classifier, so a word that
follows a negation within three tokens is prefixed ``NOT_`` ("i do not NOT_check NOT_the NOT_firm").
Lemmas come from an installed spaCy pipeline; :class:`SimpleLemmatizer` is a dependency-free stand-in
for fast tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

__all__ = [
    "NEGATIONS",
    "Lemmatizer",
    "SimpleLemmatizer",
    "SpacyLemmatizer",
    "keyword_hits",
    "select_lemmatizer",
    "stop_words",
]

NEGATIONS = frozenset({"not", "never", "no", "n't", "nothing", "nobody", "without", "none", "neither", "nor"})
_NEGATION_SCOPE = 3
_OBJECT_NEGATIONS = frozenset({"nothing", "nobody", "none"})


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The English and Russian stop words (spaCy's lists): lemmas that name no topic, for word counts and questions."""
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.ru.stop_words import STOP_WORDS as RUSSIAN

    return frozenset(ENGLISH) | frozenset(RUSSIAN)


class Lemmatizer(Protocol):
    """Maps texts to space-separated lower-case lemma strings with negation marks."""

    name: str

    def lemmatize(self, texts: Sequence[str]) -> list[str]:
        """One lemma string per text."""
        ...


def _mark_negation(tokens: list[tuple[str, bool]], negations: frozenset[str] = NEGATIONS) -> str:
    """Lemmas joined, each within ``_NEGATION_SCOPE`` words after a negation (up to punctuation) marked ``NOT_``.

    A word directly before "nothing", "nobody" or "none" is marked too: "I signed nothing" denies the signing
    ("sign" had counted for the contract codes of those who signed). Measured (``bench/README.md``, twentieth
    session): sample leave-one-interview-out 0.838 -> 0.841, development unchanged, test statements trained on
    the sample 0.791 -> 0.800 and 0.742 -> 0.767 (sparse set).
    """
    out: list[str] = []
    scope = 0
    previous_is_word = False
    for lemma, is_punct in tokens:
        if is_punct:
            scope = 0
            previous_is_word = False
            continue
        if lemma in negations:
            if lemma in _OBJECT_NEGATIONS and previous_is_word and not out[-1].startswith("NOT_"):
                out[-1] = f"NOT_{out[-1]}"  # "signed nothing": the verb before it is negated
            out.append(lemma)
            scope = _NEGATION_SCOPE
            previous_is_word = False
            continue
        previous_is_word = True
        out.append(f"NOT_{lemma}" if scope > 0 else lemma)
        scope = max(0, scope - 1)
    return " ".join(out)


class SpacyLemmatizer:
    """Lemmas from an installed spaCy pipeline (tagger + lemmatizer; no parser or NER, for speed)."""

    def __init__(self, model: str | None = None) -> None:
        from toolkit.config import Settings

        self.model = model or Settings().spacy_model
        self.name = f"lemmas:{self.model}:neg{_NEGATION_SCOPE}obj"

    @property
    def nlp(self):
        """The spaCy pipeline, loaded once per process."""
        return _load_lemma_pipeline(self.model)

    def lemmatize(self, texts: Sequence[str]) -> list[str]:
        """Lemma strings, in batches."""
        out = []
        for doc in self.nlp.pipe(list(texts), batch_size=128):
            tokens = [(t.lemma_.lower().strip() or t.lower_, t.is_punct) for t in doc if not t.is_space]
            out.append(_mark_negation(tokens))
        return out


@lru_cache(maxsize=2)
def _load_lemma_pipeline(model: str):
    import spacy

    return spacy.load(model, exclude=["parser", "ner", "senter"])


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\w\s]")
_SUFFIXES = ("ing", "ed", "es", "s")


class SimpleLemmatizer:
    """A crude suffix-stripping lemmatizer: no model, deterministic; for tests and huge corpora."""

    name = "lemmas:simple:obj"  # ":obj": object negation marks the verb before it (cached lemmas)

    def lemmatize(self, texts: Sequence[str]) -> list[str]:
        """Lower-case tokens with common suffixes stripped."""
        out = []
        for text in texts:
            tokens = []
            for token in _WORD.findall(text.lower()):
                if not token[0].isalnum():
                    tokens.append((token, True))
                    continue
                if token.endswith("n't"):
                    tokens.append((token[:-3], False))
                    token = "n't"
                for suffix in _SUFFIXES:
                    if token.endswith(suffix) and len(token) > len(suffix) + 2:
                        token = token[: -len(suffix)]
                        break
                tokens.append((token, False))
            out.append(_mark_negation(tokens))
        return out


def select_lemmatizer(spec: str | Lemmatizer | None = None) -> Lemmatizer:
    """``None`` -> the configured spaCy pipeline; ``"simple"`` -> :class:`SimpleLemmatizer`; or an instance.

    ``"multilingual"`` lemmatises Cyrillic texts with spaCy's Russian lemmatiser and the rest as ``None``.
    """
    if spec is None:
        return SpacyLemmatizer()
    if spec == "multilingual":
        from toolkit.suggest.lemmas_multilingual import MultilingualLemmatizer

        return MultilingualLemmatizer()
    if isinstance(spec, str):
        return SimpleLemmatizer() if spec == "simple" else SpacyLemmatizer(spec)
    return spec


def keyword_hits(lemma_text: str, keyword_lemmas: Sequence[str]) -> list[str]:
    """Keywords (as lemma strings) that occur as whole words in a lemma string; negated ones do not count."""
    padded = f" {lemma_text} "
    return [k for k in keyword_lemmas if k and f" {k} " in padded]
