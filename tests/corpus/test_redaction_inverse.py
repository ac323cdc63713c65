"""A selection on the de-identified text maps back onto the stored text, whole identifiers or none."""

from __future__ import annotations

from toolkit.corpus.redaction import Replacement, redact

TEXT = "I am Dmitry Savchuk from Lida, and I left in 2019."
VIEW = redact(TEXT, [Replacement(5, 19, "[PERSON_1]"), Replacement(25, 29, "[PLACE_2]")])


def test_redaction_to_original_inverts_to_view_outside_identifiers():
    for offset in (0, 4, 19, 20, 24, 29, 30, len(TEXT)):
        assert VIEW.to_original(VIEW.to_view(offset)) == offset


def test_redaction_a_selection_inside_a_pseudonym_takes_the_whole_identifier():
    start = VIEW.text.index("PERSON")  # inside "[PERSON_1]"
    end = VIEW.text.index("from") + 4
    original = (VIEW.to_original(start), VIEW.to_original(end, at_end=True))
    assert TEXT[original[0] : original[1]] == "Dmitry Savchuk from"
    half = (VIEW.to_original(start), VIEW.to_original(start + 2, at_end=True))
    assert TEXT[half[0] : half[1]] == "Dmitry Savchuk"
