"""Values that SQLite would take and PostgreSQL refuses are refused clearly on both (issue 9, item 6)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from toolkit.coding.codebook import load_codebook
from toolkit.coding.review import add_coder, add_memo
from toolkit.corpus.importer import import_files
from toolkit.errors import ToolkitError, ValueLimitError
from toolkit.store.models import AuditEvent, Coder, Document

from ..conftest import CODEBOOK


def events(store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count(AuditEvent.id)))


def test_limits_long_document_name_is_refused_on_both_backends(any_store, blank_nlp, tmp_path):
    path = tmp_path / ("n" * 201 + ".txt")
    path.write_text("Q: Why?\nA: Money.")
    before = events(any_store)
    with pytest.raises(ValueLimitError, match=r"document name .* 201 characters long; the store holds at most 200"):
        import_files(any_store, [path], nlp=blank_nlp)
    with any_store.read() as session:
        assert session.scalar(select(Document)) is None
    assert events(any_store) == before


def test_limits_nul_in_transcript_text_is_refused(any_store, blank_nlp, tmp_path):
    path = tmp_path / "nul.txt"
    path.write_text("Q: Why?\nA: I had no mo\x00ney at all, that is why I went.\n")
    with pytest.raises(ToolkitError):
        import_files(any_store, [path], nlp=blank_nlp)
    with any_store.read() as session:
        assert session.scalar(select(Document)) is None


def test_limits_long_coder_name_and_nul_in_a_memo(any_store, blank_nlp, tmp_path):
    with pytest.raises(ValueLimitError, match=r"coder name .* at most 100"):
        add_coder(any_store, "c" * 101)
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: Money.")
    import_files(any_store, [path], nlp=blank_nlp)
    add_coder(any_store, "alice")
    with pytest.raises(ValueLimitError, match="NUL"):
        add_memo(any_store, "alice", "document", "S01", "a memo with a \x00 inside")
    with any_store.read() as session:
        assert session.scalars(select(Coder.name)).all() == ["alice"]


def test_limits_long_code_id_and_codebook_version(any_store, tmp_path):
    text = CODEBOOK.read_text(encoding="utf-8")
    long_id = tmp_path / "long_id.yaml"
    long_id.write_text(text.replace("root_cause.education", "root_cause." + "e" * 250, 1), encoding="utf-8")
    long_version = tmp_path / "long_version.yaml"
    version_line = next(line for line in text.splitlines() if line.strip().startswith("version:"))
    long_version.write_text(text.replace(version_line, f"  version: '{'9' * 60}'", 1), encoding="utf-8")
    for path in (long_id, long_version):
        with pytest.raises(ToolkitError, match="at most"):
            load_codebook(any_store, path)
    load_codebook(any_store, CODEBOOK)


def test_limits_fit_length_keeps_distinct_identifiers_distinct():
    from toolkit.store.limits import fit_length

    short = "survivor-qda 0.1.0; hashing-256@1"
    assert fit_length(short, 100) == short
    a, b = fit_length("x" * 150 + "a", 100), fit_length("x" * 150 + "b", 100)
    assert len(a) == len(b) == 100 and a != b
