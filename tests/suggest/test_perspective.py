"""A story told about a survivor is read as the survivor's own words (toolkit.suggest.perspective)."""

from __future__ import annotations

from toolkit.suggest.perspective import first_person, in_first_person, protagonists, third_person_narrative

CASE_STORY = (  # synthetic, in the style of an NGO case study
    "Larisa, 43, has been hard of hearing since birth, and the employment centre had nothing to offer her. "
    "A woman approached her at the market and offered her a job in Poland. "
    "'I thought nobody else would take me,' she says."
)


def test_a_case_study_is_a_third_person_narrative_and_an_interview_answer_is_not():
    assert third_person_narrative(CASE_STORY)
    assert not third_person_narrative("I left school at fifteen. My sister said she would help me, but she could not.")
    assert not third_person_narrative("'She told me he was kind,' I said.")  # pronouns inside quotes do not count
    assert not third_person_narrative("Она потеряла работу, и соседка предложила ей место в Польше.")  # English only


def test_the_narration_is_put_in_the_first_person_and_quotes_are_kept():
    assert protagonists(CASE_STORY) == {"Larisa"}
    assert first_person(CASE_STORY, {"Larisa"}) == (
        "I have been hard of hearing since birth, and the employment centre had nothing to offer me. "
        "A woman approached me at the market and offered me a job in Poland. "
        "'I thought nobody else would take me,' I say."
    )


def test_other_peoples_pronouns_stay_theirs():
    """In a woman's story "he" is someone else (the recruiter), and the reverse."""
    story = "Marina, 26, asked the recruiter whether the agency was legal, and he showed her its licence. She signed."
    assert first_person(story, protagonists(story)) == (
        "I asked the recruiter whether the agency was legal, and he showed me its licence. I signed."
    )


def test_a_de_identified_name_is_the_protagonist_too():
    story = "[PERSON_3], 34, lost her job when the factory closed. Her neighbour told her about a bakery abroad."
    assert protagonists(story) == {"[PERSON_3]"}
    assert first_person(story, protagonists(story)) == (
        "I lost my job when the factory closed. My neighbour told me about a bakery abroad."
    )


def test_each_sentence_is_retold_as_the_whole_text_is():
    sentences = [
        "Larisa, 43, has been hard of hearing since birth, and the employment centre had nothing to offer her.",
        "A woman approached her at the market and offered her a job in Poland.",
        "'I thought nobody else would take me,' she says.",
    ]
    retold = in_first_person(CASE_STORY, sentences)
    assert retold is not None
    text, parts = retold
    assert text == " ".join(parts)
    assert in_first_person("I signed nothing. She said it was not needed.", ["I signed nothing."]) is None
