"""Which language a transcript is in, from its script and its commonest words; offline, no model.

The study's interviews are English, Russian or Belarusian (Russian with Belarusian words is common). A
writing system separates English from the other two; within Cyrillic, the letters only one of them uses
(Belarusian ``і ў``, Russian ``и щ ъ``) and the stop words decide. A document quoting a few words of
another language keeps its majority language; one whose minority language is substantial (a fifth of its
letters in the other script, or a fifth of its Cyrillic letters in paragraphs of the other Cyrillic
language) is reported as mixed (:attr:`LanguageGuess.secondary`) so the importer can say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "LANGUAGE_NAMES",
    "SUPPORTED_LANGUAGES",
    "LanguageGuess",
    "detect_language",
    "normalise_language",
    "paragraph_shares",
]

LANGUAGE_NAMES = {"en": "English", "ru": "Russian", "be": "Belarusian"}
SUPPORTED_LANGUAGES = tuple(LANGUAGE_NAMES)
UNDETERMINED = "und"
MIN_LETTERS = 20  # fewer letters than this say nothing reliable about a language
MIXED_SHARE = 0.2  # a second script this common makes a document "mixed"

_STOP_WORDS = {
    "en": frozenset(
        "the and to of a i in was it that he she we they you my me is not but for with on at had have this "
        "there were so what be his her him them our no do did".split()
    ),
    "ru": frozenset(
        "и в не что я он она мы они на с как это но у меня его её ее за по так было был была бы то же "
        "только когда мне нас нам если или уже ещё еще от до из ну да нет вот там где".split()
    ),
    "be": frozenset(
        "і ў не што я ён яна мы яны на з як гэта але у мяне яго яе за па так было быў была б тое толькі "
        "калі мне нас нам ці ўжо яшчэ ад да са ну так не вось там дзе".split()
    ),
}
_WORD = re.compile(r"[^\W\d_]+")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class LanguageGuess:
    """The detected language and why: script shares and stop-word hits per language."""

    language: str
    confidence: float
    cyrillic_share: float
    secondary: str | None = None
    stop_words: tuple[tuple[str, int], ...] = ()


def normalise_language(code: str) -> str:
    """A lower-case ISO 639 code (``RU`` -> ``ru``, ``ru-BY`` -> ``ru``); raise ValueError on anything else."""
    base = code.strip().lower().replace("_", "-").split("-")[0]
    if not _LANGUAGE_CODE.match(base):
        raise ValueError(f"{code!r} is not a language code such as en, ru or be")
    return base


def _cyrillic_language(words: list[str], text: str) -> tuple[str, int, int]:
    """Russian or Belarusian, with the evidence for each (letters unique to one, then stop words)."""
    ru = sum(text.count(c) for c in "иИщЩъЪ") + sum(w in _STOP_WORDS["ru"] for w in words)
    be = sum(text.count(c) for c in "іІўЎ") + sum(w in _STOP_WORDS["be"] for w in words)
    return ("be" if be > ru else "ru"), ru, be


def detect_language(text: str, default: str = "en") -> LanguageGuess:
    """Guess the language of ``text``; ``default`` with confidence 0 when there are too few letters.

    Example:
        >>> detect_language("Я не проверял фирму, мы просто поехали.").language
        'ru'
    """
    letters = [c for c in text if c.isalpha()]
    if len(letters) < MIN_LETTERS:
        return LanguageGuess(default, 0.0, 0.0)
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
    latin = sum(c.isascii() for c in letters)
    share = cyrillic / len(letters)
    words = [w.lower() for w in _WORD.findall(text)]
    stop = tuple((lang, sum(w in vocab for w in words)) for lang, vocab in _STOP_WORDS.items())
    if cyrillic >= latin:
        language, _ru, _be = _cyrillic_language(words, text)
        majority, minority = cyrillic, latin
        other = "en"
    else:
        language, majority, minority = "en", latin, cyrillic
        other = _cyrillic_language(words, text)[0]
    scripts = majority + minority
    confidence = majority / scripts if scripts else 0.0
    secondary = other if scripts and minority / scripts >= MIXED_SHARE else None
    if secondary is None and language in ("ru", "be"):
        shares = paragraph_shares(text)
        other_cyrillic = "be" if language == "ru" else "ru"
        if shares.get(other_cyrillic, 0.0) >= MIXED_SHARE:
            secondary = other_cyrillic  # whole paragraphs in the other language, not a few quoted words
    return LanguageGuess(language, round(confidence, 3), round(share, 3), secondary, stop)


def paragraph_shares(text: str) -> dict[str, float]:
    """Share of the Cyrillic letters of ``text`` in paragraphs (lines) of each Cyrillic language.

    A Russian interview with a few Belarusian words has hardly any Belarusian paragraph; one whose
    respondent answers now in Belarusian, now in Russian has many: that makes it mixed.

    Example:
        >>> paragraph_shares("Мяне завуць Алеся, я з вёскі ля Ляхавіч.\nМеня зовут Павел, я из деревни.")["be"] > 0.4
        True
    """
    letters: dict[str, int] = {"ru": 0, "be": 0}
    for paragraph in text.splitlines():
        count = sum("\u0400" <= c <= "\u04ff" for c in paragraph)
        if count < MIN_LETTERS:
            continue
        words = [w.lower() for w in _WORD.findall(paragraph)]
        letters[_cyrillic_language(words, paragraph)[0]] += count
    total = sum(letters.values())
    return {lang: n / total for lang, n in letters.items()} if total else {}
