"""Rules for places, organisations and their type decisions, found on sample_data/deid_dev (issue 11).

Each test is built for one rule, with a look-alike that must not be flagged. The sentences are invented
for the tests, not taken from a corpus.
"""

from __future__ import annotations

import pytest

from toolkit.corpus import deid_ru
from toolkit.corpus.deid import Detection, Detector, _resolve, find_patterns
from toolkit.corpus.gazetteer import candidate_spans


def detections(text: str) -> set[tuple[str, str]]:
    return {(d.text, d.type) for d in Detector().detect_many([text], ["en"])[0]}


def texts_of(found: set[tuple[str, str]], type_: str) -> set[str]:
    return {t for t, ty in found if ty == type_}


@pytest.mark.model
def test_firm_by_its_legal_form_and_its_name_alone_later():
    found = detections(
        "Then Blue Heron Ltd sent us to a warehouse. Blue Heron never paid. "
        "Later I signed with UAB Medvegalis for the harvest."
    )
    firms = texts_of(found, "organisation")
    assert {"Blue Heron Ltd", "Blue Heron", "UAB Medvegalis"} <= firms
    assert not any(f.startswith("Then") for f in firms)  # a stop word before the name is not the firm's


@pytest.mark.model
def test_a_preposition_after_a_firm_noun_makes_a_place_not_a_firm():
    found = detections("The agency had an office in Drahichyn. Our farm near Hantsavichy had cows.")
    assert ("Drahichyn", "place") in found and ("Hantsavichy", "place") in found
    assert not texts_of(found, "organisation")


@pytest.mark.model
def test_places_in_apposition_to_a_place_noun():
    found = detections(
        "My parents live in the Stolin district, Olshany, by the river. "
        "I was born in Dubrovka, a small village near the border. "
        "My aunt Olga, a woman from our street, helped me."
    )
    assert ("Olshany", "place") in found and ("Dubrovka", "place") in found
    assert ("Olga", "person") in found  # a person described, not a place


@pytest.mark.model
def test_two_word_place_names_and_a_weekday_after_a_place():
    found = detections("We got the money in Biala Podlaska at last. I came back to Kobryn Monday morning.")
    assert ("Biala Podlaska", "place") in found  # one place, not "Biala" and "Podlaska"
    assert ("Kobryn", "place") in found and not {t for t, _ in found if "Monday" in t}


@pytest.mark.model
def test_titles_are_not_part_of_a_name():
    found = detections(
        "Mrs Nowakowska kept my passport in her desk. Later I talked to Mrs Nowakowska about money. "
        "Uncle Tolya drove the bus."
    )
    people = texts_of(found, "person")
    assert "Nowakowska" in people and "Tolya" in people
    assert not {t for t, _ in found if t.split()[0] in ("Mrs", "Uncle")}
    assert not texts_of(found, "place")  # "talked to Mrs X" is a person, whatever "to" says


@pytest.mark.model
def test_plural_person_nouns_and_everyday_given_names():
    found = detections("One of the boys, Vitya, had a phone. The girls, Ksyusha and Marysia, slept in the car.")
    assert {"Vitya", "Ksyusha", "Marysia"} <= texts_of(found, "person")
    assert not texts_of(found, "place")


@pytest.mark.model
def test_big_regions_are_kept_like_big_cities():
    found = detections("We worked in Siberia, then in the Urals, and then in Klimovichi.")
    assert not {t for t, _ in found if t in ("Siberia", "Urals", "the Urals")}
    assert ("Klimovichi", "place") in found


def test_a_listed_given_name_and_any_plain_capitalised_word_are_a_person():
    text = "Q: Tell me about yourself. A: Artur Sheleg. I work with Olga Monday to Friday, or Olga Street."
    spans = candidate_spans(text, frozenset({"artur", "olga"}))
    assert [text[s:e] for s, e, t in spans if t == "person"] == ["Artur Sheleg"]  # not "Olga Monday"


def test_thank_you_and_pseudonym_are_name_cues():
    text = "The respondent chose the pseudonym Zoryana. Thank you, Zoryana, for your time. Thank you, and goodbye."
    spans = [(text[s:e], t) for s, e, t in candidate_spans(text)]
    assert spans == [("Zoryana", "person"), ("Zoryana", "person")]


def test_a_longer_mention_of_a_name_found_elsewhere_beats_the_shorter_ner_span():
    ner = Detection(5, 12, "Nirvana", "organisation", "ner", 0.85)
    longer = Detection(0, 12, "Club Nirvana", "organisation", "propagated", 0.7)
    assert _resolve([ner, longer]) == [longer]
    pattern = Detection(0, 12, "+375 29 1234", "phone", "pattern")
    assert _resolve([pattern, Detection(0, 20, "+375 29 1234 Nirvana", "organisation", "propagated")]) == [pattern]


@pytest.mark.parametrize(
    "sentence,street",
    [
        ("Бабушка жила на улице Ленина, у леса.", "улице Ленина"),
        ("Мы снимали комнату на Лесной улице до весны.", "Лесной улице"),
        ("Офис был на проспекте Победителей, рядом с рынком.", "проспекте Победителей"),
        ("Жили на Садовой улице, 14, кв. 2.", "Садовой улице, 14, кв. 2"),
    ],
)
def test_russian_streets_without_a_house_number_are_addresses(sentence, street):
    assert [d.text for d in find_patterns(sentence) if d.type == "address"] == [street]


def test_russian_street_word_alone_is_not_an_address():
    assert not [d for d in find_patterns("На улице было холодно, и на площади никого.") if d.type == "address"]


def test_russian_repeated_quoted_names_are_organisations(monkeypatch):
    monkeypatch.setattr(deid_ru, "_natasha", lambda: None)
    text = (
        "Сестра позвонила в Минске, «Тихая гавань». Из «Тихой гавани» приехал юрист. "
        "Он сказал: «Всё будет хорошо». Я ответила: «Всё будет хорошо». А она шепнула «Не бойся»."
    )
    with pytest.warns(UserWarning):
        found = Detector().detect_many([text], ["ru"])[0]
    firms = {d.text for d in found if d.type == "organisation"}
    assert {"Тихая гавань", "Тихой гавани"} <= firms
    assert not firms & {"Всё будет хорошо", "Не бойся"}  # quoted speech, repeated or not


@pytest.mark.model
def test_a_firm_called_by_a_given_name_is_a_firm():
    found = detections("I sewed at a workshop called Marina for nine years. Then Marina closed, and we left.")
    assert ("Marina", "organisation") in found and ("Marina", "person") not in found


@pytest.mark.model
def test_holidays_and_regions_are_not_identifiers():
    found = detections(
        "Lent and Easter were the only holidays at home in Dronki. In the Brest Oblast everybody works abroad."
    )
    assert ("Dronki", "place") in found
    assert not {t for t, _ in found if t in ("Lent", "Easter") or "Oblast" in t}


def test_a_given_name_in_apposition_to_a_person_is_a_person():
    text = "Zhenya, a neighbour's daughter, told me about the job. Vera, a village in the north, is small."
    spans = [(text[s:e], t) for s, e, t in candidate_spans(text, frozenset({"zhenya", "vera"}))]
    assert spans == [("Zhenya", "person")]  # "Vera, a village" is no person


@pytest.mark.model
def test_venues_and_firms_named_before_or_after_their_kind():
    found = detections(
        "The Hotel Bella Vista needed maids. The Bella Vista was real. I drove for the Zarya dairy. "
        "Then Zarya cut the routes. The Pinsk factory closed too."
    )
    firms = texts_of(found, "organisation")
    assert {"Hotel Bella Vista", "Bella Vista", "Zarya"} <= firms
    assert "Pinsk" not in firms  # a place before a firm's kind stays a place


def test_legal_forms_with_name_particles_without_the_ner():
    import spacy

    text = "The partner was a firm called Van der Berg Logistics B.V. in the end. Van der Berg Logistics said no."
    found = {(d.text, d.type) for d in Detector(nlp=spacy.blank("en")).detect_many([text], ["en"])[0]}
    assert ("Van der Berg Logistics", "organisation") in found  # the name alone, the second time
    assert {t for t, ty in found if ty == "organisation" and t.startswith("Van der Berg Logistics B.V")}


@pytest.mark.model
def test_national_bodies_are_not_identifiers():
    found = detections("The Department of Citizenship and Migration refused my papers, and the Ministry of Labour too.")
    assert not {t for t, _ in found if "Department" in t or "Ministry" in t}
    assert deid_ru._keep("Министерство внутренних дел", frozenset())


def ru_cues(text: str, monkeypatch) -> set[tuple[str, str]]:
    """The Russian detector with the cue rules alone (natasha switched off)."""
    monkeypatch.setattr(deid_ru, "_natasha", lambda: None)
    with pytest.warns(UserWarning):
        return {(d.text, d.type) for d in Detector().detect_many([text], ["ru"])[0]}


def test_russian_place_named_before_what_it_is(monkeypatch):
    found = ru_cues(
        "Я родилась в деревне у реки. Мотоль — большая деревня, все друг друга знают. Работа, это главное.", monkeypatch
    )
    assert ("Мотоль", "place") in found
    assert not {t for t, _ in found if t == "Работа"}


def test_russian_dictionary_place_after_a_preposition():
    text = "Он приехал из Рогачёва на автобусе. Письмо пришло из Иванова."
    spans = [(text[s:e], t) for s, e, t in deid_ru._cue_spans(text)]  # the cue rules that run beside natasha
    assert ("Рогачёва", "place") in spans
    assert not [t for t, _ in spans if t == "Иванова"]  # likeliest reading a surname: not a place by this rule


def test_russian_hyphenated_places_and_sole_traders():
    assert deid_ru._retype("Наро-Фоминске", "place") == "place"  # the dictionary knows the town
    assert deid_ru._retype("Текстиль-Стандарт", "place") == "organisation"
    assert deid_ru._retype("ИП Мамедов", "person") == "organisation"  # a firm named after its owner
    assert deid_ru._retype("Иван Мамедов", "person") == "person"


def test_russian_street_by_its_adjective_alone():
    assert [d.text for d in find_patterns("Жили мы на Пушкинской, у рынка.") if d.type == "address"] == ["Пушкинской"]
    assert not [d for d in find_patterns("Стояли на Брестской трассе, на польской границе.") if d.type == "address"]


def test_russian_quoted_name_after_a_hotline_or_centre(monkeypatch):
    found = ru_cues("Я позвонила на горячую линию «Ясный путь», и мне помогли. Офис был в центре Пинска.", monkeypatch)
    assert ("Ясный путь", "organisation") in found
    assert ("Пинска", "organisation") not in found


@pytest.mark.parametrize(
    "sentence,address",
    [
        ("I lived with my aunt at Gagarina 21, flat 5, for a year.", "Gagarina 21, flat 5"),
        ("Я жила у тёти на Гагарина, 21, квартира 5, целый год.", "Гагарина, 21, квартира 5"),
    ],
)
def test_street_name_and_number_without_the_word_street(sentence, address):
    assert [d.text for d in find_patterns(sentence) if d.type == "address"] == [address]


def test_dates_and_holidays_with_numbers_are_not_streets():
    text = "We came on Monday 21 of us. Приехали на Рождество, 7 января, на Пасху, 12 человек."
    assert not [d for d in find_patterns(text) if d.type == "address"]


@pytest.mark.model
def test_seas_are_kept_like_regions():
    found = detections("We swam in the Black Sea and saw the Mediterranean, then I went back to Zhabinka.")
    assert not {t for t, _ in found if "Sea" in t or "Mediterranean" in t}
    assert ("Zhabinka", "place") in found
    assert deid_ru._keep("Чёрное море", frozenset()) and deid_ru._keep("Средиземного моря", frozenset())


@pytest.mark.model
def test_an_organisation_in_a_town_then_its_name():
    found = detections(
        "A girl had the number of an organisation in Kyiv, New Horizon, that helps women. "
        "New Horizon called the embassy."
    )
    assert ("New Horizon", "organisation") in found and ("New Horizon", "place") not in found


def test_russian_relative_before_a_name_makes_a_person():
    pytest.importorskip("natasha")
    text = "После школы я переехала в Молодечно к тёте Вале. Тётя Валя встретила меня на вокзале."
    found = {(d.text, d.type) for d in Detector().detect_many([text], ["ru"])[0]}
    assert ("Вале", "person") in found and ("Вале", "place") not in found
    assert ("Молодечно", "place") in found  # a town after "в" stays a place


def test_russian_quoted_name_after_a_noun_and_its_genitive(monkeypatch):
    found = ru_cues("Работала в салоне красоты «Элеганс» три года, потом в салоне красоты «у дома».", monkeypatch)
    assert ("Элеганс", "organisation") in found
    assert not {t for t, _ in found if "дома" in t}


@pytest.mark.model
def test_supranational_words_are_not_names():
    found = detections("The Schengen visa, she said, would be arranged by the farm. The EU is not a fairy tale.")
    assert not {t for t, _ in found if t in ("Schengen", "EU")}


def test_a_title_after_called_is_not_the_name():
    text = "The farm belonged to a man we called Pan Marek; his surname I never heard."
    spans = [(text[s:e], t) for s, e, t in candidate_spans(text, frozenset({"marek"}))]
    assert spans == [("Marek", "person")]


@pytest.mark.model
def test_a_name_and_an_initial():
    found = detections("A man from the garage, Sergei V., said there was work. He called a lawyer, Tomasz W., later.")
    assert {"Sergei V.", "Tomasz W."} <= texts_of(found, "person")


@pytest.mark.model
def test_firm_before_its_kind_or_in_apposition_to_it():
    found = detections(
        "I worked as a mechanic at the BELTRANS garage. A woman ran a small agency, GLOBUS-TOUR, that sent "
        "people to Poland. My brother worked at the Pinsk garage."
    )
    assert {"BELTRANS", "GLOBUS-TOUR"} <= texts_of(found, "organisation")
    assert "Pinsk" not in texts_of(found, "organisation")  # a place before a firm's kind stays a place


def test_russian_firm_in_capitals_within_quotes(monkeypatch):
    found = ru_cues(
        "Она держала турфирму «ГЛОБУС-ТУР». Потом «ГЛОБУС-ТУР» закрылся. СИНТЕТИЧЕСКОЕ ИНТЕРВЬЮ.", monkeypatch
    )
    assert ("ГЛОБУС-ТУР", "organisation") in found
    assert not {t for t, _ in found if "СИНТЕТИЧЕСКОЕ" in t or "ИНТЕРВЬЮ" in t}  # a heading, not a firm


def test_russian_name_and_an_initial():
    pytest.importorskip("natasha")
    text = "Знакомый по гаражу, Сергей В., сказал, что есть работа в Литве."
    found = {(d.text, d.type) for d in Detector().detect_many([text], ["ru"])[0]}
    assert ("Сергей В.", "person") in found


def test_russian_name_after_was_called(monkeypatch):
    found = ru_cues("Санаторий назывался «Пушинас», там было тихо. Город назывался иначе.", monkeypatch)
    assert ("Пушинас", "organisation") in found


def test_russian_one_type_per_name_by_majority(monkeypatch):
    found = ru_cues("Я жила в деревне Гать. В деревне Гать все друг друга знали. Фирма Гать платила мало.", monkeypatch)
    assert {ty for t, ty in found if t == "Гать"} == {"place"}
