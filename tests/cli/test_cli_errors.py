"""The CLI's error contract: user errors are one line and exit 2; nothing leaks data or passwords."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.review import add_coder
from toolkit.corpus.importer import import_files
from toolkit.errors import ConflictError
from toolkit.store.engine import open_store
from toolkit.store.models import AuditEvent, Coder, Document

from ..conftest import CODEBOOK, FIXTURES

runner = CliRunner()


def qda(db_url: str, *args: str):
    return runner.invoke(app, ["--db", db_url, *map(str, args)])


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


@pytest.mark.parametrize(
    "args",
    [
        ["suggest", "--threshold", "1.5"],
        ["review", "--coder", "x", "--order", "foo"],
        ["agreement", "--unit", "everything"],
        ["codings", "export", "--format", "xml"],
        ["blind", "maybe"],
        ["no-such-command"],
    ],
)
def test_cli_bad_option_is_one_line_and_exit_2(store, db_url, args):
    result = qda(db_url, *args)
    assert result.exit_code == 2, result.output
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output


def test_cli_password_in_a_database_url_is_masked(tmp_path):
    result = qda("postgresql://analyst:s3cret-pass@127.0.0.1:1/study", "status")
    assert result.exit_code == 2
    assert "s3cret-pass" not in result.output and "***" in result.output
    assert len(error_lines(result)) == 1


def test_store_database_errors_hide_the_statements_parameters(store):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as info, store.engine.begin() as conn:
        insert = text("insert into coders (id, name, created_at) values (:i, :n, '2026-01-01')")
        conn.execute(insert, {"i": 1, "n": "a"})
        conn.execute(insert, {"i": 1, "n": "My name is Natalia, born 1986"})
    assert "Natalia" not in str(info.value)


def test_cli_unknown_coder_needs_registering_for_code_and_codings_import(store, db_url, blank_nlp, tmp_path):
    from toolkit.coding.codebook import load_codebook

    import_files(store, [FIXTURES / "interview_basic.txt"], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    rows = tmp_path / "c.jsonl"
    rows.write_text(json.dumps({"document": "interview_basic", "segment": 1, "codes": ["root_cause.economic"]}) + "\n")
    for args in (["code", "interview_basic", "0", "5", "root_cause.economic"], ["codings", "import", rows]):
        refused = qda(db_url, *args, "--coder", "newbie")
        assert refused.exit_code == 2 and "--new-coder" in refused.output and "qda coders add newbie" in refused.output
    coded = qda(db_url, "code", "interview_basic", "0", "5", "root_cause.economic", "--coder", "nina", "--new-coder")
    assert coded.exit_code == 0
    assert qda(db_url, "codings", "import", rows, "--coder", "omar", "--new-coder").exit_code == 0
    with store.read() as session:
        assert set(session.scalars(select(Coder.name))) == {"nina", "omar"}
        added = set(session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "coder.add")))
    assert added == {"nina", "omar"}


def test_store_race_for_one_coder_name_is_a_clear_conflict(store, db_url):
    """Two `qda coders add bob` at once: the loser gets a ConflictError, and bob exists once."""
    other = open_store(db_url)
    with pytest.raises(ConflictError, match="a coder of that name"), store.transaction("alice") as tx:
        assert tx.session.scalar(select(Coder).where(Coder.name == "bob")) is None  # the check add_coder makes
        add_coder(other, "bob")  # the other process wins meanwhile
        tx.session.add(Coder(name="bob"))
        tx.session.flush()
    with store.read() as session:
        assert session.scalars(select(Coder.name)).all() == ["bob"]
    other.close()


def test_store_race_for_one_new_document_is_a_clear_conflict(store, db_url, blank_nlp, monkeypatch):
    """Two imports of the same new file at once: the loser's whole import is refused clearly."""
    import toolkit.corpus.importer as importer

    other = open_store(db_url)
    real = importer._add_segments

    def interleaved(tx, document, specs):
        monkeypatch.setattr(importer, "_add_segments", real)
        import_files(other, [FIXTURES / "interview_basic.txt"], nlp=blank_nlp)  # the other import commits first
        return real(tx, document, specs)

    monkeypatch.setattr(importer, "_add_segments", interleaved)
    with pytest.raises(ConflictError, match="a document of that name"):
        import_files(store, [FIXTURES / "interview_basic.txt"], nlp=blank_nlp)
    with store.read() as session:
        assert len(session.scalars(select(Document)).all()) == 1
    other.close()


def _leaf_commands(command, path=()):
    children = getattr(command, "commands", None)
    if not children:
        yield path
        return
    for name, child in children.items():
        yield from _leaf_commands(child, (*path, name))


def test_cli_every_command_answers_a_bad_option_with_one_line(db_url):
    import typer

    leaves = list(_leaf_commands(typer.main.get_command(app)))
    assert len(leaves) > 20, leaves
    for path in leaves:
        result = qda(db_url, *path, "--no-such-option")
        assert result.exit_code == 2, (path, result.output)
        lines = error_lines(result)
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, (path, lines)


def test_cli_missing_database_driver_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if `pip install survivor-qda` without [postgres]
    result = qda("postgresql://analyst:pw@127.0.0.1:5432/study", "init")
    assert result.exit_code == 2
    lines = error_lines(result)
    assert len(lines) == 1 and "pip install 'survivor-qda[postgres]'" in lines[0] and "pw@" not in lines[0]


def test_cli_demo_without_its_sample_data_says_where_to_point_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    result = qda(url, "demo", "--data", tmp_path / "nowhere", "--no-suggestions")
    assert result.exit_code == 2 and "qda demo --data PATH" in result.output
    assert not (tmp_path / "demo.sqlite").exists()


@pytest.mark.model
def test_cli_demo_builds_the_sample_project(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    result = qda(url, "demo", "--no-suggestions")
    assert result.exit_code == 0, result.output
    assert "documents  26" in result.output and "gold" in result.output
    assert "importing 26 transcripts" in result.stderr and "suggesting" not in result.stderr  # steps, on stderr
    assert "counting gold (the project's reference coder" in qda(url, "reference").output


def test_cli_suggest_with_no_respondent_turns_says_to_import_first(tmp_path):
    """A new store with a codebook but no transcripts: one clear line, not an internal error."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert qda(url, "init").exit_code == 0
    assert qda(url, "codebook", "load", CODEBOOK).exit_code == 0
    result = qda(url, "suggest", "--model", "hashing")
    assert result.exit_code == 2, result.output
    assert error_lines(result) == [error_lines(result)[0]] and "import transcripts first" in result.output
