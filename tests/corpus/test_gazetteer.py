"""The Latin-script gazetteer of East Slavic names and places, and cross-interview propagation.

Every sentence here is invented for the test (none is taken from the sample interviews): the detector runs
with a blank spaCy pipeline, so whatever it finds comes from the gazetteer and the cues, not from NER.
"""

from __future__ import annotations

import pytest
import spacy

from toolkit.corpus.deid import Detection, Detector, _propagate_across
from toolkit.corpus.gazetteer import candidate_spans, latin_tags


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(nlp=spacy.blank("en"))


def found(detector: Detector, text: str) -> set[tuple[str, str]]:
    return {(d.text, d.type) for d in detector.detect(text) if d.type in ("person", "place", "organisation")}


def test_latin_tags_read_dictionary_names_places_and_surnames():
    assert "Surn" in latin_tags("Bondarenko")
    assert "Surn" in latin_tags("Zhuravleva")
    assert "Name" in latin_tags("Yaroslava")
    assert "Patr" in latin_tags("Petrovich")
    assert "Geox" in latin_tags("Nesvizh")
    for word in ("Wednesday", "Hotline", "Police", "Bread"):
        assert not latin_tags(word), word
    assert not latin_tags("Ковальчук")  # Cyrillic goes to the Russian recogniser


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Yesterday we spoke with Oksana Tkachuk about the hostel.", ("Oksana Tkachuk", "person")),
        ("Polina Zhuravleva was the one who met us at the border.", ("Polina Zhuravleva", "person")),
        ("The foreman, Anatoly Ivanovich Grib, kept the passports.", ("Anatoly Ivanovich Grib", "person")),
        ("At the office a man, Kovalenko, wrote down our names.", ("Kovalenko", "person")),
        ("My name is Yarina and I am twenty.", ("Yarina", "person")),
        ("I grew up in the village of Zarechye, by the river.", ("Zarechye", "place")),
        ("We worked in the Hlusk district for two summers.", ("Hlusk", "place")),
        ("They took us from Nesvizh in a minibus.", ("Nesvizh", "place")),
        ("I was born on 5 May 1990 in Vetka and went to school there.", ("Vetka", "place")),
        ("She still lives in Dribin with her mother.", ("Dribin", "place")),
    ],
)
def test_gazetteer_finds_names_and_places_without_ner(detector, sentence, expected):
    result = found(detector, sentence)
    assert expected in result, result


@pytest.mark.parametrize(
    "sentence",
    [
        "In May the work stopped, and on Monday we went home.",
        "The Police came on Wednesday, and God knows what would have happened.",
        "I went to Minsk and then to Warsaw, and later to Poland.",  # big cities and countries are kept
        "Driver. All my life I drove the milk truck.",
        "Market day was on Saturday.",
        "We called the Hotline from the Station.",
        "It was cold. And Here we waited. Well May passed, All of us stayed.",  # stop words read as Russian names
    ],
)
def test_gazetteer_leaves_ordinary_capitalised_words(detector, sentence):
    assert found(detector, sentence) == set()


def test_lone_first_name_that_is_also_a_town_is_a_place_only_after_in_from_near(detector):
    assert ("Lida", "place") in found(detector, "After school I worked in Lida for a year.")
    assert ("Lida", "place") not in found(detector, "I gave the phone to Lida and she called.")


def test_a_stop_word_before_a_given_name_is_not_part_of_it():
    text = "The pay was late. And Viktor said nothing."
    assert [(text[s:e], t) for s, e, t in candidate_spans(text, frozenset({"viktor"}))] == []


def test_candidate_spans_offsets():
    text = "We talked to Oksana Tkachuk from Stolin."
    assert [(text[s:e], t) for s, e, t in candidate_spans(text)] == [("Oksana Tkachuk", "person"), ("Stolin", "place")]


def test_a_name_found_in_one_interview_is_hidden_in_another():
    texts = ["I live in the village of Zarechye.", "Back in Zarechye nobody asked. Zarechye is small."]
    found_ = [[Detection(24, 32, "Zarechye", "place", "ner")], []]
    _propagate_across(texts, found_)
    assert [(d.text, d.type, d.source) for d in found_[1]] == [("Zarechye", "place", "propagated")] * 2
    assert len(found_[0]) == 1  # a text keeps what it found itself


def test_detect_many_propagates_across_documents(detector):
    first = "My name is Yarina Bondarenko, from the village of Zarechye."
    second = "Yes, Zarechye. Bondarenko is a common name there."
    _one, two = detector.detect_many([first, second], ["en", "en"])
    assert ("Zarechye", "place") in {(d.text, d.type) for d in two}
    assert ("Zarechye", "place") not in found(detector, second)  # alone, the second text has no cue for it
