"""Russian de-identification: patterns with Russian cues, natasha's NER, cue rules, lemma keys, the store."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from toolkit.corpus import deid_ru
from toolkit.corpus.deid import Detector, normalise_key
from toolkit.corpus.identifiers import identifier_rows
from toolkit.corpus.importer import import_files
from toolkit.io.transcripts import read_transcript

from ..conftest import SAMPLE
from ..offline import REFUSE_NETWORK

RU_TEXT = """Интервьюер: Расскажите о себе.
Респондент: Меня зовут Анна Климович, родилась 4 февраля 1986 года. Живу в деревне Заречье под Пинском.
Интервьюер: Кто вам предложил работу?
Респондент: Знакомая, Жанна Сидорчук. Фирма называлась «СеверТрансЛогистик», офис на ул. Ленина, д. 12, кв. 4.
Мой номер телефона 8 029 318-46-07, пишите на anna.k@example.org. Паспорт MP1234567 забрали.
Я поехала с Жанной в Москву, потом в Польшу. Жанне я больше не верю.
"""


def typed(detections, type_: str) -> list[str]:
    return [d.text for d in detections if d.type == type_]


def test_deid_ru_patterns_find_russian_phones_dates_ids_addresses_without_ner():
    found = Detector(use_ner=False).detect_many([RU_TEXT], ["ru"])[0]
    assert typed(found, "phone") == ["8 029 318-46-07"]
    assert typed(found, "date_of_birth") == ["4 февраля 1986"]
    assert typed(found, "email") == ["anna.k@example.org"]
    assert "MP1234567" in typed(found, "id_number")
    assert any(a.startswith("ул. Ленина, д. 12") for a in typed(found, "address"))


def test_deid_ru_date_without_birth_cue_is_not_a_date_of_birth():
    found = Detector(use_ner=False).detect_many(["Мы уехали 4 февраля 2019 года, в пятницу вечером."], ["ru"])[0]
    assert typed(found, "date_of_birth") == []


def test_deid_ru_cue_rules_alone_find_names_places_firms_and_warn(monkeypatch):
    monkeypatch.setattr(deid_ru, "_natasha", lambda: None)  # as if natasha were not installed
    detector = Detector()
    with pytest.warns(UserWarning, match=r"survivor-qda\[russian\]"):
        found = detector.detect_many([RU_TEXT], ["ru"])[0]
    assert detector.warnings == [deid_ru.NATASHA_MISSING]
    assert "Анна Климович" in typed(found, "person")
    assert "Заречье" in typed(found, "place")
    assert "СеверТрансЛогистик" in typed(found, "organisation")
    # Regional centres and countries are kept, as in English text; a smaller town is not.
    assert not {"Москву", "Польшу"} & {d.text for d in found}
    assert "Пинском" in typed(found, "place")


def test_deid_ru_patronymic_names_a_person_without_ner(monkeypatch):
    monkeypatch.setattr(deid_ru, "_natasha", lambda: None)
    text = "Бригадиром был Геннадий Иванович Шульга, все его боялись. Потом пришла Валентина Петровна."
    with pytest.warns(UserWarning):
        found = Detector().detect_many([text], ["ru"])[0]
    assert {"Геннадий Иванович Шульга", "Валентина Петровна"} <= set(typed(found, "person"))


def test_deid_ru_natasha_finds_names_in_every_case_form():
    pytest.importorskip("natasha")
    found = Detector().detect_many([RU_TEXT], ["ru"])[0]
    people = typed(found, "person")
    assert "Анна Климович" in people and "Жанна Сидорчук" in people
    # "с Жанной", "Жанне": other case forms of a person found are that person too.
    assert {"Жанной", "Жанне"} <= set(people)
    assert {normalise_key("person", p) for p in ("Жанной", "Жанне", "Жанна")} == {"жанна"}
    assert "Заречье" in typed(found, "place")
    assert not {"Москву", "Польшу"} & {d.text for d in found}
    assert not {"Интервьюер", "Респондент"} & {d.text for d in found}


def test_deid_ru_lemma_key_joins_case_forms_not_scripts():
    assert normalise_key("person", "Андрея Ковальчука") == normalise_key("person", "Андрей Ковальчук")
    assert normalise_key("person", "Дмитрий Олегович Савчук") == normalise_key("person", "Дмитрия Савчука")
    assert normalise_key("place", "в Калинковичах".split()[1]) == normalise_key("place", "Калинковичи")
    # A Latin and a Cyrillic spelling of one name are different keys (documented: a reviewer merges them).
    assert normalise_key("person", "Andrei Kovalchuk") != normalise_key("person", "Андрей Ковальчук")


def test_deid_ru_import_gives_one_pseudonym_per_person_across_documents(store, blank_nlp, tmp_path):
    pytest.importorskip("natasha")
    a, b = tmp_path / "R01.txt", tmp_path / "R02.txt"
    a.write_text(RU_TEXT, encoding="utf-8")
    b.write_text(
        "Интервьюер: Кто вас позвал?\nРеспондент: Меня позвала Жанна Сидорчук, мы учились вместе в Лиде.\n",
        encoding="utf-8",
    )
    report = import_files(store, [a, b], nlp=blank_nlp)
    assert report.languages == {"R01": "ru", "R02": "ru"}
    rows = identifier_rows(store)
    zhanna = {r["pseudonym"] for r in rows if r["type"] == "person" and r["text"].startswith("Жанн")}
    assert len(zhanna) == 1, rows
    assert {r["document"] for r in rows if r["pseudonym"] in zhanna} == {"R01", "R02"}


def test_deid_ru_sample_gold_strings_are_in_their_transcripts():
    """sample_data/ru/identifiers.csv (made by make_identifiers.py) lists strings that are really there."""
    texts = {p.stem: read_transcript(p).text for p in (SAMPLE / "ru" / "transcripts").glob("S*.txt")}
    with (SAMPLE / "ru" / "identifiers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    english = {
        (r["document"], r["string"]) for r in csv.DictReader((SAMPLE / "identifiers.csv").open(encoding="utf-8"))
    }
    assert {(r["document"], r["english"]) for r in rows} == english  # every English identifier located
    for row in rows:
        assert row["string"] in texts[row["document"]], row


OFFLINE = REFUSE_NETWORK + r"""
import json
from toolkit.corpus.deid import Detector
detector = Detector()
found = detector.detect_many(["Меня зовут Анна Климович, я из деревни Заречье."], ["ru"])[0]
print(json.dumps({"warnings": detector.warnings, "found": [[d.text, d.type] for d in found]}, ensure_ascii=False))
"""


def test_deid_ru_natasha_runs_with_the_network_refused(tmp_path):
    pytest.importorskip("natasha")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", OFFLINE], capture_output=True, text=True, env=env, timeout=300, cwd=SAMPLE.parent
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["warnings"] == []  # natasha loaded its bundled weights
    assert ["Анна Климович", "person"] in out["found"]
