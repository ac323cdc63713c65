"""Team mode from the command line: `qda serve` on this machine only until users exist; `--if-version` refusals."""

from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

from toolkit.cli import team
from toolkit.cli.main import app

runner = CliRunner()


def app_context(url: str):
    """A click context holding ``--db url``, as a running command has."""
    import typer

    from toolkit.cli.app import CliOptions

    command = typer.main.get_command(app)
    context = command.make_context("qda", ["--db", url, "status"], resilient_parsing=True)
    context.obj = CliOptions(db_url=url)
    return context


@pytest.fixture
def launched(monkeypatch):
    """The command line `qda serve` would run, captured instead of starting Streamlit."""
    seen: dict = {}

    def fake_call(command, env, cwd):
        seen.update(command=command, env=env, cwd=cwd)
        return 0

    monkeypatch.setattr(subprocess, "call", fake_call)
    return seen


def test_serve_binds_to_this_machine_by_default(sqlite_store, sqlite_url, launched):
    result = runner.invoke(app, ["--db", sqlite_url, "serve"])
    assert result.exit_code == 0, result.output
    command = launched["command"]
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4].endswith("app.py")
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8501"
    assert launched["env"]["QDA_DB"] == sqlite_url and launched["env"]["HF_HUB_OFFLINE"] == "1"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "::1"])
def test_serve_other_loopback_names_are_local(sqlite_store, sqlite_url, launched, host):
    result = runner.invoke(app, ["--db", sqlite_url, "serve", "--host", host, "--port", "9000"])
    assert result.exit_code == 0, result.output
    assert launched["command"][launched["command"].index("--server.address") + 1] == host


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "qda.example.org", "::"])
def test_serve_beyond_this_machine_is_refused_in_one_line_saying_how(sqlite_store, sqlite_url, launched, host):
    result = runner.invoke(app, ["--db", sqlite_url, "serve", "--host", host])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert f"refusing to serve on {host}" in result.output and "ssh -L 8501:127.0.0.1:8501" in result.output
    assert launched == {}


def test_serve_beyond_this_machine_once_users_are_configured(sqlite_store, sqlite_url, launched):
    from toolkit.store.users import add_user

    add_user(sqlite_store, "olga", "admin", "a long passphrase")
    result = runner.invoke(app, ["--db", sqlite_url, "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert launched["command"][launched["command"].index("--server.address") + 1] == "0.0.0.0"


def test_serve_users_configured_reads_the_store(sqlite_store, sqlite_url):
    from toolkit.store.users import add_user

    def configured() -> bool:
        with app_context(sqlite_url):
            return team.users_configured()

    assert configured() is False
    add_user(sqlite_store, "olga", "admin", "a long passphrase")
    assert configured() is True


def test_serve_without_a_store_is_one_line(tmp_path, launched):
    result = runner.invoke(app, ["--db", f"sqlite:///{tmp_path / 'none.sqlite'}", "serve"])
    assert result.exit_code == 2 and "qda --db" in result.output and launched == {}


def test_cli_recode_if_version_refuses_a_coding_changed_meanwhile(db_url, blank_nlp, tmp_path):
    from toolkit.coding.codebook import load_codebook
    from toolkit.corpus.importer import import_files
    from toolkit.store.engine import create_store

    from ..conftest import CODEBOOK, FIXTURES

    store = create_store(db_url)
    import_files(store, [FIXTURES / "interview_basic.txt"], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    store.close()
    coded = runner.invoke(
        app, ["--db", db_url, "code", "interview_basic", "0", "5", "root_cause.family", "--coder", "ana", "--new-coder"]
    )
    cid = coded.output.split()[1].rstrip(":")
    first = runner.invoke(
        app, ["--db", db_url, "recode", cid, "root_cause.economic", "--coder", "ana", "--if-version", "1"]
    )
    assert first.exit_code == 0, first.output
    late = runner.invoke(app, ["--db", db_url, "uncode", cid, "--coder", "ana", "--if-version", "1"])
    assert late.exit_code == 2 and "[E820]" in late.output and "ana (coding.recode" in late.output
    assert len(late.output.strip().splitlines()) == 1
