"""Memos: edit, delete and export (own memos only, audited). Undo of hand coding, step by step."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.codebook import load_codebook
from toolkit.coding.codes import merge_codes
from toolkit.coding.hand_undo import undo_last_coding
from toolkit.coding.memos import delete_memo, edit_memo, export_memos, memo_rows
from toolkit.coding.review import add_coder, add_coding, add_memo, list_memos, recode, remove_coding
from toolkit.corpus.importer import import_files
from toolkit.errors import ToolkitError
from toolkit.store.models import Coding

from ..conftest import CODEBOOK, SAMPLE


@pytest.fixture
def study(store, blank_nlp, tmp_path):
    import_files(store, [SAMPLE / "transcripts" / "S01.txt"], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    add_coder(store, "alice")
    add_coder(store, "bob")
    return store


def codings(store, coder_id=None) -> list[tuple[int, str, int, int]]:
    with store.read() as session:
        return sorted((c.id, c.code_id, c.start, c.end) for c in session.scalars(select(Coding)))


def test_memos_edit_delete_export_only_by_their_author(study):
    coding = add_coding(study, "alice", "S01", 10, 40, "root_cause.family")
    on_code = add_memo(study, "alice", "code", "root_cause.family", '=HYPERLINK("x") overlaps economic')
    on_doc = add_memo(study, "bob", "document", "S01", "Ask about the mother's pills.")
    add_memo(study, "alice", "coding", coding, "Only half the turn.")
    edit_memo(study, "alice", on_code, "Overlaps economic; =1+1")
    with pytest.raises(ToolkitError, match="someone else"):
        edit_memo(study, "alice", on_doc, "mine now")
    with pytest.raises(ToolkitError, match="someone else"):
        delete_memo(study, "alice", on_doc)
    rows = {r["id"]: r for r in memo_rows(study)}
    assert rows[on_code]["text"] == "Overlaps economic; =1+1"
    assert rows[on_code]["about"].endswith("(root_cause.family)")
    assert [r["about"] for r in rows.values() if r["target_type"] == "coding"] == ["S01 10-40 root_cause.family"]
    exported = list(csv.DictReader(io.StringIO(export_memos(study, "csv"))))
    assert len(exported) == 3 and all(not r["text"].startswith("=") for r in exported)
    assert json.loads(export_memos(study, "jsonl").splitlines()[0])["text"].startswith("Overlaps")
    delete_memo(study, "bob", on_doc)
    assert len(list_memos(study)) == 2


def test_undo_steps_back_through_add_recode_remove(study):
    start = codings(study)
    first = add_coding(study, "alice", "S01", 10, 40, "root_cause.family")
    second = add_coding(study, "alice", "S01", 50, 90, "root_cause.economic")
    recode(study, "alice", second, "root_cause.education")
    remove_coding(study, "alice", first)
    bob = add_coding(study, "bob", "S01", 0, 5, "root_cause.family")  # bob's work is never undone by alice
    after_all = codings(study)
    assert undo_last_coding(study, "alice")["action"] == "coding.remove"
    assert (first, "root_cause.family", 10, 40) in codings(study)
    assert undo_last_coding(study, "alice")["action"] == "coding.recode"
    assert (second, "root_cause.economic", 50, 90) in codings(study)
    assert undo_last_coding(study, "alice")["action"] == "coding.add"
    assert undo_last_coding(study, "alice")["action"] == "coding.add"
    assert undo_last_coding(study, "alice") is None
    assert codings(study) == sorted([*start, (bob, "root_cause.family", 0, 5)])
    assert len(after_all) == len(start) + 2


def test_undo_cli(study):
    url = str(study.engine.url)
    add_coding(study, "alice", "S01", 10, 40, "root_cause.family")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", url, "undo", "--coder", "alice"])
    assert result.exit_code == 0 and "coding.add" in result.stdout
    result = runner.invoke(app, ["--db", url, "undo", "--coder", "alice"])
    assert result.exit_code == 0 and "nothing to undo" in result.stdout
    add_memo(study, "alice", "document", "S01", "Mother's pills; пенсия")
    result = runner.invoke(app, ["--db", url, "memo", "export", "--format", "jsonl"])
    assert result.exit_code == 0 and json.loads(result.stdout)["text"] == "Mother's pills; пенсия"
    result = runner.invoke(app, ["--db", url, "memo", "search", "pill"])
    assert result.exit_code == 0 and "Mother's pills" in result.stdout
    result = runner.invoke(app, ["--db", url, "memo", "search", "пенсии"])
    assert "Mother's pills" in result.stdout


def test_undo_refuses_when_the_coding_changed_elsewhere(study):
    coding = add_coding(study, "alice", "S01", 10, 40, "root_cause.family")
    recode(study, "alice", coding, "root_cause.economic")
    merge_codes(study, "bob", "root_cause.economic", "root_cause.education")  # not alice's action
    with pytest.raises(ToolkitError, match="changed since"):
        undo_last_coding(study, "alice")
    assert (coding, "root_cause.education", 10, 40) in codings(study)
