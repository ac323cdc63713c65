"""Personal identifiers in Russian (and Belarusian-flavoured Russian) text: natasha NER plus Russian cues.

:func:`russian_entities` returns the name, place and organisation :class:`~toolkit.corpus.deid.Detection`
spans of a Cyrillic text; :class:`~toolkit.corpus.deid.Detector` calls it for documents whose language
is ``ru`` or ``be`` (the English spaCy model finds next to nothing in Cyrillic). Phones, e-mails, dates
of birth, ID numbers and addresses come from :func:`~toolkit.corpus.deid.find_patterns`, whose rules know
the Russian cue words ("телефон", "родилась", "паспорт", "ул.").

* **NER**: `natasha <https://pypi.org/project/natasha/>`_ (slovnet's news NER over navec embeddings;
  the wheel ships its weights, nothing is downloaded) when the optional extra ``russian`` is installed:
  ``pip install 'survivor-qda[russian]'``. Without it the cue rules below run alone and
  :data:`NATASHA_MISSING` is the warning the detector reports.
* **Cues** (always): "меня зовут X", a first name with a patronymic (-ович, -овна, -евич, -евна, -ична),
  "деревня / село / город / посёлок X", and a firm's name after "фирма", "компания", "агентство",
  "сауна"... or written like one (``СтройМонтаж``, ``Текстиль-Стандарт``, ``ООО «...»``, ``ИП Мамедов``),
  a «Quoted Name» the interview repeats or puts after "горячая линия", "центр", "назывался"; a place named
  before what it is ("Рогачёв, это город") or after "в"/"из"/"под" when the dictionary reads it as a place;
  a name after a relative ("к тёте Вале") is a person. A name's mentions take their majority type.
* **Other mentions**: Russian names inflect ("Андрей", "Андрея", "Андреем"), so every capitalised word is
  compared by its lemma (pymorphy3) with the words of the names found, and a lone first name or surname
  of a person found counts as that person.
* **Pseudonym keys**: :func:`lemma_key` gives every inflected form of a name one key, so "Андрея
  Ковальчука" and "Андрей Ковальчук" are one person in the whole project. A Latin and a Cyrillic spelling
  of one name ("Andrei Kovalchuk", "Андрей Ковальчук") get different keys, hence different pseudonyms: a
  reviewer who knows they are one person merges them by adding the one as the other.

Places as large as a regional centre (Минск, Гомель, Москва, Варшава), countries and nationalities are
kept, as in English text.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = [
    "NATASHA_MISSING",
    "lemma_key",
    "natasha_available",
    "russian_entities",
    "russian_lemma",
]

NATASHA_MISSING = (
    "Russian names, places and firms are found by cue rules only (recall is lower): install the Russian "
    "NER with `pip install 'survivor-qda[russian]'` (natasha), then run `qda deid apply` again"
)

_CYR = "А-ЯЁа-яёІіЎў"
_CAP = rf"[А-ЯЁІЎ][{_CYR}'’]*(?:-[А-ЯЁІЎ][{_CYR}'’]*)?"
_PATRONYMIC_RU = re.compile(r"(?:ович|евич|ьич|овна|евна|ична|инична)(?:а|у|ем|е|ы|ой|ою)?$", re.IGNORECASE)
_NAME_CUE = re.compile(
    rf"(?:[Мм]еня\s+зовут|[Зз]овут|[Зз]вали|[Пп]о\s+имени|[Пп]о\s+фамилии|[Фф]амилия|[Ии]мя|[Мм][ея]не\s+завуць|[Зз]авуць|[Пп]а\s+прозвішчы)"
    rf"[\s:—-]+({_CAP}(?:\s+{_CAP}){{0,2}})"
)
_PATRONYMIC_NAME = re.compile(
    rf"(?<![{_CYR}])({_CAP}\s+[А-ЯЁ][а-яё]+(?:ович|евич|ьич|овна|евна|ична|инична)(?:а|у|ем|е|ы|ой)?"
    rf"(?:\s+{_CAP})?)(?![{_CYR}])"
)
_PLACE_NOUNS = (
    r"(?:деревн[яеиюёй]|деревушк[аеиу]|сел[оаеу]|сёл|посёл[оо]?к[а-я]*|поселк[а-я]+|пос\.|пгт|д\.|г\.|"
    r"город[а-я]*|городок|городк[а-я]+|райцентр[а-я]*|агрогород[а-я]*|хутор[а-я]*|вёск[аеіуі]|вёсц[ы]|"
    r"мястэчк[а-я]*|местечк[а-я]*|район[а-я]*|станци[яиюей]|вёсц[а-яі]*|вёск[а-яі]*|горад[а-яі]*|пасёл[а-яі]*)"
)
_PLACE_CUE = re.compile(rf"(?<![{_CYR}])(?i:{_PLACE_NOUNS})\s+(?:под\s+)?({_CAP})")
_NEAR_CUE = re.compile(
    rf"(?<![{_CYR}])(?:ля|каля|паблізу|недалёка ад|под|около|возле|недалеко от|неподалёку от)\s+({_CAP})(?![{_CYR}])"
)
"""Near a place ("ля Ляхавіч", "под Дятлово"); the word is a place unless the dictionary calls it a given name."""
_DISTRICT_CUE = re.compile(
    rf"(?<![{_CYR}])([А-ЯЁІЎ][{_CYR}]+?ь?[сц]к(?:ий|ого|ому|ом|ой|ая|ую|і|ага|аму|ім|ай))\s+"
    rf"(?i:район|раён|сельсовет|сельсавет)[{_CYR}]*"
)
"""A district named after its town ("Кобрынскага раёна", "Лунинецкого района"): the town's adjective is a place."""
_ORG_NOUNS = (
    r"(?:фирм[аыеуойю]*|компани[яиюей]*|агентств[оауеом]*|организаци[яиюей]*|сауна|сауны|сауне|сауну|клуб[а-я]*|"
    r"бар[а-я]*|салон[а-я]*|студи[яиюей]|отел[а-я]*|гостиниц[а-я]*|ресторан[а-я]*|кафе|магазин[а-я]*|"
    r"завод[а-я]*|фабрик[а-я]*|предприяти[а-я]*|хозяйств[а-я]*|колхоз[а-я]*|совхоз[а-я]*|"
    r"кооператив[а-я]*|теплиц[а-я]*|комбинат[а-я]*|ООО|ОАО|ЗАО|ЧУП|ИП|УП|ОДО)"
)
_ORG_NOUNS_QUOTED = (
    r"(?:центр[а-я]*|фонд[а-я]*|объединени[а-я]*|лини[яиюей]|цех[а-я]*|[а-я]*завод[а-я]*|ателье|агентств[а-я]*|"
    r"движени[а-я]*|приют[а-я]*|общежити[а-я]*|пансионат[а-я]*|столов[а-я]*|пекарн[а-я]*|мастерск[а-я]*)"
)
"""Nouns that name a firm or an NGO only before a quoted name ("горячую линию «Ясный путь»", "центр «Надежда»"):
before a capitalised word they are mostly something else ("в центре Пинска")."""
_ORG_CUE = re.compile(
    rf"(?<![{_CYR}])(?i:{_ORG_NOUNS}|{_ORG_NOUNS_QUOTED})(?:\s+[а-яё]+)?(?:\s+(?:называл[аи]?сь|называется|под\s+названием))?"
    rf"\s*[«\"“]([^»\"”\n]{{2,40}})[»\"”]"
    rf"|(?<![{_CYR}])(?i:называл(?:ся|ась|ось|ись)|называется|назывались)\s*[«\"“]([^»\"”\n]{{2,40}})[»\"”]"
    rf"|(?<![{_CYR}])(?i:{_ORG_NOUNS})\s+({_CAP}(?:\s+{_CAP})?)"
)
_ORG_SHAPE = re.compile(
    rf"(?<![{_CYR}\w])([А-ЯЁ][а-яё]+[А-ЯЁ][а-яё]+(?:-[А-ЯЁA-Z][а-яёa-z]*)?(?:\s[А-ЯЁ][а-яё]+)?)(?![{_CYR}\w])"
)
"""A firm written like one: ``СтройМонтаж-Инвест``, ``ТрудРесурс Плюс`` (a capitalised word after it belongs to it)."""
_QUOTED_NAME = re.compile(r"(?<![:\w])\s*[«“\"]([А-ЯЁІЎA-Z][^«»“”\"\n.!?:;,]{1,40})[»”\"]")
"""A capitalised name in quotation marks: a firm's, an NGO's, a venue's, when it comes back (see below)."""
_LATIN_NAME = re.compile(
    r"(?<![\w@.])([A-Z][a-z]+(?:[A-Z][a-z]+)*(?:-[A-Z][a-z]+)*(?:\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)*){0,3})(?![\w@])"
)
"""In Russian text, words in Latin letters are a firm's or a venue's name (``Agro-Pak``, ``Aurora Lounge``)."""
_PLACE_AFTER = re.compile(
    rf"(?<![{_CYR}])(?:в|во|из|под|около|возле|недалеко от|рядом с|до|за)\s+"
    rf"([А-ЯЁ][а-яё]+(?:ичах|ичи|ичей|ичам|ске|ска|ск|ском|ове|ова|ово|ево|ино|ине|ина|ье|ья|це|цы|ца|ке|ки|ка|ках|"
    rf"ине|ыне|ани|ани|ах)(?:-[А-ЯЁ][а-яё]+)?)(?![{_CYR}])"
)
"""A capitalised word with a Russian place-name ending after "в", "из", "под"...: ``в Калинковичах``."""
_PLACE_APPOSITION_RU = re.compile(
    rf"(?<![{_CYR}])({_CAP}),?\s+(?:—\s+|-\s+)?(?:это\s+)?(?:(?:маленьк|небольш|больш)[а-я]+\s+)?"
    rf"(?:город|городок|деревня|село|посёлок|поселок|агрогородок|райцентр|местечко|вёска|горад)(?![{_CYR}])"
)
"""A place named before what it is: "Из Рогачёва, это город на Днепре", "Мотоль — большая деревня"."""
_PLACE_PREPOSITION_RU = re.compile(
    rf"(?<![{_CYR}])(?:[Вв]о?|[Ии]з|[Пп]од|[Оо]коло|[Вв]озле|[Дд]о)\s+({_CAP})(?![{_CYR}])"
)
"""A capitalised word after "в", "из", "под"... whose likeliest reading in the dictionary is a place name
(and no reading a person's name): "из Рогачёва". Big cities and countries are kept later."""
_KIN_BEFORE_RU = re.compile(
    rf"(?<![{_CYR}])(?i:тёт[яиеюй]|тет[яиеюй]|дяд[яиеюь]|бабушк[аиеуой]|дедушк[аиеуой]|баб[аеуы]|брат[аеуом]?|"
    rf"сестр[аыеуой]|подруг[аиеуой]|друг[ауом]?|сосед[аеуом]?|соседк[аиеуой]|пан[аиу]?|пани|мам[аыеуой]|пап[аыеуой]|"
    rf"муж[аеуем]?|жен[аыеуой]|сын[аеуом]?|доч[ьке]|дочк[аиеуой]|цёц[яі]|дзядз[ька])\s+$"
)
"""A relative, a friend or "пан"/"пани" before a word: the word is a person's name."""
_HYPHENATED = re.compile(rf"^[А-ЯЁ][{_CYR}]+-[А-ЯЁ][{_CYR}]+$")
_STATE_BODIES = frozenset(
    "министерство правительство посольство консульство прокуратура милиция полиция департамент".split()
)
_REGION_WORDS = frozenset({"область", "край", "республика", "воеводство", "губерния", "округ"})

# Words a Russian NER or a capital letter makes look like a name and that never identify anyone.
NEVER_RU = frozenset(
    """
    интервьюер респондент участница участник бог господи господь спасибо дзякуй вёска бульба хата
    вайбер viber ватсап телеграм инстаграм фейсбук вконтакте одноклассники гугл интернет скайп тикток
    ютуб евро доллар рубль злотый covid ковид мвд омон кгб европа азия африка
    министерство правительство посольство консульство прокуратура милиция полиция
    даследчыца даследчык удзельніца удзельнік інтэрв'юер рэспандэнт рэспандэнтка
    ён яна яно яны ці гэта гэты гэтая той тая але калі каб бо таму што як дзе там тут мяне мне вы мы
    і ды ўсё усё не так вось яшчэ потым цяпер таксама нават нешта нехта знаёмая знаёмы суседка сусед
    """.split()
)
"""Lower-case words and lemmas never a name: the interview's vocabulary, and Belarusian pronouns and
particles natasha (a Russian model) tags at the start of a sentence ("Ён", "Ці")."""
_NEVER_LATIN = frozenset(
    "viber whatsapp telegram instagram facebook vk vkontakte odnoklassniki google internet skype tiktok youtube "
    "covid euro ok okay".split()
)
COUNTRIES_RU = frozenset(
    """
    беларусь белоруссия россия украина польша литва латвия эстония германия чехия словакия венгрия
    австрия италия испания франция англия великобритания британия турция израиль оаэ эмираты китай
    казахстан грузия армения азербайджан молдова молдавия румыния болгария сербия греция кипр финляндия
    швеция норвегия дания нидерланды голландия бельгия швейцария португалия америка сша канада
    ирландия шотландия египет таиланд тайланд япония корея индия вьетнам узбекистан таджикистан
    киргизия кыргызстан туркмения туркменистан монголия ссср евросоюз эмират
    """.split()
)
LARGE_PLACES_RU = frozenset(
    """
    минск брест гродно гомель могилёв могилев витебск москва петербург санкт-петербург питер
    новосибирск екатеринбург казань нижний новгород челябинск самара омск ростов уфа красноярск
    воронеж пермь волгоград краснодар саратов тюмень смоленск брянск калининград псков тверь кострома
    ярославль калуга тула рязань иваново курск белгород орёл орел липецк тамбов пенза мурманск
    архангельск сочи иркутск владивосток хабаровск подмосковье
    варшава краков лодзь вроцлав познань гданьск щецин люблин белосток катовице быдгощ
    вильнюс каунас клайпеда рига таллин таллинн киев харьков одесса львов днепр кишинёв кишинев
    берлин мюнхен гамбург франкфурт прага вена будапешт братислава бухарест софия белград афины рим
    милан париж лондон мадрид барселона лиссабон амстердам брюссель стокгольм осло копенгаген хельсинки
    стамбул анкара анталья дубай абу-даби тель-авив каир пекин токио нью-йорк
    сибирь урал кавказ крым полесье донбасс прибалтика поволжье кубань скандинавия балканы
    """.split()
)
"""Lemmas of capitals, regional centres and big cities, kept like :data:`~toolkit.corpus.deid.LARGE_PLACES`."""
_LARGE_BELARUSIAN = re.compile(
    r"^(?:мінск|брэст|брэсц|гомел|гомл|магілё[ўв]|магілев|віцебск|гродн|горадн)", re.IGNORECASE
)
"""The regional centres in Belarusian spelling, any case ending (pymorphy3 knows Russian only): "у Брэсце"."""
_DEMONYM_RU = re.compile(
    r"^(?:[а-яё]+(?:ский|ская|ское|ские|ского|ской|цкий|цкая))$|^(?:бел[ао]рус|русск|поляк|литов|украин|немец|"
    r"немк|турок|турчанк|китаец|еврей)",
    re.IGNORECASE,
)
_NATASHA_LABELS = {"PER": "person", "LOC": "place", "ORG": "organisation"}


@lru_cache(maxsize=1)
def _natasha() -> Callable[[str], list[tuple[int, int, str]]] | None:
    """Natasha's segmenter and news NER as ``text -> [(start, end, label)]``; None when not installed."""
    try:
        from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter
    except ImportError:
        return None
    segmenter = Segmenter()
    tagger = NewsNERTagger(NewsEmbedding())

    def run(text: str) -> list[tuple[int, int, str]]:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        return [(span.start, span.stop, span.type) for span in doc.spans]

    return run


def natasha_available() -> bool:
    """True when natasha (the optional extra ``russian``) is installed and its NER loads."""
    return _natasha() is not None


@lru_cache(maxsize=1)
def _morph() -> Any:
    try:
        import pymorphy3
    except ImportError:
        return None
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=20_000)
def russian_lemma(word: str) -> str:
    """The dictionary form of one Russian word, lower case; a name's parse is preferred over a common word's.

    "Андрея" -> "андрей", "Калинковичах" -> "калинковичи". Without pymorphy3: the word less a case ending.

    Example:
        >>> russian_lemma("Ковальчука")
        'ковальчук'
    """
    lowered = word.lower().replace("ё", "е")
    if "-" in lowered:
        return "-".join(russian_lemma(part) for part in lowered.split("-"))
    morph = _morph()
    if morph is None:
        return re.sub(r"(?:ами|ями|ого|его|ому|ему|ой|ей|ом|ем|ах|ях|ую|юю|а|я|у|ю|е|ы|и)$", "", lowered) or lowered
    parses = morph.parse(lowered)
    for parse in parses:
        if {"Name", "Surn", "Patr", "Geox", "Orgn"} & set(str(parse.tag).replace(" ", ",").split(",")):
            return str(parse.normal_form).replace("ё", "е")
    return str(parses[0].normal_form).replace("ё", "е") if parses else lowered


def lemma_key(text: str, type_: str) -> str:
    """The pseudonym key of a Cyrillic name: the lemma of each word, a patronymic left out (when 3+ words).

    Example:
        >>> lemma_key("Андрея Ковальчука", "person") == lemma_key("Андрей Ковальчук", "person")
        True
    """
    words = re.findall(rf"[{_CYR}A-Za-z'’-]+", text)
    lemmas = [russian_lemma(w) for w in words]
    if type_ == "person" and len(words) >= 3:
        lemmas = [
            lem for i, (w, lem) in enumerate(zip(words, lemmas, strict=True)) if i == 0 or not _PATRONYMIC_RU.search(w)
        ]
    return " ".join(lemmas)


def _keep(surface: str, keep_places: frozenset[str], quoted: bool = False) -> bool:
    """True when a surface names nothing identifying: a country, a big city, a nationality, a stop word.

    ``quoted``: the surface stands in quotation marks, where capitals are a firm's name («БЕЛТРАНС»), not
    an acronym or a heading.
    """
    words = re.findall(rf"[{_CYR}\w'’-]+", surface)
    if not words:
        return True
    lemmas = [russian_lemma(w) for w in words]
    joined = " ".join(lemmas)
    if surface.lower() in NEVER_RU or joined in NEVER_RU or all(lem in NEVER_RU for lem in lemmas):
        return True
    if joined in COUNTRIES_RU or joined in LARGE_PLACES_RU or joined in keep_places or surface.lower() in keep_places:
        return True
    if lemmas[0] in _STATE_BODIES:  # "Министерство внутренних дел": a national body identifies nobody
        return True
    if re.match(r"^(?:мор[еяюи]|морем|океан)", words[-1].lower()):  # "Чёрное море": a sea is no small place
        return True
    if lemmas[-1] in _REGION_WORDS or lemmas[0] in _REGION_WORDS:  # a region is as large as a big city
        return True
    if len(words) == 1 and (_LARGE_BELARUSIAN.match(words[0]) or _adjective_of_large(words[0], keep_places)):
        return True
    if len(words) == 2 and _DISTRICT_WORD.match(words[1]) and _adjective_of_large(words[0], keep_places):
        return True  # "Минского района": a big city's district
    cyrillic = [w for w in words if re.search(f"[{_CYR}]", w)]
    if any(len(w) < 2 for w in cyrillic) or (cyrillic and all(w.isupper() for w in cyrillic) and not quoted):
        return True  # a letter ("В", a speaker's "Р"), an acronym or a heading in capitals (РОВД, СИНТЕТИЧЕСКОЕ)
    return len(words) == 1 and bool(_DEMONYM_RU.search(words[0].lower())) and words[0][:1].islower()


_DISTRICT_WORD = re.compile(r"^(?:район|раён|сельсовет|сельсавет)", re.IGNORECASE)


def _adjective_of_large(word: str, keep_places: frozenset[str]) -> bool:
    """True for a place adjective made from a big city ("Минского", "Гомельскага" района): as large as it."""
    match = re.match(rf"^([{_CYR}]+?)(?:ь)?ск(?:ий|ого|ому|ом|ая|ой|ую|і|ага|аму|ім|ая|ай)$", word, re.IGNORECASE)
    if not match:
        return False
    stem = match.group(1).lower()
    return any(
        place.startswith(stem) and len(place) - len(stem) <= 3 for place in LARGE_PLACES_RU | keep_places
    ) or bool(_LARGE_BELARUSIAN.match(stem + "ск"))


@lru_cache(maxsize=20_000)
def _tags(word: str) -> frozenset[str]:
    """pymorphy3's grammemes of the word's likeliest reading (empty without pymorphy3); cached per word."""
    morph = _morph()
    if morph is None:
        return frozenset()
    parses = morph.parse(word.lower())
    return frozenset(str(parses[0].tag).replace(" ", ",").split(",")) if parses else frozenset()


def _dictionary_names(text: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words that pymorphy3 reads as a first name, patronymic or surname, mid-sentence."""
    from toolkit.corpus.deid import _sentence_initial

    spans = []
    words = list(re.finditer(_CAP, text))
    i = 0
    while i < len(words):
        if "Name" not in _tags(words[i].group()):
            i += 1
            continue
        j = i + 1  # a first name, then patronymics and surnames right after it
        while (
            j < len(words)
            and re.fullmatch(r" ", text[words[j - 1].end() : words[j].start()])
            and {"Surn", "Patr"} & _tags(words[j].group())
        ):
            j += 1
        if j - i > 1 or not _sentence_initial(text, words[i].start()):
            spans.append((words[i].start(), words[j - 1].end(), "person"))
        i = j
    return spans


def _cue_spans(text: str, dictionary: bool = False) -> list[tuple[int, int, str]]:
    """Name, place and firm spans from the Russian cue rules (``dictionary``: pymorphy3's names too)."""
    spans: list[tuple[int, int, str]] = []
    for match in _NAME_CUE.finditer(text):
        spans.append((match.start(1), match.end(1), "person"))
    for match in _PATRONYMIC_NAME.finditer(text):
        spans.append((match.start(1), match.end(1), "person"))
    for match in _PLACE_CUE.finditer(text):
        spans.append((match.start(1), match.end(1), "place"))
    for match in _DISTRICT_CUE.finditer(text):
        spans.append((match.start(1), match.end(1), "place"))
    for match in _NEAR_CUE.finditer(text):
        if not {"Name", "Patr"} & _tags(_to_russian_spelling(match.group(1))):
            spans.append((match.start(1), match.end(1), "place"))
    for match in _PLACE_APPOSITION_RU.finditer(text):
        spans.append((match.start(1), match.end(1), "place"))
    for match in _PLACE_PREPOSITION_RU.finditer(text):
        if "Geox" in _tags(match.group(1)) and not {"Name", "Surn", "Patr"} & _tags(match.group(1)):
            spans.append((match.start(1), match.end(1), "place"))
    for match in _ORG_CUE.finditer(text):
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        if match.group(group) and match.group(group)[:1].isupper():
            spans.append((match.start(group), match.end(group), "organisation"))
    for match in _ORG_SHAPE.finditer(text):
        spans.append((match.start(1), match.end(1), "organisation"))
    spans.extend(_repeated_quoted_names(text))
    from toolkit.corpus.deid import _LEGAL_SUFFIX

    for match in _LATIN_NAME.finditer(text):
        end = match.end(1)
        legal = _LEGAL_SUFFIX.match(text, end)
        if legal:
            end = legal.end()
        if len(match.group(1)) >= 3 and match.group(1).lower() not in _NEVER_LATIN:
            spans.append((match.start(1), end, "organisation"))
    if dictionary:  # last: on the same words an explicit cue ("салон «Элеганс»") beats the dictionary's guess
        spans.extend(_dictionary_names(text))
        spans.extend((m.start(1), m.end(1), "place") for m in _PLACE_AFTER.finditer(text))
    return spans


def _repeated_quoted_names(text: str) -> list[tuple[int, int, str]]:
    """«Capitalised names» in quotes that the interview uses at least twice, in any case form: organisations.

    An NGO or a firm is often named in quotes with no firm word before it ("позвонил в Минске, «Безопасный
    путь»"); quoted speech is rarely repeated word for word, and never follows a colon here.
    """
    quoted = [
        m
        for m in _QUOTED_NAME.finditer(text)
        if len(m.group(1).split()) <= 4 and not text[max(0, m.start() - 2) : m.start()].rstrip().endswith(":")
    ]
    counts: dict[str, int] = {}
    for match in quoted:
        key = lemma_key(match.group(1), "organisation")
        counts[key] = counts.get(key, 0) + 1
    return [
        (m.start(1), m.end(1), "organisation") for m in quoted if counts[lemma_key(m.group(1), "organisation")] >= 2
    ]


def _retype(surface: str, label: str) -> str:
    """A patronymic makes a person; a legal form or a firm's shape makes an organisation; else the NER's label.

    A hyphenated name is a firm's ("Текстиль-Стандарт") unless the dictionary knows it as a place
    ("в Наро-Фоминске").
    """
    words = surface.split()
    if len(words) >= 2 and words[0] in _LEGAL_FORMS_RU:
        return "organisation"  # "ИП Мамедов": a sole trader's firm, named after him
    if len(words) >= 2 and any(_PATRONYMIC_RU.search(w) and len(w) > 5 for w in words[1:]):
        return "person"
    if _ORG_SHAPE.fullmatch(surface) or (_HYPHENATED.match(surface) and "Geox" not in _tags(surface)):
        return "organisation"
    return label


_LEGAL_FORMS_RU = frozenset("ИП ООО ОАО ЗАО ПАО АО ЧУП УП ОДО ЧП ТОО СООО ИООО".split())


def _to_russian_spelling(word: str) -> str:
    """A Belarusian word in Russian letters (і -> и, ў -> в, э -> е, ' -> ъ), for the Russian dictionary."""
    return word.translate(_BELARUSIAN_LETTERS)


_BELARUSIAN_LETTERS = str.maketrans({"і": "и", "І": "И", "ў": "в", "Ў": "В", "э": "е", "Э": "Е", "'": "ъ", "’": "ъ"})


def _common_word(word: str) -> bool:
    """True when every reading of ``word`` is a dictionary word that is not a name (Здравствуйте, Соцработница).

    A Belarusian word is looked up in Russian spelling ("Бабулі" -> "бабули"), a reflexive verb also with
    the Russian ending ("Пыталася" -> "пыталась").
    """
    morph = _morph()
    if morph is None:
        return False
    spelled = _to_russian_spelling(word)
    reflexive = re.sub(r"(?<=[аеиоуыэюяё])ся$", "сь", spelled)
    # Belarusian dz/ts where Russian has d/t before a soft vowel: "Дзеці" -> "дети", "цябе" -> "тебе".
    hard = re.sub(r"(?i)дз(?=[еёиюяь])", "д", re.sub(r"(?i)ц(?=[еёиюяь])", "т", spelled)).replace("тя", "те")
    return any(_known_common(variant, morph) for variant in dict.fromkeys((spelled, reflexive, hard)))


def _known_common(word: str, morph: Any) -> bool:
    for part in word.split("-"):
        parses = morph.parse(part.lower())
        if not parses or not all(p.is_known for p in parses):
            return False
        if any({"Name", "Surn", "Patr", "Geox", "Orgn"} & set(str(p.tag).replace(" ", ",").split(",")) for p in parses):
            return False
    return True


def russian_entities(
    text: str, keep_places: frozenset[str] = frozenset(), *, use_ner: bool = True
) -> tuple[list[tuple[int, int, str, str, float]], bool]:
    """Name, place and firm mentions of a Russian text as ``(start, end, type, source, score)``.

    Returns the spans (overlapping ones included; the caller keeps the longest) and whether the NER ran
    (False: natasha is not installed, cue rules only).
    """
    from toolkit.corpus.deid import _sentence_initial, _trim

    ner = _natasha() if use_ner else None
    # The cues first: for the same words, a cue's type ("вёска X": a place) wins over the NER's.
    raw: list[tuple[int, int, str, str, float]] = [
        (s, e, t, "ner", 0.8) for s, e, t in _cue_spans(text, dictionary=ner is None)
    ]
    if ner is not None:
        for start, end, label in ner(text):
            raw.append((start, end, _NATASHA_LABELS.get(label, ""), "ner", 0.85))
    found: list[tuple[int, int, str, str, float]] = []
    votes: dict[str, Counter[str]] = {}
    keys: list[str] = []
    for start, end, type_, source, score in raw:
        if not type_:
            continue
        start, end = _trim(text, start, end)
        if text[start:end].endswith(("o.o", "Ltd", "Inc")) and text[end : end + 1] == ".":
            end += 1  # a legal form's last dot is part of it
        cut = re.search(r"[:\n]", text[start:end])  # a speaker label and the turn's first word
        if cut:
            start, end = _trim(text, start, start + cut.start())
        surface = text[start:end]
        quoted = text[start - 1 : start] in ("«", '"', "“") and text[end : end + 1] in ("»", '"', "”")
        initial = re.search(r"\s[А-ЯЁ]$", surface) if text[end : end + 1] == "." else None
        if initial:  # "Сергей В.": a name and an initial (the letter alone would be dropped below)
            if _keep(surface[: initial.start()], keep_places):
                continue
            end += 1
            surface = text[start:end]
        elif not surface or not surface[:1].isupper() or _keep(surface, keep_places, quoted):
            continue
        if source == "ner" and " " not in surface and _sentence_initial(text, start) and _common_word(surface):
            continue  # a capitalised common word at the start of a sentence
        type_ = _retype(surface, type_)
        if type_ != "person" and _KIN_BEFORE_RU.search(text[max(0, start - 30) : start]):
            type_ = "person"  # "к тёте Вале": a relative's name, whatever it looks like
        if type_ == "person" and re.match(r" [А-ЯЁ]\.", text[end : end + 3]):
            end += 3  # an initial keeps its dot: "Сергей В."
            surface = text[start:end]
        found.append((start, end, type_, source, score))
        votes.setdefault(lemma_key(surface, type_), Counter())[type_] += 1
        keys.append(lemma_key(surface, type_))
    # One type per name: the majority of its mentions' types (on a tie, the first: a cue's, as above).
    majority = {key: counter.most_common(1)[0][0] for key, counter in votes.items()}
    found = [(s, e, majority[key], source, score) for (s, e, _t, source, score), key in zip(found, keys, strict=True)]
    names = dict(majority)
    # Other mentions, any case form: runs of capitalised words whose lemmas match a name found or a part
    # of a person's name.
    wanted: dict[tuple[str, ...], str] = {}
    for key, type_ in names.items():
        wanted.setdefault(tuple(key.split()), type_)
        if type_ == "person":
            for part in key.split():
                if len(part) >= 3 and not _PATRONYMIC_RU.search(part):
                    wanted.setdefault((part,), "person")
    longest = max((len(k) for k in wanted), default=0)
    words = list(re.finditer(rf"{_CAP}", text))
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            run = words[i : i + n]
            if any(not re.fullmatch(r"\s{1,2}", text[a.end() : b.start()]) for a, b in itertools.pairwise(run)):
                continue
            lemmas = tuple(russian_lemma(w.group()) for w in run)
            if lemmas in wanted:
                found.append((run[0].start(), run[-1].end(), wanted[lemmas], "propagated", 0.7))
                break
    return found, ner is not None
