"""Code by selection, library side: codes and memo in one transaction, on SQLite and PostgreSQL; undo after it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from toolkit.analysis.search import search
from toolkit.coding.codebook import load_codebook
from toolkit.coding.hand_undo import undo_last_coding
from toolkit.coding.review import add_coder, list_memos
from toolkit.coding.selection import code_selection, coder_codings, document_turns
from toolkit.corpus.importer import import_files
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.store.models import AuditEvent, Coding

from ..conftest import CODEBOOK, SAMPLE


@pytest.fixture
def study(any_store, blank_nlp):
    import_files(any_store, [SAMPLE / "transcripts" / "S01.txt"], nlp=blank_nlp)
    load_codebook(any_store, CODEBOOK)
    add_coder(any_store, "alice")
    return any_store


def rows(store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(Coding)) + session.scalar(
            select(func.count()).select_from(AuditEvent)
        )


def test_selection_stores_codes_and_memo_together(study):
    turns = document_turns(study, "S01")
    turn = next(t for t in turns if "passports" in t["text"])
    at = turn["text"].index("they collected our passports")
    start, end = turn["start"] + at, turn["start"] + at + len("they collected our passports")
    assert turn["sentences"] and all(turn["start"] <= a < b <= turn["end"] for a, b in turn["sentences"])
    ids = code_selection(
        study, "alice", "S01", start, end, ["contract.not_received", "root_cause.economic"], " Kept passports. "
    )
    own = coder_codings(study, "alice", "S01")
    assert [(c["id"], c["quote"]) for c in own] == [(i, "they collected our passports") for i in ids]
    assert [(m["target_type"], m["target"], m["text"]) for m in list_memos(study)] == [
        ("coding", str(ids[0]), "Kept passports.")
    ]
    assert code_selection(study, "alice", "S01", start, end, ["contract.not_received", "contract.none"]) == [
        ids[-1] + 1
    ]
    assert [h.position for h in search(study, "passport", codes=["contract.none"], coder="alice")] == [turn["position"]]
    assert undo_last_coding(study, "alice")["action"] == "coding.add"
    assert len(coder_codings(study, "alice", "S01")) == 2


def test_selection_is_all_or_nothing(study):
    before = rows(study)
    for codes, span in (
        (["contract.none", "contract.nope"], (10, 20)),
        ([], (10, 20)),
        (["contract.none"], (20, 10)),
        (["contract.none"], (0, 10**9)),
    ):
        with pytest.raises((ToolkitError, NotFoundError)):
            code_selection(study, "alice", "S01", *span, codes, "memo")
    with pytest.raises(NotFoundError):
        code_selection(study, "bob", "S01", 10, 20, ["contract.none"])
    assert rows(study) == before


def test_selection_view_is_de_identified_and_maps_back_to_the_stored_text(study):
    """The browser gets only pseudonyms; a selection across one is stored with the whole name."""
    from toolkit.coding.selection import selection_view
    from toolkit.corpus.identifiers import add
    from toolkit.store.models import Document

    with study.read() as session:
        text = session.scalar(select(Document.text).where(Document.name == "S01"))
    turn = next(t for t in document_turns(study, "S01") if "passports" in t["text"])
    name = str(turn["text"]).split()[0].strip(",.")  # a word of the turn stands in for a person's name
    add(study, "S01", "person", "alice", text=name)
    shown = selection_view(study, "S01")
    assert all(name not in str(t["text"]).split() for t in shown.turns)
    view_turn = next(t for t in shown.turns if t["position"] == turn["position"])
    pseudonym_at = int(view_turn["start"]) + str(view_turn["text"]).index("[PERSON")
    start, end = shown.to_document(pseudonym_at + 2, int(view_turn["end"]))  # a selection from inside it
    assert text[start:end].startswith(name) and end == turn["end"]
    code_selection(study, "alice", "S01", start, end, ["root_cause.economic"], None)
    assert any(c["start"] == start for c in coder_codings(study, "alice", "S01"))
