from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli.main import app

from ..conftest import CODEBOOK, FIXTURES, SAMPLE

runner = CliRunner()


def qda(db_url: str, *args: str):
    return runner.invoke(app, ["--db", db_url, *map(str, args)])


def settled_digest(path: Path) -> str:
    """Fold the WAL into the file, then hash it: equal digests mean equal stores, byte for byte."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def small_study(tmp_path) -> tuple[str, Path]:
    """A store with three sample transcripts, their attributes, the codebook and one coder's codings."""
    db = tmp_path / "study.sqlite"
    url = f"sqlite:///{db}"
    names = ["S01", "S02", "S03"]
    cases = tmp_path / "cases.csv"
    lines = (SAMPLE / "cases.csv").read_text().splitlines()
    cases.write_text("\n".join([lines[0], *(row for row in lines[1:] if row.split(",")[0] in names)]) + "\n")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "".join(
            row + "\n"
            for row in (SAMPLE / "gold_codings.jsonl").read_text().splitlines()
            if json.loads(row)["document"] in names
        )
    )
    assert qda(url, "init").exit_code == 0
    result = qda(url, "import", *(SAMPLE / "transcripts" / f"{n}.txt" for n in names), "--attributes", cases)
    assert result.exit_code == 0, result.output
    assert qda(url, "codebook", "load", CODEBOOK).exit_code == 0
    result = qda(url, "codings", "import", gold, "--coder", "alice", "--new-coder")
    assert result.exit_code == 0, result.output
    return url, db


@pytest.mark.model
def test_cli_researcher_workflow_end_to_end(small_study):
    url, _ = small_study
    result = qda(url, "status", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["documents"] == 3 and info["documents_with_attributes"] == 3
    assert info["coders"] == ["alice"] and info["codes"] == 16
    assert info["segments_by_role"]["respondent"] == sum(
        1
        for row in (SAMPLE / "gold_codings.jsonl").read_text().splitlines()
        if json.loads(row)["document"] in {"S01", "S02", "S03"}
    )
    assert sum(sum(v.values()) for v in info["codings_per_code"].values()) == info["codings"] > 0

    result = qda(url, "show", "S01", "--json")
    segments = [json.loads(line) for line in result.output.splitlines()]
    assert {"position", "role", "speaker_label", "timestamp", "start", "end", "text"} <= set(segments[0])
    assert any(s["role"] == "respondent" for s in segments)

    result = qda(url, "codings", "export", "--format", "jsonl")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == info["codings"] and {r["coder"] for r in rows} == {"alice"}


@pytest.mark.model
def test_cli_reimport_says_nothing_to_do(small_study):
    url, _ = small_study
    result = qda(url, "import", SAMPLE / "transcripts" / "S01.txt")
    assert result.exit_code == 0 and "already imported, identical" in result.output


@pytest.mark.model
def test_cli_import_shows_a_bar_per_step_on_stderr_only(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    assert qda(url, "init").exit_code == 0
    monkeypatch.setenv("QDA_PROGRESS", "1")  # bars drawn though stderr is no terminal here
    result = qda(url, "import", *(SAMPLE / "transcripts" / f"{n}.txt" for n in ("S01", "S02")))
    assert result.exit_code == 0, result.output
    assert result.stderr.index("reading and segmenting") < result.stderr.index("finding identifiers")
    assert "reading" not in result.stdout and result.stdout.startswith("imported 2 document(s)")
    again = qda(url, "import", SAMPLE / "transcripts" / "S01.txt", "--no-deid")
    assert "reading and segmenting" in again.stderr and "finding identifiers" not in again.stderr


def test_cli_no_bars_when_stderr_is_not_a_terminal_so_a_refusal_stays_one_line(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    assert qda(url, "init").exit_code == 0
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip at all")
    monkeypatch.delenv("QDA_PROGRESS", raising=False)
    result = qda(url, "import", FIXTURES / "interview_basic.txt", bad, "--no-deid")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error:")
    monkeypatch.setenv("QDA_PROGRESS", "1")
    drawn = qda(url, "import", FIXTURES / "interview_basic.txt", bad, "--no-deid")
    assert drawn.exit_code == 2 and "reading and segmenting" in drawn.stderr  # the same command, bars asked for


def test_step_progress_one_bar_per_step_none_for_an_empty_step_or_a_repeated_end(capsys, monkeypatch):
    from toolkit.cli.app import step_progress

    monkeypatch.setenv("QDA_PROGRESS", "1")

    with step_progress() as report:
        report("reading", 0, 2)
        report("reading", 2, 2)
        report("reading", 2, 2)  # a step's last report, repeated, opens no second bar
        report("nothing to scan", 0, 0)
        print("a line between steps", file=sys.stderr)
        report("finding", 0, 1)
        report("finding", 1, 1)
    with step_progress(shown=False) as report:
        report("hidden", 0, 1)
    lines = [line.strip() for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines == ["reading", "a line between steps", "finding"]


def _bad_inputs(tmp_path: Path) -> dict[str, list[str]]:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"x" * (50 * 1024 * 1024 - 1))
    invalid = tmp_path / "latin1.txt"
    invalid.write_bytes("Q: Where?\nA: At the caf\u00e9 in Brest.\n".encode("latin-1"))
    dup = tmp_path / "dup.csv"
    dup.write_text("document,gender\nS01,male\nS01,female\n")
    changed = tmp_path / "S01.txt"
    changed.write_text("Q: A different S01?\nA: Yes.")
    unknown_doc = tmp_path / "unknown.jsonl"
    unknown_doc.write_text('{"document": "S01", "quote": "nowhere to be found", "codes": ["contract.none"]}\n')
    return {
        "empty": ["import", str(empty)],
        "binary": ["import", str(binary)],
        "huge": ["import", str(huge)],
        "invalid": ["import", str(invalid)],
        "dup_attributes": ["attributes", "import", str(dup)],
        "changed_without_replace": ["import", str(changed)],
        "quote_not_found": ["codings", "import", str(unknown_doc), "--coder", "bob"],
    }


@pytest.mark.model
def test_cli_bad_input_exits_2_names_file_and_leaves_store_byte_for_byte(small_study, tmp_path):
    url, db = small_study
    cases = _bad_inputs(tmp_path)
    expected_line = {"empty": 1, "huge": 1, "invalid": 2, "dup_attributes": 3, "quote_not_found": 1}
    for label, args in cases.items():
        before = settled_digest(db)
        result = qda(url, *args)
        assert result.exit_code == 2, (label, result.output)
        message = result.output
        assert "error:" in message and Path(args[-1] if label != "quote_not_found" else args[2]).name in message, label
        if label in expected_line:
            assert f"line {expected_line[label]}" in message, (label, message)
        assert settled_digest(db) == before, label


def test_cli_no_recognisable_turns_imports_one_segment_with_warning(db_url, tmp_path, blank_nlp, monkeypatch):
    import toolkit.corpus.segment as segment

    monkeypatch.setattr(segment, "load_sentence_pipeline", lambda model=None: blank_nlp)
    url = db_url
    qda(url, "init")
    notes = tmp_path / "notes.txt"
    notes.write_text("Field notes from the visit, no speakers here.\nSecond line.")
    result = qda(url, "import", notes)
    assert result.exit_code == 0
    assert "no speaker turns recognised" in result.output
    shown = qda(url, "show", "notes", "--json").output.splitlines()
    assert len(shown) == 1 and json.loads(shown[0])["role"] == "other"


def test_cli_statement_without_speakers_is_one_respondent_turn(db_url, tmp_path, blank_nlp, monkeypatch):
    """--statement: a published statement is the respondent's own account, so codes can be suggested for it."""
    import toolkit.corpus.segment as segment

    monkeypatch.setattr(segment, "load_sentence_pipeline", lambda model=None: blank_nlp)
    qda(db_url, "init")
    statement = tmp_path / "statement.txt"
    statement.write_text("I left school early to help at home.\n\nThere was no work in our town.")
    result = qda(db_url, "import", "--statement", statement)
    assert result.exit_code == 0, result.output
    assert "no speaker turns recognised" not in result.output
    shown = [json.loads(line) for line in qda(db_url, "show", "statement", "--json").output.splitlines()]
    assert [turn["role"] for turn in shown] == ["respondent"]


def test_cli_unknown_document_and_missing_store_are_clear(db_url):
    url = db_url  # no SQLite file yet / an empty PostgreSQL database
    result = qda(url, "status")
    assert result.exit_code == 2 and "init" in result.output
    qda(url, "init")
    result = qda(url, "show", "S42")
    assert result.exit_code == 2 and "no document 'S42'" in result.output


def test_cli_db_from_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    monkeypatch.setenv("QDA_DB", url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert (tmp_path / "env.sqlite").exists()
