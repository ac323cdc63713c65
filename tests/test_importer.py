from __future__ import annotations

import pytest
from sqlalchemy import select

from toolkit.codebook import load_codebook
from toolkit.codings import import_codings
from toolkit.errors import InputFileError
from toolkit.importer import import_files
from toolkit.model import Coding, Document

from .conftest import CODEBOOK, FIXTURES


def test_importer_stores_text_unchanged_and_segments_with_offsets(store, blank_nlp):
    path = FIXTURES / "interview_crlf.txt"
    report = import_files(store, [path], nlp=blank_nlp)
    assert report.imported == ["interview_crlf"]
    with store.read() as session:
        document = session.scalar(select(Document))
        assert document.text == path.read_bytes().decode()
        assert "\r\n" in document.text
        for segment in document.segments:
            assert document.text[segment.start : segment.end] == segment.text
        assert [s.role for s in document.segments] == ["interviewer", "respondent"] * 2
        assert len(document.segments[1].sentences) == 2


def test_importer_same_file_twice_is_a_noop(store, blank_nlp):
    path = FIXTURES / "interview_basic.txt"
    import_files(store, [path], nlp=blank_nlp)
    report = import_files(store, [path], nlp=blank_nlp)
    assert report.unchanged == ["interview_basic"] and not report.imported
    with store.read() as session:
        assert len(list(session.scalars(select(Document)))) == 1


def test_importer_changed_file_refused_without_replace(store, blank_nlp, tmp_path):
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: Money.\nQ: And?\nA: Family.")
    import_files(store, [path], nlp=blank_nlp)
    path.write_text("Q: Why?\nA: Money and debts.\nQ: And?\nA: Family.")
    with pytest.raises(InputFileError, match=r"--replace"):
        import_files(store, [path], nlp=blank_nlp)


def test_importer_replace_keeps_codings_whose_text_is_unchanged(store, blank_nlp, tmp_path):
    load_codebook(store, CODEBOOK)
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: I had no money at all.\nQ: And?\nA: My children needed me.")
    import_files(store, [path], nlp=blank_nlp)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"document": "S01", "quote": "I had no money at all.", "codes": ["root_cause.economic"]}\n'
        '{"document": "S01", "quote": "My children needed me.", "codes": ["root_cause.family"]}\n'
    )
    import_codings(store, gold, coder="alice")
    path.write_text("Header line\n\nQ: Why did you go?\nA: I had debts.\nQ: And?\nA: My children needed me.")
    report = import_files(store, [path], nlp=blank_nlp, replace=True)
    assert report.replaced == ["S01"] and report.codings_kept == 1 and report.codings_dropped == 1
    with store.read() as session:
        document = session.scalar(select(Document))
        (coding,) = session.scalars(select(Coding))
        assert coding.code_id == "root_cause.family"
        assert document.text[coding.start : coding.end] == "My children needed me."
        assert coding.segment_id == document.segments[-1].id


def test_importer_one_bad_file_among_many_stores_nothing(store, blank_nlp, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Q: Why?\nA: Money.")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"bad\.txt"):
        import_files(store, [good, bad], nlp=blank_nlp)
    with store.read() as session:
        assert session.scalar(select(Document)) is None


def test_importer_attributes_with_unknown_document_import_nothing(store, blank_nlp, tmp_path):
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: Money.")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,gender\nS01,female\nS99,male\n")
    with pytest.raises(InputFileError) as info:
        import_files(store, [path], nlp=blank_nlp, attributes=cases)
    assert "S99 (line 3)" in str(info.value)
    with store.read() as session:
        assert session.scalar(select(Document)) is None


def test_importer_attributes_are_merged(store, blank_nlp, tmp_path):
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: Money.")
    cases = tmp_path / "cases.csv"
    cases.write_text("id,gender,age_group\nS01,female,18-29\n")
    import_files(store, [path], nlp=blank_nlp, attributes=cases)
    with store.read() as session:
        assert session.scalar(select(Document)).attributes == {"gender": "female", "age_group": "18-29"}
