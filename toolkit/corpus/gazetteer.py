"""A gazetteer of East Slavic names and places for Latin-script text, read from pymorphy3's dictionary.

The small English NER model does not know most Belarusian, Russian or Ukrainian surnames and towns, and
a name it does not tag was simply not found ("Svetlana Markevich said..." left as it is). pymorphy3 (a
dependency, offline) tags a Russian dictionary's words ``Name`` (given names), ``Surn`` (surnames),
``Patr`` (patronymics) and ``Geox`` (place names), tens of thousands of them. A Latin-script word is
transliterated back to Cyrillic in each plausible way ("Zhuravleva" -> "журавлева"; "h" may be "г" or
"х") and looked up: :func:`latin_tags` says which of those tags any reading has.

The tags alone are weak evidence (an English word can read as a rare Russian surname), so
:func:`candidate_spans` proposes a span only with a second piece of evidence: a given name followed by a
capitalised word, a surname's ending, a place word or preposition before a dictionary place. The
detector then filters and types the candidates like NER spans (:mod:`toolkit.corpus.deid`).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

__all__ = ["candidate_spans", "latin_tags"]

# Latin letter groups -> Cyrillic alternatives, longest first (BGN/PCGN, passport and Polish-style spellings).
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (latin, tuple(cyrillic.split("|")))
    for latin, cyrillic in (
        ("shch", "щ"),
        ("sch", "щ|ш"),
        ("zh", "ж"),
        ("kh", "х"),
        ("ch", "ч"),
        ("sh", "ш"),
        ("sz", "ш"),
        ("cz", "ч"),
        ("ts", "ц"),
        ("tz", "ц"),
        ("ya", "я|ья"),
        ("ia", "ия|ья|я"),
        ("yu", "ю|ью"),
        ("iu", "ию|ью|ю"),
        ("yo", "ё|йо|ье"),
        ("ye", "е|ье"),
        ("yi", "ый|ий|и"),
        ("iy", "ий"),
        ("ii", "ий|ии"),
        ("a", "а"),
        ("b", "б"),
        ("v", "в"),
        ("w", "в"),
        ("g", "г"),
        ("h", "г|х"),
        ("d", "д"),
        ("e", "е|э"),
        ("z", "з"),
        ("i", "и|ы"),
        ("y", "ы|й|и"),
        ("k", "к"),
        ("l", "л"),
        ("m", "м"),
        ("n", "н"),
        ("o", "о"),
        ("p", "п"),
        ("r", "р"),
        ("s", "с"),
        ("t", "т"),
        ("u", "у"),
        ("f", "ф"),
        ("c", "ц|к"),
        ("x", "кс"),
        ("q", "к"),
        ("j", "й"),
    )
)
_MAX_READINGS = 96
_TAGS = frozenset({"Name", "Surn", "Patr", "Geox"})


def _readings(word: str) -> list[str]:
    """The Cyrillic spellings a Latin word may stand for (at most :data:`_MAX_READINGS`); [] if not Latin."""
    lowered = word.lower()
    pieces: list[tuple[str, ...]] = []
    i = 0
    while i < len(lowered):
        for latin, cyrillic in _RULES:
            if lowered.startswith(latin, i):
                pieces.append(cyrillic)
                i += len(latin)
                break
        else:
            return []
    return ["".join(combo) for combo in itertools.islice(itertools.product(*pieces), _MAX_READINGS)]


@lru_cache(maxsize=20_000)
def latin_tags(word: str) -> frozenset[str]:
    """Which of Name, Surn, Patr, Geox a dictionary word spelt like ``word`` (Latin letters) carries.

    Only words the dictionary knows count (pymorphy3's guesses for unknown words do not).

    Example:
        >>> sorted(latin_tags("Zhuravleva")), sorted(latin_tags("Orsha")), sorted(latin_tags("Wednesday"))
        (['Surn'], ['Geox'], [])
    """
    from toolkit.corpus.deid_ru import _morph

    morph = _morph()
    if morph is None or len(word) < 3 or not word.isalpha() or not word.isascii():
        return frozenset()
    found: set[str] = set()
    for reading in _readings(word):
        for parse in morph.parse(reading):
            if parse.is_known and parse.score >= 0.05:
                found |= _TAGS & set(str(parse.tag).replace(" ", ",").split(","))
    return frozenset(found)


_CAP_WORD = re.compile(r"(?<![\w'’@.-])[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?![\w@-])")
_SURNAME_ENDING = re.compile(
    r"(?:chuk|chyk|enko|ienko|vich|vych|ovich|evich|sky|skiy|skaya|ska|ski|tsky|tskaya|yuk|iuk|uk|ov|ova|ev|eva|"
    r"in|ina|yn|yna|ko|ets|ik|ak)$",
    re.IGNORECASE,
)
_PLACE_WORDS_AFTER = re.compile(r"\s+(?:district|region|raion|rayon|oblast|village|selsoviet)\b", re.IGNORECASE)
_PLACE_WORDS_BEFORE = re.compile(
    r"\b(?:village|town|city|settlement|hamlet|township)\s+(?:of\s+|called\s+|named\s+)?$", re.IGNORECASE
)
_PLACE_PREPOSITION = re.compile(r"\b(?:in|from|near|outside|to|around|at|of)\s+(?:the\s+)?$", re.IGNORECASE)
_PLACE_ONLY_PREPOSITION = re.compile(r"\b(?:in|from|near|outside)\s+$", re.IGNORECASE)
"""Before a word that is both a given name and a place ("Lida"), only these make it the place."""
_HOME_BEFORE = re.compile(
    r"\b(?:live|lives|lived|living|born|grew up|come|comes|came|moved|returned|went back|go back)"
    r"(?:\s+(?:on|in)\s+[\w ]{3,25}?\d{4},?)?\s+(?:in|to|from|back to)\s+$",
    re.IGNORECASE,
)
"""Where someone lives, was born, comes from: the capitalised word after it is a place."""
_NOT_NAMES = frozenset(
    """
    january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday christmas easter lent ramadan pentecost trinity god lord mum mom
    dad mama papa internet mr mrs ms miss dr pan pani frau herr auntie aunt uncle
    """.split()
)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """Words never taken for a name: spaCy's English stop words and :data:`_NOT_NAMES`.

    "And", "Will" or "Here" read as Russian given names ("Анд", "Вилл", "Хере"); "And Viktor" is not a name.
    """
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | _NOT_NAMES


_KIN_BEFORE = re.compile(
    r"\b(?:mr|mrs|ms|miss|dr|auntie|aunt|uncle|pan|pani|grandma|granny|grandpa|friend|brother|sister|cousin|"
    r"wife|husband|son|daughter|neighbour|neighbor|colleague|boss|girl|boy|girls|boys)\.?,?\s+$",
    re.IGNORECASE,
)
_NAME_BEFORE = re.compile(
    r"(?:\b(?:my name is|name was|name is|i am called|called|named|by the name of|surname is|surname was|"
    r"pseudonym|nickname)|\b(?:thank you|thanks),)\s+$",
    re.IGNORECASE,
)


def candidate_spans(text: str, given_names: frozenset[str] = frozenset()) -> list[tuple[int, int, str]]:
    """Person and place spans the gazetteer and its cues propose in Latin-script text: ``(start, end, type)``.

    ``given_names``: lower-case given names known without the dictionary (the detector's list).

    * a given name (listed, or a dictionary ``Name``) and one or two capitalised words after it whose
      readings are surnames or patronymics, or end like one: a person ("Anatoly Ivanovich Kireev");
    * a capitalised word inside a sentence that reads as a dictionary surname and ends like one: a person;
    * a listed given name (``given_names``) and a capitalised word after it that is no stop word, place,
      firm or street word: a person ("Artur Sheleg");
    * a capitalised word after "my name is", "called", "named", "the pseudonym", "Thank you,": a person;
    * a capitalised word after "the village of" / "town of", or before "district" / "region": a place;
    * a dictionary place after "in", "from", "near"...: a place;
    * else a listed given name after a title or a word for a person, or followed by one ("Zhenya, a
      neighbour's daughter,"): a person ("Uncle Tolya drove").

    Example:
        >>> candidate_spans("We talked to Oksana Tkachuk from Stolin.")
        [(13, 27, 'person'), (33, 39, 'place')]
    """
    from toolkit.corpus.deid import _PERSON_APPOSITION_AFTER, LARGE_PLACES, _plain_word, _sentence_initial

    words = list(_CAP_WORD.finditer(text))
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        first = words[i]
        word = first.group()
        if word.lower() in _stop_words():
            i += 1
            continue
        before = text[max(0, first.start() - 40) : first.start()]
        tags = latin_tags(word)
        given = word.lower() in given_names or "Name" in tags
        j = i + 1
        while (
            given
            and j < len(words)
            and j - i < 3
            and text[words[j - 1].end() : words[j].start()] == " "
            and words[j].group().lower() not in _stop_words()
            and (
                {"Surn", "Patr"} & latin_tags(words[j].group())
                or _SURNAME_ENDING.search(words[j].group())
                or words[j].group().lower() in given_names
                # a listed given name and any capitalised word that is not a place, firm or stop word
                or (j == i + 1 and word.lower() in given_names and _plain_word(words[j].group(), LARGE_PLACES))
                or (j - i == 2 and "Patr" in latin_tags(words[j - 1].group()))  # given, patronymic, any surname
            )
        ):
            j += 1
        if j > i + 1:
            spans.append((first.start(), words[j - 1].end(), "person"))
            i = j
            continue
        initial = _sentence_initial(text, first.start())
        if _NAME_BEFORE.search(before):
            spans.append((first.start(), first.end(), "person"))
        elif (
            _PLACE_WORDS_BEFORE.search(before)
            or _PLACE_WORDS_AFTER.match(text, first.end())
            or _HOME_BEFORE.search(text[max(0, first.start() - 60) : first.start()])
        ):
            spans.append((first.start(), first.end(), "place"))
        elif not initial and "Surn" in tags and _SURNAME_ENDING.search(word) and "Geox" not in tags:
            spans.append((first.start(), first.end(), "person"))
        elif "Geox" in tags and (
            _PLACE_ONLY_PREPOSITION.search(before) or (_PLACE_PREPOSITION.search(before) and not given)
        ):
            spans.append((first.start(), first.end(), "place"))
        elif word.lower() in given_names and (
            _KIN_BEFORE.search(before) or _PERSON_APPOSITION_AFTER.match(text, first.end())
        ):
            spans.append((first.start(), first.end(), "person"))  # "Uncle Tolya drove", "my friend Vika"
        i += 1
    return spans
