from __future__ import annotations

import io
import itertools

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.corpus.segment import segment_text
from toolkit.errors import InputFileError
from toolkit.io.transcripts import RoleOverrides, decode_transcript_bytes, parse_turns, read_transcript

from ..conftest import FIXTURES


def roles(text: str, overrides: RoleOverrides | None = None) -> list[tuple[str, str, str]]:
    turns, _ = parse_turns(text, overrides)
    return [(t.speaker_label, t.role, text[t.start : t.end]) for t in turns]


def test_transcripts_interviewer_respondent_labels_with_header_and_continuation():
    text = (FIXTURES / "interview_basic.txt").read_text()
    got = roles(text)
    assert got[0][1] == "other" and got[0][2].startswith("SYNTHETIC")
    assert [r for _, r, _ in got[1:]] == ["interviewer", "respondent", "interviewer", "respondent"]
    # the continuation paragraph belongs to the respondent's turn
    assert got[2][2].endswith("I have two children.")
    assert "\n\nIt paid" in got[2][2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q: Why?\nA: Money.\nQ: And?\nA: Family.", [("Q", "interviewer"), ("A", "respondent")] * 2),
        ("I: Why?\nR: Money.", [("I", "interviewer"), ("R", "respondent")]),
        (
            "INTERVIEWER: Why?\nPARTICIPANT: Money.",
            [("INTERVIEWER", "interviewer"), ("PARTICIPANT", "respondent")],
        ),
        (
            "[00:03:12] I: Why did you go?\n[00:03:40] R: Money.",
            [("I", "interviewer"), ("R", "respondent")],
        ),
        ("00:03:12 I: Why?\n00:03:40 R: Money.", [("I", "interviewer"), ("R", "respondent")]),
        (
            "Interviewer: How are you?\nNatalia: Fine.\nInterviewer: Why?\nNatalia: Money.",
            [("Interviewer", "interviewer"), ("Natalia", "respondent")] * 2,
        ),
    ],
)
def test_transcripts_common_styles_need_no_configuration(text, expected):
    assert [(label, role) for label, role, _ in roles(text)] == expected


def test_transcripts_timestamps_are_kept():
    turns, _ = parse_turns("[00:03:12] I: Why?\n[00:03:40] R: Money.")
    assert [t.timestamp for t in turns] == ["00:03:12", "00:03:40"]


def test_transcripts_two_pseudonyms_roles_inferred_from_questions():
    text = "Anna: Where were you born?\nBoris: In Gomel.\nAnna: And your work?\nBoris: Driver."
    assert [r for _, r, _ in roles(text)] == ["interviewer", "respondent"] * 2


def test_transcripts_role_overrides_win():
    text = "Anna: Where?\nBoris: Gomel.\nAnna: Work?\nBoris: Driver."
    got = roles(text, RoleOverrides(interviewer_labels=("Boris",), respondent_labels=("Anna",)))
    assert [r for _, r, _ in got] == ["respondent", "interviewer"] * 2


def test_transcripts_label_regex_override():
    text = "-- Int -- Where?\n-- Sv -- Gomel."
    got = roles(text, RoleOverrides(interviewer_labels=("Int",), label_regex=r"^-- (?P<label>\w+) --"))
    assert [(label, role) for label, role, _ in got] == [("Int", "interviewer"), ("Sv", "respondent")]


def test_transcripts_single_colon_inside_an_answer_does_not_split_the_turn():
    text = "Q: What did he say?\nA: He said this:\nNote: you will be paid later.\nQ: And?\nA: Nothing."
    got = roles(text)
    assert len(got) == 4
    assert "Note: you will be paid later." in got[1][2]


def test_transcripts_no_turns_is_one_segment_with_warning():
    turns, warnings = parse_turns("Just a paragraph of notes without any speaker.\nAnother line.")
    assert len(turns) == 1 and turns[0].role == "other"
    assert warnings and "no speaker turns" in warnings[0]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Q: Привет?\nA: Да.".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "Q: Привет?\nA: Да.".encode(), "utf-8-sig"),
        ("Q: Привет?\nA: Да.".encode("utf-16"), "utf-16"),
        ("Q: Привет?\nA: Да.".encode("utf-16-le"), "utf-16-le"),
        ("Q: Привет?\nA: Да — «так».".encode("cp1251"), "cp1251"),
    ],
)
def test_transcripts_encodings_detected(data, encoding):
    transcript = read_transcript(data, name="x.txt")
    assert transcript.encoding == encoding
    assert "Привет" in transcript.text


def test_transcripts_crlf_and_cr_line_ends_keep_offsets(blank_nlp):
    for newline in ("\r\n", "\r"):
        text = newline.join(["Q: Where?", "A: In Brest.", "Q: And?", "A: Left."])
        segments, _ = segment_text(text, nlp=blank_nlp)
        assert [s.text for s in segments] == ["Where?", "In Brest.", "And?", "Left."]
        for seg in segments:
            assert text[seg.start : seg.end] == seg.text


def test_transcripts_docx_paragraphs_are_read():
    document = docx.Document()
    for line in ["Interviewer: Where?", "Respondent: In Minsk.", "And later Brest."]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    transcript = read_transcript(buffer.getvalue(), name="S99.docx")
    assert transcript.encoding == "docx" and transcript.name == "S99"
    got = roles(transcript.text)
    assert got[1][2] == "In Minsk.\nAnd later Brest."


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (b"Q: fine\nA: still fine\n\xff\xfe\xfd bad \x81\x8d", "invalid byte"),
    ],
)
def test_transcripts_bad_input_names_file(data, needle):
    with pytest.raises(InputFileError) as info:
        read_transcript(data, name="bad.txt")
    assert needle in str(info.value)
    assert "bad.txt" in str(info.value)


def test_transcripts_invalid_bytes_name_the_line():
    with pytest.raises(InputFileError) as info:
        read_transcript(b"Q: one\nA: two\nQ: three \xff\x81 four\n", name="bad.txt")
    assert info.value.line == 3


def test_transcripts_huge_single_line_is_refused(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"A" * (50 * 1024 * 1024 - 10))
    with pytest.raises(InputFileError) as info:
        read_transcript(path)
    assert info.value.line == 1 and "characters long" in str(info.value)


def test_transcripts_unsupported_suffix():
    with pytest.raises(InputFileError, match="unsupported file type"):
        read_transcript(b"x", name="scan.pdf")


# Bodies without line breaks or colons, so that a body can never start a turn of its own: then every
# character of every body must land in exactly one segment, in the file's order.
turn_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x00:\x85\x1c\x1d\x1e"),
    min_size=0,
    max_size=400,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(
        st.tuples(st.sampled_from(["Q: ", "A: ", "Interviewer: ", "[00:01:02] R: ", "", "Natalia: "]), turn_text),
        max_size=12,
    ),
    newline=st.sampled_from(["\n", "\r\n", "\r", "\n\n"]),
)
def test_transcripts_segments_partition_the_text_in_order(blank_nlp, parts, newline):
    text, body_positions = "", []
    for index, (label, body) in enumerate(parts):
        text += (newline if index else "") + label
        body_positions += [len(text) + i for i, ch in enumerate(body) if not ch.isspace()]
        text += body
    segments, _ = segment_text(text, nlp=blank_nlp)
    spans = [(seg.start, seg.end) for seg in segments]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans)), "overlap or out of order"
    owner = {i: n for n, (start, end) in enumerate(spans) for i in range(start, end)}
    uncovered = [text[i] for i in body_positions if i not in owner]
    assert not uncovered, f"body characters outside every segment: {uncovered[:10]}"
    owners = [owner[i] for i in body_positions]
    assert owners == sorted(owners), "turns out of the file's order"
    for seg in segments:
        sentence_spans = list(seg.sentences)
        assert all(seg.start <= s < e <= seg.end for s, e in sentence_spans)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(sentence_spans))


CYRILLIC = "Интервьюер: Где вы работали?\nРеспондент: Я работала на фабрике в Минске, платили очень мало.\n"


@pytest.mark.parametrize("codepage", ["cp1251", "koi8_r", "cp866"])
def test_transcripts_cyrillic_code_pages_are_told_apart(codepage):
    """KOI8-R and DOS 866 used to be stored as cp1251 mojibake without a word (issue 10)."""
    text, used = decode_transcript_bytes(CYRILLIC.encode(codepage), "t.txt")
    assert (text, used) == (CYRILLIC, codepage)


def test_transcripts_utf32_and_a_utf16_mark_on_utf8():
    for codec in ("utf-32-le", "utf-32-be"):
        bom = "\ufeff".encode(codec)
        assert decode_transcript_bytes(bom + CYRILLIC.encode(codec), "t.txt") == (CYRILLIC, "utf-32")
    with pytest.raises(InputFileError, match="UTF-16 byte-order mark but the text after it is UTF-8"):
        decode_transcript_bytes(b"\xff\xfe" + CYRILLIC.encode("utf-8"), "t.txt")
    assert decode_transcript_bytes("\ufeff".encode("utf-16-le") + CYRILLIC.encode("utf-16-le"), "t.txt")[0] == CYRILLIC


def test_transcripts_cyrillic_detection_warns_only_when_unsure():
    from ..conftest import SAMPLE

    sample = read_transcript(SAMPLE / "transcripts" / "S11.txt")  # English with Russian phrases: chaos 0.17
    assert (sample.encoding, sample.warnings) == ("cp1251", ())


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_transcripts_utf16_without_a_mark_reads_cyrillic(codec):
    # Cyrillic UTF-16 has 0x04, not NUL, beside each letter: only spaces and punctuation give NULs.
    assert decode_transcript_bytes(CYRILLIC.encode(codec), "t.txt") == (CYRILLIC, codec)


def test_transcripts_binary_with_nuls_is_still_refused():
    noise = bytes(range(256)) * 8  # every byte value: no single script's high byte, not text
    with pytest.raises(InputFileError, match="binary file"):
        decode_transcript_bytes(noise, "t.bin")
