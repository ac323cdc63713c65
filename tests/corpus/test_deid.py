"""The identifier detector (patterns and NER) and the de-identified view's offset map."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.corpus.deid import Detector, find_patterns, normalise_key
from toolkit.corpus.redaction import Replacement, redact


def found(text: str, type_: str) -> list[str]:
    """What the patterns alone find (overlaps resolved as the detector does)."""
    return [d.text for d in Detector(use_ner=False).detect(text) if d.type == type_]


@pytest.mark.parametrize(
    "number",
    [
        "+375 29 318 46 07",  # Belarus mobile
        "+375 (29) 318-46-07",
        "+375 232 41 77 90",  # Belarus landline, Gomel
        "+375291234567",
        "+7 912 345-67-89",  # Russia
        "+7 (495) 123 45 67",
        "+48 601 234 567",  # Poland
        "+48 22 123 45 67",
        "+370 612 34567",  # Lithuania
        "+370 5 212 3456",
        "+49 30 1234 5678",  # any other international number
        "0048 601 234 567",
    ],
)
def test_deid_international_phone_formats(number):
    assert found(f"He gave me {number}, and left.", "phone") == [number]


@pytest.mark.parametrize(
    "sentence,number",
    [
        ("Call me on 8 029 318 46 07 tomorrow.", "8 029 318 46 07"),  # Belarus, national
        ("His number was 8 (912) 345-67-89.", "8 (912) 345-67-89"),  # Russia, national
        ("My number is 29 318-46-07.", "29 318-46-07"),  # Belarus mobile without the prefix
        ("Her phone: 601 234 567.", "601 234 567"),  # Poland, national
    ],
)
def test_deid_national_phone_formats_next_to_a_cue(sentence, number):
    assert found(sentence, "phone") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "They paid 2000 dollars, then 1 500 000 roubles in 2019.",
        "We were 12 people in 3 rooms from 2018 to 2020.",
        "The flat cost 450 000 a year.",
    ],
)
def test_deid_amounts_and_years_are_not_phones(text):
    assert found(text, "phone") == []


def test_deid_emails_including_subdomains_and_plus():
    text = "Write to hostess.minsk.team@example.org or jobs+cv@mail.agency.example.com."
    assert found(text, "email") == ["hostess.minsk.team@example.org", "jobs+cv@mail.agency.example.com"]


@pytest.mark.parametrize(
    "sentence,date",
    [
        ("I was born on 4 February 1986, so I am thirty-five.", "4 February 1986"),
        ("Born 3 November 1966. I live in a village.", "3 November 1966"),
        ("My date of birth is 12.04.1986.", "12.04.1986"),
        ("DOB: 1999-08-17.", "1999-08-17"),
        ("I was born on March 3rd, 1998 in Lida.", "March 3rd, 1998"),
    ],
)
def test_deid_dates_of_birth_need_a_birth_cue(sentence, date):
    assert found(sentence, "date_of_birth") == [date]


def test_deid_other_dates_are_not_dates_of_birth():
    assert found("Interview date: 9 March 2021. We left on 4 February 2019.", "date_of_birth") == []


@pytest.mark.parametrize(
    "sentence,number",
    [
        ("My passport MP1234567 stayed with them.", "MP1234567"),
        ("The personal number 3040586A001PB7 is on the card.", "3040586A001PB7"),
        ("Russian passport 45 07 123456, issued in Moscow.", "45 07 123456"),
        ("My PESEL is 86020412345.", "86020412345"),
        ("Passport number: AB 12345-67.", "AB 12345-67"),
    ],
)
def test_deid_passport_and_id_numbers(sentence, number):
    assert found(sentence, "id_number") == [number]


@pytest.mark.parametrize(
    "sentence,address",
    [
        ("We lived at ul. Lenina 12-4 near the market.", "ul. Lenina 12-4"),
        ("The office is at 12 Sovetskaya Street, apt. 17.", "12 Sovetskaya Street, apt. 17"),
        ("Go to vul. Kirava, 5 and ring.", "vul. Kirava, 5"),
    ],
)
def test_deid_street_addresses(sentence, address):
    assert found(sentence, "address") == [address]


def test_deid_patterns_alone_may_overlap_the_detector_keeps_the_longest():
    text = "The office is at 12 Sovetskaya Street, apt. 17."
    assert len([d for d in find_patterns(text) if d.type == "address"]) == 2
    assert found(text, "address") == ["12 Sovetskaya Street, apt. 17"]


def test_deid_normalised_keys_make_one_entity():
    assert normalise_key("phone", "+375 (29) 318-46-07") == normalise_key("phone", "+375 29 318 46 07")
    assert normalise_key("person", "Dmitry Olegovich Savchuk") == normalise_key("person", "dmitry  Savchuk")
    assert normalise_key("person", "Zhanna's") == "zhanna"


@given(
    st.text(alphabet="ab .\n", min_size=0, max_size=60),
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12), st.sampled_from(["[P_1]", "[X]", ""])), max_size=5),
)
def test_deid_redaction_map_is_consistent(text, raw_spans):
    replacements = [Replacement(s, min(s + n, len(text)), label) for s, n, label in raw_spans if s < len(text)]
    view = redact(text, replacements)
    # Cut at the edges of the replacements, the pieces of the view add up to the whole view.
    cuts = sorted({0, len(text), *(r.start for r in view.replacements), *(r.end for r in view.replacements)})
    assert "".join(view.slice(left, right) for left, right in itertools.pairwise(cuts)) == view.text
    assert all(view.slice(r.start, r.end) == r.label for r in view.replacements)
    positions = [view.to_view(i) for i in range(len(text) + 1)]
    assert positions == sorted(positions) and positions[-1] == len(view.text)


def test_deid_redaction_widens_a_cut_name_to_its_whole_pseudonym():
    view = redact("I am Dmitry Savchuk.", [Replacement(5, 19, "[PERSON_1]")])
    assert view.text == "I am [PERSON_1]."
    assert view.slice(0, 8) == "I am [PERSON_1]"  # half a name is still the name
    assert view.slice(8, 20) == "[PERSON_1]."
    assert view.span(0, 4) == (0, 4)


@pytest.mark.model
def test_deid_ner_finds_names_places_and_firms_and_their_other_mentions():
    text = (
        "Respondent: My name is Viktor Hrytsuk. I live in Uvarovichi, near Gomel.\n\n"
        "Respondent: Through Andrei Kovalchuk. He works for a firm near Moscow, StroyMontazh-Invest. "
        "Andrei said the pay was good. I called him: +375 29 318 46 07."
    )
    detections = {(d.text, d.type) for d in Detector().detect(text)}
    assert ("Viktor Hrytsuk", "person") in detections
    assert ("Andrei Kovalchuk", "person") in detections
    assert ("Andrei", "person") in detections  # a part of a full name, alone
    assert ("Uvarovichi", "place") in detections
    assert ("StroyMontazh-Invest", "organisation") in detections
    assert ("+375 29 318 46 07", "phone") in detections
    assert not {t for t, _ in detections} & {"Gomel", "Moscow"}  # big cities identify nobody: kept
