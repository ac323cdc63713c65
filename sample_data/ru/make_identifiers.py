"""Write ``identifiers.csv`` for the Russian translations by locating the English corpus's identifiers.

The Russian transcripts translate the English ones turn by turn, with every invented identifier carried
over: phones and e-mails unchanged, dates of birth in Russian words ("4 February 1986" -> "4 февраля 1986"),
names, places and firms transliterated into Cyrillic and inflected ("Kalinkavichy" -> "в Калинковичах",
"Andrei Kovalchuk" -> "Андрея Ковальчука"). For each row of ``../identifiers.csv`` the script:

* phones, e-mails: looks for the same string (phones also by their digits, whatever the spacing);
* dates of birth: the day, the Russian genitive month name and the year;
* names, places, firms: romanises every Cyrillic (or Latin) word of the transcript and takes a run of
  consecutive words, the first capitalised, that match the English words one by one (same first two letters,
  three for a one-word name of up to five letters, and a close romanised stem: ``difflib`` ratio
  >= 0.75 over the English word's length, so case endings do not
  matter); each distinct surface run becomes a row, so one identifier can give several inflected rows.

A listed identifier that it cannot locate is printed (``MISSING``) and left out; the printed list was read
by a person and the rules above were not changed to force matches. Usage:
``python sample_data/ru/make_identifiers.py`` (rewrites ``identifiers.csv``, and
``bench/deid_unlisted_ru.csv`` from ``bench/deid_unlisted.csv`` the same way; ``--check`` only prints).
"""

from __future__ import annotations

import csv
import difflib
import itertools
import re
import sys
from pathlib import Path

from toolkit.io.transcripts import read_transcript

HERE = Path(__file__).resolve().parent
ENGLISH = HERE.parent / "identifiers.csv"
UNLISTED = HERE.parent.parent / "bench" / "deid_unlisted.csv"
UNLISTED_RU = HERE.parent.parent / "bench" / "deid_unlisted_ru.csv"
MONTHS = {
    "january": "января", "february": "февраля", "march": "марта", "april": "апреля", "may": "мая",
    "june": "июня", "july": "июля", "august": "августа", "september": "сентября", "october": "октября",
    "november": "ноября", "december": "декабря",
}  # fmt: skip
ROMAN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіў",
        "a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya i u".split(),
        strict=True,
    )
)
WORD = re.compile(r"[^\W\d_][\w'’]*(?:-[^\W\d_][\w'’]*)*")


def romanise(word: str) -> str:
    """A Cyrillic word in Latin letters, close to the English corpus's spelling (soft and hard signs dropped)."""
    return "".join(ROMAN.get(c, c) for c in word.lower()).replace("_", "")


def spellings(english: str) -> set[str]:
    """An English word and its Russian-style spellings.

    The translation writes Belarusian names the Russian way: Belarusian ``h`` is Russian ``g``
    (Halina -> Галина), ``ia`` is ``e`` (Siarhei -> Сергей),
    an initial ``a`` is ``o`` (Asipovichy -> Осиповичи), and so may be any ``a`` (Salihorsk -> Солигорск);
    an initial ``dz`` is ``д`` (Dzmitry -> Дмитрий); ``eu`` is ``ев`` and a hard ``c`` is ``к`` (Euro-Trud
    Consult -> Евро-Труд Консалт).
    """
    word = english.lower()
    russian = re.sub(r"^a", "o", word.replace("h", "g").replace("kg", "kh").replace("zg", "zh").replace("ia", "e"))
    russian = re.sub(r"c(?![hk])", "k", russian.replace("sg", "sh").replace("cg", "ch"))
    russian = re.sub(r"^dz", "d", russian).replace("eu", "ev")
    return {word, russian, russian.replace("a", "o")}


def close(english: str, russian: str, alone: bool = False) -> bool:
    """Whether a Russian word form renders one English word (its stem, any case ending)."""
    b = romanise(russian)
    for a in spellings(english):
        same = 3 if alone and len(a) <= 5 else 2  # a short name alone: more of its start must agree
        if a and b and a[:same] == b[:same] and difflib.SequenceMatcher(None, a, b[: len(a)]).ratio() >= 0.75:
            return True
    return False


def locate_words(text: str, string: str) -> set[str]:
    """The surface runs in ``text`` that render the English name ``string`` word by word."""
    parts = [p for p in re.split(r"[\s]+", string.replace(" Sp. z o.o.", "")) if p]
    words = list(WORD.finditer(text))
    found: set[str] = set()
    for i in range(len(words) - len(parts) + 1):
        run = words[i : i + len(parts)]
        if not run[0].group()[:1].isupper():  # "Белая лагуна": only the first word is capitalised
            continue
        if all(
            close(re.sub(r"\W", "", p), re.sub(r"\W", "", w.group()), len(parts) == 1)
            for p, w in zip(parts, run, strict=True)
        ):
            gaps = [text[a.end() : b.start()] for a, b in itertools.pairwise(run)]
            if all(re.fullmatch(r"[\s\"«»]{1,3}", g) for g in gaps):
                found.add(text[run[0].start() : run[-1].end()])
    return found


def locate(text: str, string: str, type_: str) -> set[str]:
    """Every surface form of one English identifier in the Russian text."""
    if type_ in ("email", "id_number"):
        return {string} if string in text else set()
    if type_ == "phone":
        digits = re.sub(r"\D", "", string)
        out = set()
        for match in re.finditer(r"\+?\(?\d[\d\s().\-]{5,22}\d", text):
            if re.sub(r"\D", "", match.group()) == digits:
                out.add(match.group())
        return out
    if type_ == "date_of_birth":
        match = re.fullmatch(r"(\d{1,2}) (\w+) (\d{4})", string)
        if match:
            day, month, year = match.groups()
            russian = f"{day} {MONTHS[month.lower()]} {year}"
            return {russian} if russian in text else set()
        return {string} if string in text else set()
    forms = locate_words(text, string)
    suffix = " Sp. z o.o."  # a Polish firm keeps its legal form in Latin letters
    if string.endswith(suffix):
        forms = {f + suffix if f + suffix in text else f for f in forms}
    return forms


def write_unlisted(texts: dict[str, str]) -> None:
    """``bench/deid_unlisted_ru.csv``: the names that ``bench/deid_unlisted.csv`` adjudicates, located alike."""
    rows = []
    with UNLISTED.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            forms = locate(texts[row["document"]], row["string"], row["type"])
            if not forms:
                print(f"MISSING (unlisted) {row['document']} {row['string']!r}")
            rows += [{**row, "string": form, "english": row["string"]} for form in sorted(forms)]
    if "--check" not in sys.argv:
        with UNLISTED_RU.open("w", encoding="utf-8", newline="") as handle:
            fields = ["document", "string", "type", "english", "why"]
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def main() -> int:
    """Locate, print what is missing, write the file unless ``--check``."""
    texts = {p.stem: read_transcript(p).text for p in sorted((HERE / "transcripts").glob("S*.txt"))}
    write_unlisted(texts)
    rows, missing = [], 0
    with ENGLISH.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            forms = locate(texts[row["document"]], row["string"], row["type"])
            if not forms:
                missing += 1
                print(f"MISSING {row['document']} {row['type']} {row['string']!r}")
            for form in sorted(forms):
                rows.append(
                    {"document": row["document"], "string": form, "type": row["type"], "english": row["string"]}
                )
    print(
        f"{len(rows)} rows for {len({(r['document'], r['english']) for r in rows})} identifiers; {missing} missing"
    )
    if "--check" not in sys.argv:
        with (HERE / "identifiers.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["document", "string", "type", "english"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
