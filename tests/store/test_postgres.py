"""The same store on PostgreSQL, for teams: a throwaway database on the local server."""

from __future__ import annotations

import json

import pytest

from toolkit.analysis.status import project_status
from toolkit.coding.codebook import load_codebook
from toolkit.coding.codings import export_codings, import_codings
from toolkit.corpus.importer import import_files
from toolkit.errors import CodingsError
from toolkit.store.engine import create_store, open_store

from ..conftest import CODEBOOK, FIXTURES

pytestmark = pytest.mark.postgres


def test_postgres_full_flow_and_rollback(pg_url, blank_nlp, tmp_path):
    store = create_store(pg_url)
    import_files(store, [FIXTURES / "interview_basic.txt"], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    gold = tmp_path / "gold.jsonl"
    row = {"document": "interview_basic", "quote": "A neighbour told me about it.", "codes": ["recruitment.in_person"]}
    gold.write_text(json.dumps(row) + "\n")
    assert import_codings(store, gold, coder="alice", new_coder=True).added == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"document": "interview_basic", "quote": "I trained as a teacher.", "codes": ["root_cause.education"]}\n'
        '{"document": "interview_basic", "quote": "never said", "codes": ["root_cause.family"]}\n'
    )
    with pytest.raises(CodingsError):
        import_codings(store, bad, coder="bob", new_coder=True)
    store.close()
    reopened = open_store(pg_url)
    info = project_status(reopened)
    assert info["documents"] == 1 and info["codings"] == 1 and info["coders"] == ["alice"]
    assert "A neighbour told me about it." in export_codings(reopened, "csv")
    reopened.close()
