"""Lemmas for Russian (and Belarusian-flavoured Russian) text, and a lemmatiser that routes by script.

spaCy's Russian language class needs no download; its lemmatiser uses ``pymorphy3`` when that is installed
("проверял" -> "проверять", so a keyword matches every form of a word). Without ``pymorphy3`` the
lower-cased word forms are used, and :class:`RussianLemmatizer` warns (:data:`NO_PYMORPHY3`, naming the fix).
Russian negation ("не", "нет", "никогда", ...) marks the next words
``NOT_`` as English negation does.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import lru_cache

from toolkit.suggest.lemmas import NEGATIONS, Lemmatizer, SpacyLemmatizer, _mark_negation

__all__ = ["NO_PYMORPHY3", "RU_NEGATIONS", "MultilingualLemmatizer", "RussianLemmatizer", "is_cyrillic"]

NO_PYMORPHY3 = (
    "Russian keywords are matched on lower-cased word forms, not lemmas (\"проверял\" will not match "
    "\"проверять\"): pymorphy3 is not installed; fix: `pip install 'pymorphy3>=2.0.1'`"
)

RU_NEGATIONS = frozenset(
    {"не", "нет", "ни", "никогда", "никто", "ничего", "ничто", "нигде", "без", "нельзя"}
    | {"няма", "ніколі", "ніхто", "нічога", "ні"}  # Belarusian words in Russian speech
)


def is_cyrillic(text: str) -> bool:
    """True when most letters of ``text`` are Cyrillic."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("\u0400" <= c <= "\u04ff" for c in letters) * 2 > len(letters)


@lru_cache(maxsize=1)
def _russian_pipeline() -> tuple[object, str]:
    """The blank Russian spaCy pipeline with its lemmatiser (pymorphy3), or without one."""
    import spacy

    nlp = spacy.blank("ru")
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
        nlp.initialize()
        return nlp, "pymorphy3"
    except (ImportError, ValueError):
        return spacy.blank("ru"), "lower"


class RussianLemmatizer:
    """Russian lemmas (pymorphy3 through spaCy) with Russian and English negation marks."""

    def __init__(self) -> None:
        self.mode = _russian_pipeline()[1]
        self.name = f"lemmas:ru-{self.mode}"
        self.warnings: list[str] = []
        """Why the lemmas are poorer than they should be, with the fix (empty when pymorphy3 works)."""
        if self.mode == "lower":
            self.warnings.append(NO_PYMORPHY3)
            warnings.warn(NO_PYMORPHY3, UserWarning, stacklevel=2)

    def lemmatize(self, texts: Sequence[str]) -> list[str]:
        """Lemma strings, in batches; lower-cased forms when no lemmatiser is installed."""
        nlp = _russian_pipeline()[0]
        out = []
        for doc in nlp.pipe(list(texts), batch_size=128):
            tokens = [
                ((t.lemma_ if self.mode != "lower" else "").lower().strip() or t.lower_, t.is_punct)
                for t in doc
                if not t.is_space
            ]
            out.append(_mark_negation(tokens, NEGATIONS | RU_NEGATIONS))
        return out


class MultilingualLemmatizer:
    """Cyrillic texts to :class:`RussianLemmatizer`, all others to the English one (order kept)."""

    def __init__(self, english: Lemmatizer | None = None, russian: Lemmatizer | None = None) -> None:
        self.english = english or SpacyLemmatizer()
        self.russian = russian or RussianLemmatizer()
        self.name = f"{self.english.name}+{self.russian.name}"

    def lemmatize(self, texts: Sequence[str]) -> list[str]:
        """One lemma string per text, each by the lemmatiser of its script."""
        cyrillic = [is_cyrillic(t) for t in texts]
        ru = iter(self.russian.lemmatize([t for t, c in zip(texts, cyrillic, strict=True) if c]))
        en = iter(self.english.lemmatize([t for t, c in zip(texts, cyrillic, strict=True) if not c]))
        return [next(ru) if c else next(en) for c in cyrillic]
