"""One JSON contract for every command: lists print JSON Lines, summaries print one JSON document.

A command that lists records (segments, suggestions, memos, audit events, detections, search hits) prints
one JSON object per line, so it can be streamed and filtered line by line; a command that summarises
(status, evaluate, agreement, report) prints one JSON object. Every command with ``--json`` must say which
it is here, so a new command cannot pick a third shape unnoticed.
"""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from toolkit.cli.main import app

LINES, DOCUMENT = "json-lines", "json-document"
SHAPES: dict[tuple[str, ...], str] = {
    ("show",): LINES,
    ("suggest",): LINES,
    ("memo", "list"): LINES,
    ("audit",): LINES,
    ("status",): DOCUMENT,
    ("evaluate",): DOCUMENT,
    ("estimate",): DOCUMENT,
    ("agreement",): DOCUMENT,
    ("report",): DOCUMENT,
    ("search",): LINES,
    ("documents",): LINES,
    ("memo", "search"): LINES,
    ("deid", "scan"): LINES,
    ("deid", "list"): LINES,
    ("deid", "status"): LINES,
    ("query", "words"): LINES,
    ("query", "coding"): DOCUMENT,
    ("query", "matrix"): DOCUMENT,
    ("query", "cooccurrence"): DOCUMENT,
    ("audit", "verify"): DOCUMENT,
    ("users", "list"): LINES,
}
# The fast ones run against the sample project; suggest and evaluate embed text (tested elsewhere).
RUN = {
    ("show",): ["show", "S01", "--json"],
    ("memo", "list"): ["memo", "list", "--json"],
    ("audit",): ["audit", "--document", "S01", "--json"],
    ("status",): ["status", "--json"],
    ("agreement",): ["agreement", "--coders", "gold,bob", "--json"],
    ("report",): ["report", "--json"],
    ("search",): ["search", "passport", "--json"],
    ("documents",): ["documents", "--json"],
    ("deid", "status"): ["deid", "status", "--json"],
    ("query", "words"): ["query", "words", "--group", "contract", "--json"],
    ("query", "coding"): ["query", "coding", "root_cause.economic AND root_cause.family", "--json"],
    ("query", "matrix"): ["query", "matrix", "gender", "--json"],
    ("audit", "verify"): ["audit", "verify", "--json"],
}


def _has_json_option(command) -> bool:
    return any("--json" in getattr(param, "opts", ()) for param in command.params)


def _command(path: tuple[str, ...]):
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def _all_commands(command, path=()):
    """Every command and group (a group such as `qda audit` may take options of its own)."""
    yield path
    for name, child in (getattr(command, "commands", None) or {}).items():
        yield from _all_commands(child, (*path, name))


def test_cli_json_every_json_command_declares_its_shape():
    with_json = {
        path for path in _all_commands(typer.main.get_command(app)) if path and _has_json_option(_command(path))
    }
    assert with_json == set(SHAPES), f"declare the shape of: {sorted(with_json - set(SHAPES))}"


@pytest.fixture(scope="module")
def study_url(sample_store, tmp_path_factory) -> str:
    """A copy of the sample project with a second coder's coding and a memo, so every list has rows."""
    import shutil
    import sqlite3

    source = sample_store.url.removeprefix("sqlite:///")
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path_factory.mktemp("json") / "study.sqlite"
    shutil.copyfile(source, copy)
    url = f"sqlite:///{copy}"
    runner = CliRunner()
    for args in (
        ["code", "S01", "0", "40", "root_cause.family", "--coder", "bob", "--new-coder"],
        ["memo", "add", "Family pressure comes first here.", "--coder", "bob", "--document", "S01"],
    ):
        result = runner.invoke(app, ["--db", url, *args])
        assert result.exit_code == 0, result.output
    return url


@pytest.mark.model
@pytest.mark.parametrize("path", sorted(RUN))
def test_cli_json_output_has_the_declared_shape(study_url, path):
    result = CliRunner().invoke(app, ["--db", study_url, *RUN[path]])
    assert result.exit_code == 0, result.output
    text = result.stdout.strip()
    assert text, "no output to check"
    if SHAPES[path] == LINES:
        records = [json.loads(line) for line in text.splitlines()]
        assert all(isinstance(r, dict) for r in records)
    else:
        assert isinstance(json.loads(text), dict)  # the whole output is one document, not lines
