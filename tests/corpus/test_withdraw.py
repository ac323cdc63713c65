"""A participant withdraws: nothing of theirs is left, not even in the database file's bytes or its WAL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.codebook import load_codebook
from toolkit.coding.review import add_coder, add_coding, add_memo, decide, verify_audit
from toolkit.corpus.identifiers import identifier_rows
from toolkit.corpus.importer import import_files
from toolkit.corpus.withdraw import withdraw
from toolkit.store.models import Coding, Document, Pseudonym, Suggestion
from toolkit.suggest.suggestions import suggest, suggestion_rows

from ..conftest import CODEBOOK, SAMPLE
from .test_identifiers import NamesDetector

SECRET_WORDS = ("Zorbatronix", "Quillfeather", "submarine", "marmalade", "555 12 34", "quill.feather@example.org")
WITHDRAWN = """Interviewer: Tell me about yourself.
Respondent: I am Zorbatronix Quillfeather, call me on +375 29 555 12 34 or quill.feather@example.org.
Interviewer: How did the offer come?
Respondent: A friend showed me an advert for work on a violet submarine. The contract promised a good salary \
and a room. I signed the contract but they never gave me a copy.
Interviewer: What did you eat?
Respondent: Bread and marmalade, every day, for months. Nobody told us we could leave or ask for help.
"""


def file_bytes(path) -> bytes:
    data = path.read_bytes()
    for suffix in ("-wal", "-shm", "-journal"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            data += extra.read_bytes()
    return data


@pytest.fixture
def two_participants(store, blank_nlp, tmp_path):
    source = tmp_path / "W01.txt"
    source.write_text(WITHDRAWN, encoding="utf-8")
    import_files(store, [SAMPLE / "transcripts" / "S01.txt", source], nlp=blank_nlp, detector=NamesDetector())
    load_codebook(store, CODEBOOK)
    add_coder(store, "alice")
    with store.read() as session:
        text = session.scalar(select(Document.text).where(Document.name == "W01"))
        s01 = session.scalar(select(Document.text).where(Document.name == "S01"))
    at = text.index("A friend")
    add_coding(store, "alice", "W01", at, at + 60, "recruitment.in_person")
    at = text.index("I signed")
    add_coding(store, "alice", "W01", at, at + 50, "contract.not_received")
    at = s01.index("Through Andrei")
    add_coding(store, "alice", "S01", at, at + 40, "recruitment.in_person")
    add_memo(store, "alice", "document", "W01", "Zorbatronix mentions the violet submarine twice")
    from toolkit.suggest.estimator import SuggestConfig

    # Low cuts (for probabilities and for the uncalibrated codebook-only scores of a barely coded project):
    # the point is that W01 has suggestions (with explanations quoting it) to remove.
    low = SuggestConfig(threshold=0.05, zero_shot_cut=0.05)
    suggest(store, embedder="hashing", lemmatizer="simple", config=low)
    rows = suggestion_rows(store, ["W01"])
    assert rows, "the model should suggest something for W01"
    decide(store, "alice", rows[0]["id"], "accept")
    return store


def test_withdraw_removes_everything_and_leaves_no_bytes(two_participants, db_url, tmp_path):
    store = two_participants
    path = tmp_path / "study.sqlite"
    store.scrub()  # fold in the WAL first: the words must be found before, or the test proves nothing
    before = file_bytes(path)
    assert all(word.encode() in before for word in ("Zorbatronix", "submarine", "marmalade"))
    result = CliRunner().invoke(app, ["--db", db_url, "participant", "withdraw", "W01", "--yes", "--actor", "dpo"])
    assert result.exit_code == 0, result.output
    assert "withdrawn W01" in result.output
    store.close()
    data = file_bytes(path)
    for word in SECRET_WORDS:
        assert word.encode() not in data, word
        assert word.lower().encode() not in data, word
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        assert session.scalar(select(func.count()).select_from(Coding)) == 1  # S01's coding stays
        assert "submarine" not in str(list(session.scalars(select(Suggestion.explanation))))
        labels = set(session.scalars(select(Pseudonym.label)))
    assert {r["pseudonym"] for r in identifier_rows(store)} == labels  # no orphaned mapping
    report = verify_audit(store)
    assert report.ok and report.erased > 0


def test_withdraw_asks_before_removing(two_participants, db_url):
    result = CliRunner().invoke(app, ["--db", db_url, "participant", "withdraw", "W01"], input="n\n")
    assert result.exit_code != 0
    with two_participants.read() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 2


def test_withdraw_unknown_document_changes_nothing(two_participants):
    from toolkit.errors import NotFoundError

    with pytest.raises(NotFoundError):
        withdraw(two_participants, "W99")
    assert verify_audit(two_participants).ok


def test_withdraw_keeps_pseudonyms_other_documents_use(store, blank_nlp, tmp_path):
    a, b = tmp_path / "A.txt", tmp_path / "B.txt"
    a.write_text("Q: Who?\nA: Dmitry Savchuk, from Kobryn.\n", encoding="utf-8")
    b.write_text("Q: Who?\nA: Dmitry Savchuk again.\n", encoding="utf-8")
    import_files(store, [a, b], nlp=blank_nlp, detector=NamesDetector())
    withdraw(store, "A")
    assert {r["pseudonym"] for r in identifier_rows(store)} == {"[PERSON_1]"}
    with store.read() as session:
        assert set(session.scalars(select(Pseudonym.label))) == {"[PERSON_1]"}  # Kobryn's is gone
