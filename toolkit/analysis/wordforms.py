"""Word forms for search: one stem per word, English or Russian by the word's own script.

Full-text search must find ``passports`` for ``passport`` and ``паспортом`` for ``паспорт``. SQLite's
FTS5 ``porter`` tokenizer stems English only, and PostgreSQL's ``to_tsvector`` needs one language per row
while a transcript can mix scripts; so the toolkit stems in Python with the Snowball stemmers (the
algorithms both databases use) and the two back-ends give identical results. The stems of a segment
are cached in the store (``LemmaCache``, keyed by this normaliser's name and the text's hash), so a
corpus is stemmed once. The measured cost is in ``bench/bench_search.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version

import snowballstemmer

__all__ = ["WORD", "StemNormaliser", "stem", "tokens"]

WORD = re.compile(r"\w+(?:['’]\w+)*")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@lru_cache(maxsize=2)
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one word, lower-cased (``ё`` folded to ``е``, apostrophes dropped)."""
    lowered = word.lower().replace("ё", "е").replace("’", "'")
    if lowered.endswith("'s"):
        lowered = lowered[:-2]
    language = "russian" if _CYRILLIC.search(lowered) else "english"
    return _stemmer(language).stemWord(lowered.replace("'", ""))


def tokens(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, stem)`` of every word in ``text``; offsets are string indices into ``text``."""
    return [(m.start(), m.end(), stem(m.group())) for m in WORD.finditer(text)]


class StemNormaliser:
    """A :class:`~toolkit.suggest.lemmas.Lemmatizer` whose "lemmas" are Snowball stems, for the store's cache."""

    # The stemmer's release and this module's tokenisation ("w1") key the cache: a change to either re-stems.
    name = f"stems:snowball-{version('snowballstemmer')}:w1"

    def lemmatize(self, texts: Sequence[str]) -> list[str]:
        """One space-separated stem string per text."""
        return [" ".join(s for _, _, s in tokens(text)) for text in texts]
