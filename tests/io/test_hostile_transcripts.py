"""Hostile transcripts (issue 9, items 24-26): each ends in a clear InputFileError naming the file."""

from __future__ import annotations

import random
import zipfile

import pytest
import spacy

import toolkit.io.docx_reader as docx_reader
import toolkit.io.transcripts as transcripts
from toolkit.corpus.segment import segment_text
from toolkit.errors import InputFileError
from toolkit.io.transcripts import RoleOverrides, parse_turns, read_transcript

from .hostile import (
    BILLION_LAUGHS,
    DOCUMENT_XML,
    base_docx,
    document_xml,
    paragraph,
    rewrite_docx,
    srt,
)


def refused(data: bytes, name: str = "bad.docx", **kwargs) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        read_transcript(data, name=name, **kwargs)
    assert name in str(info.value)
    assert "\n" not in str(info.value)
    return info.value


# --- .docx -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "make", "needle"),
    [
        ("random bytes", lambda: random.Random(1).randbytes(5000), "not a zip"),
        ("truncated", lambda: base_docx()[: len(base_docx()) // 2], "zip"),
        ("empty document.xml", lambda: rewrite_docx({DOCUMENT_XML: b""}), "not valid XML"),
        ("binary document.xml", lambda: rewrite_docx({DOCUMENT_XML: bytes(range(256)) * 4}), "not valid XML"),
        ("malformed document.xml", lambda: rewrite_docx({DOCUMENT_XML: b"<w:document><w:body>"}), "not valid XML"),
        ("wrong root", lambda: rewrite_docx({DOCUMENT_XML: b"<html><body/></html>"}), "not a Word document"),
        ("char ref NUL", lambda: rewrite_docx({DOCUMENT_XML: document_xml(paragraph("a&#0;b"))}), "not valid XML"),
        ("billion laughs", lambda: rewrite_docx({DOCUMENT_XML: BILLION_LAUGHS}), "DTD"),
        ("bzip2 member", lambda: rewrite_docx(compress_type=zipfile.ZIP_BZIP2), "compression method"),
        ("encrypted member", lambda: rewrite_docx(encrypted_flag=DOCUMENT_XML), "encrypted"),
        ("no document part", lambda: rewrite_docx(source=_without(DOCUMENT_XML)), "docx"),
    ],
)
def test_hostile_docx_is_refused_clearly(label, make, needle):
    error = refused(make())
    assert needle in str(error), (label, str(error))


def _without(member: str) -> bytes:
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base_docx())) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            if info.filename != member:
                zout.writestr(info, zin.read(info.filename))
    return out.getvalue()


def test_hostile_docx_with_flipped_bits_never_tracebacks():
    data = base_docx()
    rng = random.Random(7)
    outcomes = {"refused": 0, "read": 0}
    for _ in range(150):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] ^= 1 << rng.randrange(8)
        try:
            read_transcript(bytes(mutated), name="flip.docx")
            outcomes["read"] += 1
        except InputFileError as exc:
            assert "flip.docx" in str(exc)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0


def test_hostile_docx_unpacking_past_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(docx_reader, "MAX_DOCX_XML_BYTES", 200_000)
    bomb = rewrite_docx({DOCUMENT_XML: document_xml(paragraph("x" * 300_000))})
    assert len(bomb) < len(base_docx()) + 5_000  # 300,000 characters compress to nearly nothing
    assert "limit 200,000" in str(refused(bomb))


def test_hostile_docx_with_a_huge_image_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(docx_reader, "MAX_DOCX_UNCOMPRESSED", 1_000_000)
    big = rewrite_docx(add={"word/media/image1.png": b"\x00" * 2_000_000})
    assert "remove large images" in str(refused(big))


def test_hostile_docx_member_lying_about_its_size_is_refused(monkeypatch):
    """A member that decompresses to more than the budget left is stopped while reading."""
    monkeypatch.setattr(docx_reader, "MAX_DOCX_UNCOMPRESSED", 3_000_000)
    # the header is honest here, so make the budget too small for the real total only while reading
    data = rewrite_docx(add={"word/media/a.bin": b"\x00" * 2_500_000, "word/media/b.bin": b"\x00" * 400_000})
    monkeypatch.setattr(docx_reader, "_check_members", lambda archive, name: archive.infolist())
    monkeypatch.setattr(docx_reader, "MAX_DOCX_UNCOMPRESSED", 2_000_000)
    assert "declared size" in str(refused(data))


def test_hostile_docx_valid_one_still_reads():
    transcript = read_transcript(base_docx(), name="ok.docx")
    assert "Respondent: In Minsk." in transcript.text


# --- caps on text --------------------------------------------------------------------------------------


def test_hostile_too_many_turns_is_refused_naming_file_and_line(monkeypatch):
    monkeypatch.setattr(transcripts, "MAX_TURNS", 50)
    text = "".join(f"Q: q{i}?\nA: a{i}.\n" for i in range(100))
    with pytest.raises(InputFileError) as info:
        parse_turns(text, name="many.txt")
    assert "many.txt" in str(info.value) and "limit 50" in str(info.value) and info.value.line


def test_hostile_turn_longer_than_spacy_max_length_is_split_for_sentences(blank_nlp):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 2_000
    body = "\n".join(f"Line {i} of a long answer. It goes on." for i in range(400))
    text = f"Q: Tell me?\nA: {body}\nQ: And?\nA: End."
    segments, _ = segment_text(text, nlp=nlp)
    long_turn = segments[1]
    assert len(long_turn.text) > nlp.max_length
    assert len(long_turn.sentences) == 800
    for start, end in long_turn.sentences:
        assert long_turn.start <= start < end <= long_turn.end
        assert "\n" not in text[start:end]


# --- --label-regex and --encoding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "needle"), [("^(?P<label>\\w+", "not a valid regular expression"), ("^(\\w+):", "named group")]
)
def test_hostile_label_regex_invalid_is_clear(pattern, needle):
    with pytest.raises(InputFileError, match=needle):
        parse_turns("A: x\nB: y", RoleOverrides(label_regex=pattern), name="x.txt")


def test_hostile_label_regex_catastrophic_backtracking_times_out(monkeypatch):
    monkeypatch.setattr(transcripts, "LABEL_REGEX_SECONDS", 0.3)
    with pytest.raises(InputFileError) as info:
        parse_turns("a" * 40 + "!\nB: y", RoleOverrides(label_regex="^(?P<label>(a|aa)+)$"), name="slow.txt")
    assert "slow.txt" in str(info.value) and "took more than" in str(info.value) and info.value.line == 1


def test_hostile_label_regex_group_that_does_not_take_part_is_no_label():
    turns, _ = parse_turns("A: x\nB: y", RoleOverrides(label_regex="^(?:(?P<label>Z)|[AB]):"))
    assert len(turns) == 1


@pytest.mark.parametrize("encoding", ["unicode_escape", "raw_unicode_escape", "hex", "rot13", "no-such-codec"])
def test_hostile_encoding_that_is_not_a_text_encoding_is_refused(encoding):
    with pytest.raises(InputFileError, match="encoding"):
        read_transcript(b"Q: a \\ud800 b\nA: c", name="x.txt", encoding=encoding)


def test_hostile_decoded_text_with_lone_surrogate_is_refused():
    error = refused("Q: a\nA: \ud800".encode("utf-16-le", "surrogatepass"), name="x.txt", encoding="utf-16-le")
    assert error.line == 2


# --- SRT / WebVTT (item 24) -------------------------------------------------------------------------------

SRT = srt(
    [
        ("00:00:01,000", "Interviewer: Where did you work?"),
        ("00:00:04,500", "Natalia: In a factory."),
        ("00:00:07,250", "It was far from home."),
        ("00:00:09,000", "Interviewer: And then?"),
        ("00:00:12,000", "Natalia: Then I left."),
    ]
)

VTT = """WEBVTT

NOTE recorded in Minsk

1
00:01.000 --> 00:04.000 align:start
<v Interviewer>Where did you work?</v>

intro-2
00:04.500 --> 00:07.000
<v.loud Natalia>In a factory,
far from home.

00:07.250 --> 00:09.000
<v Interviewer>And then?
"""


@pytest.mark.parametrize(("name", "text"), [("talk.srt", SRT), ("talk.txt", SRT), ("talk.vtt", VTT), ("v.txt", VTT)])
def test_subtitles_import_as_turns_with_timestamps(blank_nlp, name, text):
    transcript = read_transcript(text.encode(), name=name)
    segments, warnings = segment_text(transcript.text, nlp=blank_nlp)
    for seg in segments:
        assert transcript.text[seg.start : seg.end] == seg.text
        assert "-->" not in seg.text and not seg.text.strip().isdigit()
        assert seg.timestamp
    roles = [(s.speaker_label, s.role) for s in segments]
    assert roles[0] == ("Interviewer", "interviewer")
    assert ("Natalia", "respondent") in roles
    assert not warnings


def test_subtitles_srt_texts_and_carried_speaker(blank_nlp):
    segments, _ = segment_text(SRT, nlp=blank_nlp)
    assert [s.text for s in segments] == [
        "Where did you work?",
        "In a factory.",
        "It was far from home.",
        "And then?",
        "Then I left.",
    ]
    assert segments[2].speaker_label == "Natalia" and segments[2].timestamp == "00:00:07,250"


def test_subtitles_vtt_voice_tags(blank_nlp):
    segments, _ = segment_text(VTT, nlp=blank_nlp)
    assert [s.text for s in segments] == ["Where did you work?", "In a factory,\nfar from home.", "And then?"]
    assert [s.timestamp for s in segments] == ["00:01.000", "00:04.500", "00:07.250"]


def test_subtitles_without_speakers_are_role_other_with_warning(blank_nlp):
    text = srt([("00:00:01,000", "So I said: no."), ("00:00:02,000", "Then nothing.")])
    segments, warnings = segment_text(text, nlp=blank_nlp)
    assert [s.role for s in segments] == ["other", "other"]
    assert segments[0].text == "So I said: no."
    assert "name no speakers" in warnings[0]


def test_subtitles_srt_suffix_with_other_content_is_refused():
    error = refused(b"Q: Why?\nA: Money.", name="talk.srt")
    assert "not SRT subtitles" in str(error) and error.line == 1


def test_hostile_label_regex_label_longer_than_the_store_column_is_refused():
    text = "x" * 150 + " >a\n" + "y >b\n"
    with pytest.raises(InputFileError, match="limits 100 and 16") as info:
        parse_turns(text, RoleOverrides(label_regex="^(?P<label>[^>]+)>"), name="long.txt")
    assert info.value.line == 1


def test_subtitles_many_cues_parse_in_linear_time():
    """Line numbers are counted once over the text, not from the start for every cue (which scanned GBs).

    Counted, not timed: the text records how many characters its ``count`` calls scan.
    """

    class ScanCounting(str):
        scanned = 0

        def count(self, sub, start=None, end=None):  # type: ignore[override]
            first = 0 if start is None else start
            last = len(self) if end is None else end
            ScanCounting.scanned += max(0, last - first)
            return str.count(self, sub, first, last)

    text = ScanCounting(srt([(f"00:00:{i % 60:02d},000", f"Natalia: cue {i}. " + "word " * 50) for i in range(2_000)]))
    turns, _ = parse_turns(text)
    assert len(turns) == 2_000
    assert ScanCounting.scanned <= 2 * len(text), (ScanCounting.scanned, len(text))  # quadratic: ~1,000x


def test_hostile_long_line_check_streams_and_names_the_line(monkeypatch):
    monkeypatch.setattr(transcripts, "MAX_LINE_CHARS", 10)
    error = refused(b"Q: a\r\nA: b\rQ: c\n\nA: " + b"x" * 20 + b"\n", name="x.txt")
    assert error.line == 5


def test_hostile_long_turns_reach_spacy_in_small_pieces_and_batches(blank_nlp, monkeypatch):
    import toolkit.corpus.segment as segment

    seen: list[list[int]] = []
    original = blank_nlp.pipe

    def spy(texts, batch_size=64):
        texts = list(texts)
        seen.append([len(t) for t in texts])
        return original(texts, batch_size=batch_size)

    monkeypatch.setattr(blank_nlp, "pipe", spy)
    monkeypatch.setattr(segment, "MAX_SPACY_CHARS", 1_000)
    monkeypatch.setattr(segment, "MAX_BATCH_CHARS", 3_000)
    one_line = "word " * 1_000  # 5,000 characters without a line end: cut between words
    text = f"Q: Tell me?\nA: {one_line}\nQ: And?\nA: " + "Short line.\n" * 500
    segments, _ = segment_text(text, nlp=blank_nlp)
    assert max(max(batch) for batch in seen) <= 1_000
    assert max(sum(batch) for batch in seen) <= 3_000
    assert all(not text[s:e].startswith("ord") for seg in segments for s, e in seg.sentences)
    for seg in segments:
        assert text[seg.start : seg.end] == seg.text


@pytest.mark.parametrize("span", ["abc", "99999999", "-1"])
def test_hostile_docx_table_spans_are_not_expanded(span):
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="{}"/></w:tcPr><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>'
    table = f"<w:tbl><w:tr>{cell.format(span, 'Q: why?')}{cell.format('1', 'more')}</w:tr></w:tbl>"
    transcript = read_transcript(rewrite_docx({DOCUMENT_XML: document_xml(table)}), name="t.docx")
    assert transcript.text == "Q: why? more"


def test_docx_table_between_turns_keeps_its_place():
    """Paragraphs then tables used to move every table to the end and reorder the turns (issue 10)."""
    from .hostile import paragraph

    cell = "<w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>"
    table = f"<w:tbl><w:tr>{cell.format('A: I signed')}{cell.format('a paper.')}</w:tr></w:tbl>"
    body = paragraph("Q: Did you sign?") + table + paragraph("Q: And then?") + paragraph("A: We left.")
    transcript = read_transcript(rewrite_docx({DOCUMENT_XML: document_xml(body)}), name="t.docx")
    assert transcript.text.splitlines() == ["Q: Did you sign?", "A: I signed a paper.", "Q: And then?", "A: We left."]
