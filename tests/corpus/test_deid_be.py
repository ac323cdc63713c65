"""Belarusian (and Belarusian-flavoured Russian) text through the Russian recogniser: built sentences.

The sentences are invented for the test, none from the sample. Each runs with natasha when it is installed
and with the cue rules alone, since both must keep big cities and find villages.
"""

from __future__ import annotations

import pytest

from toolkit.corpus import deid_ru
from toolkit.corpus.deid import Detector


def names(text: str, *, natasha: bool, monkeypatch) -> set[tuple[str, str]]:
    if not natasha:
        monkeypatch.setattr(deid_ru, "_natasha", lambda: None)
    elif deid_ru._natasha() is None:
        pytest.skip("natasha is not installed")
    with pytest.warns(UserWarning) if not natasha else _nothing():
        found = Detector().detect_many([text], ["be"])[0]
    return {(d.text, d.type) for d in found if d.type in ("person", "place", "organisation")}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("natasha", [True, False], ids=["natasha", "cues"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Удзельніца: Я з вёскі Малышы, гэта ля Пінска.", {("Малышы", "place"), ("Пінска", "place")}),
        ("Респондент: Мы жили под Несвижем, в деревне Голынка.", {("Несвижем", "place"), ("Голынка", "place")}),
        ("Удзельніца: Я родам з Лунінецкага раёна.", {("Лунінецк", "place")}),
        ("Респондент: Я из Лунинецкого района, там и вырос.", {("Лунинецк", "place")}),
    ],
)
def test_belarusian_places_found(text, expected, natasha, monkeypatch):
    found = names(text, natasha=natasha, monkeypatch=monkeypatch)
    for want, type_ in expected:  # the words, or a longer span holding them ("Лунинецкого района")
        assert any(want in got and t == type_ for got, t in found), (want, found)


@pytest.mark.parametrize("natasha", [True, False], ids=["natasha", "cues"])
@pytest.mark.parametrize(
    "text",
    [
        "Удзельніца: Дзеці жывуць у Брэсце, а сястра ў Мінску. Потым я ездзіла ў Гомель і ў Магілёў.",
        "Респондент: Я из Минского района, а жена из Гомельского.",
        "Даследчыца: Ці маглі вы звязацца з роднымі? Удзельніца: Ён не дазваляў. Пыталася я, ды марна.",
        "Удзельніца: Знаёмая расказала пра працу. Бабулі там не было. Суседка дапамагла.",
    ],
)
def test_belarusian_big_cities_labels_and_common_words_are_not_identifiers(text, natasha, monkeypatch):
    assert names(text, natasha=natasha, monkeypatch=monkeypatch) == set()


def test_place_cue_wins_over_the_ner_type(monkeypatch):
    if deid_ru._natasha() is None:
        pytest.skip("natasha is not installed")
    found = names("Удзельніца: Я нарадзілася ў вёсцы Заазер'е, там і жыла.", natasha=True, monkeypatch=monkeypatch)
    assert ("Заазер'е", "place") in found and not {t for t, ty in found if ty == "person"}


def test_belarusian_name_after_cue_is_a_person(monkeypatch):
    found = names("Удзельніца: Мяне завуць Ганна Лісоўская, мне сорак гадоў.", natasha=False, monkeypatch=monkeypatch)
    assert ("Ганна Лісоўская", "person") in found
