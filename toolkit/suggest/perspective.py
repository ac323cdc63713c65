"""A story told about a survivor read as the survivor's own words: third-person narration put in the first person.

Why: published survivor stories are often case studies and news reports ("Larisa, 43, has been hard of hearing
since birth ...") while the codebook's examples, and every coded interview, are in the first person. The same
sentence in the third person scored far lower: on the sentence above, trained on the sample interviews,
``root_cause.disability`` 0.21 against 0.89 for "I have been hard of hearing since birth ..." (the codebook
alone 0.43 against 1.00). The model reads the first-person version; people see the text as written.

Only the narration is changed: quoted words (already the person's own) stay as they are. A text counts as a
third-person narrative when, outside quotes, its third-person singular pronouns outnumber its first-person
ones (at least ``MIN_THIRD_PERSON`` of them). English only: other languages are returned unchanged.
On 40 statements in published styles (``sample_data/statements_dev/published.jsonl``), trained on the sample
interviews: micro-F1 0.747 -> 0.794, news reports 0.667 -> 0.878 (``bench/README.md``, twenty-first session).

Written here because no library puts a narrative in the first person. "her" is read as "me" or "my" from the
next word; spaCy's tags agree on 55 of the 63 in that set, so the tagger is not run for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["MIN_THIRD_PERSON", "first_person", "in_first_person", "protagonists", "third_person_narrative"]

MIN_THIRD_PERSON = 2

_FIRST = {"i", "me", "my", "mine", "myself"}
_FEMALE = {"she", "her", "hers", "herself"}
_MALE = {"he", "him", "his", "himself"}
_THIRD = _FEMALE | _MALE
_QUOTED = re.compile(r"(?<!\w)['\u2018\u201c\"](?=\S)(?:[^'\"\u2019\u201d]|'(?=\w))*?(?<=\S)['\u2019\u201d\"](?!\w)")
_WORD = re.compile(r"\[[A-Z]+_\d+\]|[A-Za-z\u00c0-\u024f]+(?:'[a-z]+)?|\S")
# "Larisa, 43," / "[PERSON_3], 43,": the person a case study is about
_NAME = r"\[PERSON_\d+\]|[A-Z][a-z\u00e0-\u024f]+"
_NAMED_WITH_AGE = re.compile(rf"({_NAME})(?:\s+[A-Z][a-z\u00e0-\u024f]+)?,\s+(?:aged\s+)?\d{{2}},")
# after "her": an object pronoun (me) when a determiner, preposition, punctuation or conjunction follows
_AFTER_OBJECT = {
    "a", "an", "the", "that", "this", "to", "at", "in", "on", "for", "from", "with", "by", "about", "and", "or",
    "but", "as", "if", "when", "because", "so", "into", "of", "up", "out", "back", "away", "down", "off", "again",
    "there", "here", "later", "home", "what", "how", "why", "where", "not", "too", "alone", "money", "nothing",
    "its", "their", "our", "your", "his", "some", "any", "all", "it", "them", "one", "something", "anything",
    "everything", "everyone", "nobody", "somebody", "whether", "who", "which",
}  # fmt: skip
_VERB_AFTER_I = {
    "has": "have", "is": "am", "does": "do", "says": "say", "said": "said", "works": "work", "lives": "live",
    "remembers": "remember", "recalls": "recall", "explains": "explain", "adds": "add", "wants": "want",
    "hopes": "hope", "attends": "attend", "studies": "study", "helps": "help", "believes": "believe",
    "knows": "know", "thinks": "think", "feels": "feel", "tells": "tell", "admits": "admit", "plans": "plan",
}  # fmt: skip
_DIRECT = {"she": "I", "he": "I", "him": "me", "his": "my", "hers": "mine", "herself": "myself", "himself": "myself"}


def _narration_words(text: str) -> list[str]:
    """The words outside quotes, lower-cased: the narrator's, not the person's own."""
    return [w.lower() for w in _WORD.findall(_QUOTED.sub(" ", text))]


def _is_narrative(words: list[str]) -> bool:
    third = sum(w in _THIRD for w in words)
    return third >= MIN_THIRD_PERSON and third > sum(w in _FIRST for w in words)


def third_person_narrative(text: str) -> bool:
    """Whether ``text`` tells someone's story in the third person (pronouns outside quotes; English only)."""
    return _is_narrative(_narration_words(text))


def protagonists(text: str) -> set[str]:
    """Names introduced with an age, as case studies and news reports introduce the person ("Olena, 34,")."""
    return {match.group(1) for match in _NAMED_WITH_AGE.finditer(text)}


def _rewrite(span: str, names: set[str], pronouns: set[str]) -> str:
    span = _NAMED_WITH_AGE.sub(lambda m: m.group(1) if m.group(1) in names else m.group(0), span)
    tokens = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(span)]
    out: list[str] = []
    last, previous_was_i = 0, False
    for k, (token, start, end) in enumerate(tokens):
        lower, replacement = token.lower(), None
        if token in names:  # "Larisa's" is one token, not a name: left as it is
            replacement = "I"
        elif previous_was_i and lower in _VERB_AFTER_I:
            replacement = _VERB_AFTER_I[lower]
        elif lower not in pronouns:
            pass
        elif lower in _DIRECT:
            replacement = _DIRECT[lower]
        elif lower == "her":
            following = tokens[k + 1][0].lower() if k + 1 < len(tokens) else "."
            replacement = "me" if (following in _AFTER_OBJECT or not following[0].isalpha()) else "my"
        if replacement is not None:
            if replacement and token[0].isupper() and replacement != "I":
                replacement = replacement[0].upper() + replacement[1:]
            out.append(span[last:start])
            out.append(replacement)
            last = end
        previous_was_i = replacement == "I"
    out.append(span[last:])
    return "".join(out)


def _narrator_pronouns(words: list[str]) -> set[str]:
    """The protagonist's pronouns: the gender named more often outside quotes (the other one is other people)."""
    return _FEMALE if sum(w in _FEMALE for w in words) >= sum(w in _MALE for w in words) else _MALE


def first_person(text: str, names: Sequence[str] | set[str] = (), pronouns: set[str] | None = None) -> str:
    """The narration of ``text`` in the first person, quotes kept; ``names``: the protagonist's names.

    ``pronouns``: the protagonist's (by default those of the gender ``text`` names more often).

    Example:
        >>> first_person("Larisa, 43, has lost her job, and a man offered her a job. 'I trusted him,' she says.",
        ...              {"Larisa"})
        "I have lost my job, and a man offered me a job. 'I trusted him,' I say."
    """
    names = set(names)
    pronouns = _narrator_pronouns(_narration_words(text)) if pronouns is None else pronouns
    pieces, last = [], 0
    for match in _QUOTED.finditer(text):
        pieces.append(_rewrite(text[last : match.start()], names, pronouns))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(_rewrite(text[last:], names, pronouns))
    return "".join(pieces)


def in_first_person(text: str, sentences: Sequence[str]) -> tuple[str, list[str]] | None:
    """``text`` and its sentences with the narration in the first person; None unless a third-person narrative.

    The protagonist (names introduced with an age, and the gender's pronouns) is read from the whole text, so
    that every sentence is rewritten alike.
    """
    words = _narration_words(text)
    if not _is_narrative(words):
        return None
    names, pronouns = protagonists(text), _narrator_pronouns(words)
    return first_person(text, names, pronouns), [first_person(s, names, pronouns) for s in sentences]
