"""Encryption at rest with SQLCipher (the optional ``encryption`` extra): the key opens, nothing else does.

Skipped when ``sqlcipher3`` is not installed (``pip install -e ".[encryption]"``; CI installs it).
"""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.store.engine import KEY_ENV, open_store

from ..conftest import CODEBOOK, SAMPLE

pytest.importorskip("sqlcipher3", reason="SQLCipher is the optional 'encryption' extra: pip install -e '.[encryption]'")

runner = CliRunner()
KEY = "correct horse battery staple"
WORDS = [b"Savchuk", b"Kalinkavichy", b"passport", b"Respondent", b"SQLite format 3"]
"""Transcript words (and SQLite's plain header) that an encrypted file must not contain."""


def qda(url: str, *args: object, input: str | None = None):
    return runner.invoke(app, ["--db", url, *map(str, args)], input=input)


def files_of(path: Path) -> dict[str, bytes]:
    """The store and its WAL / shared-memory files, as they are on disk now."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


def digest(path: Path) -> dict[str, str]:
    """The store's and its WAL's bytes (the -shm file is SQLite's shared-memory index, not data).

    Connections of earlier in-process commands are collected first: the last one to close checkpoints
    the WAL into the file, which would change the bytes whatever the command under test did.
    """
    gc.collect()
    files = files_of(path)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items() if not name.endswith("-shm")}


def settled(path: Path) -> str:
    """A plain store's digest with its WAL folded in (a checkpoint moves pages, it changes no content)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def encrypted(tmp_path, monkeypatch) -> tuple[str, Path]:
    """An encrypted store with two interviews, their attributes, the codebook and one coder's codings."""
    monkeypatch.setenv(KEY_ENV, KEY)
    path = tmp_path / "secret.sqlite"
    url = f"sqlite:///{path}"
    names = ["S01", "S02"]
    cases = tmp_path / "cases.csv"
    rows = (SAMPLE / "cases.csv").read_text(encoding="utf-8").splitlines()
    cases.write_text("\n".join([rows[0], *(r for r in rows[1:] if r.split(",")[0] in names)]) + "\n")
    gold = tmp_path / "gold.jsonl"
    lines = (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
    gold.write_text("".join(line + "\n" for line in lines if json.loads(line)["document"] in names))
    result = qda(url, "init")
    assert result.exit_code == 0 and "encrypted" in result.output, result.output
    files = [SAMPLE / "transcripts" / f"{n}.txt" for n in names]
    for args in (
        ["import", "--no-deid", *files, "--attributes", cases],
        ["codebook", "load", CODEBOOK],
        ["codings", "import", gold, "--coder", "alice", "--new-coder"],
    ):
        result = qda(url, *args)
        assert result.exit_code == 0, result.output
    return url, path


def test_encrypted_store_works_through_the_commands_and_its_files_reveal_nothing(encrypted, tmp_path):
    url, path = encrypted
    status = json.loads(qda(url, "status", "--json").output)
    assert status["documents"] == 2 and status["codings"] > 0
    report = tmp_path / "report.html"
    result = qda(url, "report", report, "--format", "html")
    assert result.exit_code == 0, result.output
    assert "interviews" in report.read_text(encoding="utf-8")

    # While a writer holds it open, its WAL holds the newest pages: encrypted too.
    store = open_store(url)
    from toolkit.coding.review import add_memo

    add_memo(store, "alice", "document", "S01", "Savchuk mentions the passport twice (Kalinkavichy).")
    on_disk = files_of(path)
    store.close()
    assert f"{path.name}-wal" in on_disk, "the test must see a WAL, or it proves nothing about it"
    on_disk.update(files_of(path))
    for name, data in on_disk.items():
        assert len(data) > 0 or name.endswith("-shm")
        assert [w for w in WORDS if w in data] == [], name


def test_the_words_are_there_without_encryption(tmp_path, monkeypatch):
    """The control: the same commands on a plain store leave the words in its file."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "plain.sqlite"
    url = f"sqlite:///{path}"
    assert qda(url, "init").exit_code == 0
    assert qda(url, "import", "--no-deid", SAMPLE / "transcripts" / "S01.txt").exit_code == 0
    data = b"".join(files_of(path).values())
    assert b"Savchuk" in data and b"SQLite format 3" in data


@pytest.mark.parametrize(
    "key",
    ["wrong key", None],
    ids=["wrong key", "no key"],
)
def test_wrong_or_missing_key_is_one_line_and_writes_nothing(encrypted, monkeypatch, key):
    url, path = encrypted
    before = digest(path)
    if key is None:
        monkeypatch.delenv(KEY_ENV)
    else:
        monkeypatch.setenv(KEY_ENV, key)
    for args in (["status"], ["status", "--json"], ["import", SAMPLE / "transcripts" / "S03.txt"], ["init"]):
        result = qda(url, *args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output, result.output
        assert KEY_ENV in lines[0] and ("wrong key" in lines[0] if key else "encrypted" in lines[0])
        assert digest(path) == before


def test_a_key_for_a_plain_store_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "plain.sqlite"
    url = f"sqlite:///{path}"
    assert qda(url, "init").exit_code == 0
    before = digest(path)
    monkeypatch.setenv(KEY_ENV, KEY)
    result = qda(url, "status")
    assert result.exit_code == 2 and "not encrypted" in result.output
    assert digest(path) == before


def test_key_prompt_opens_the_store(encrypted, monkeypatch):
    url, _ = encrypted
    monkeypatch.delenv(KEY_ENV)
    result = runner.invoke(app, ["--db-key-prompt", "--db", url, "status", "--json"], input=KEY + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"] == 2  # the prompt went to stderr: stdout is the JSON
    monkeypatch.delenv(KEY_ENV)
    result = runner.invoke(app, ["--db-key-prompt", "--db", url, "status"], input="not it\n")
    assert result.exit_code == 2 and "wrong key" in result.output


def test_db_encrypt_copies_a_plain_store_and_back(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    plain = tmp_path / "plain.sqlite"
    url = f"sqlite:///{plain}"
    assert qda(url, "init").exit_code == 0
    assert qda(url, "import", "--no-deid", SAMPLE / "transcripts" / "S01.txt").exit_code == 0
    plain_before = settled(plain)
    monkeypatch.setenv(KEY_ENV, KEY)
    secret = tmp_path / "secret.sqlite"
    result = qda(url, "db", "encrypt", "--to", f"sqlite:///{secret}")
    assert result.exit_code == 0, result.output
    assert settled(plain) == plain_before
    assert [w for w in WORDS if w in secret.read_bytes()] == []
    assert secret.stat().st_mode & 0o777 == 0o600
    assert json.loads(qda(f"sqlite:///{secret}", "status", "--json").output)["documents"] == 1
    # The reverse, and a target that exists already is refused.
    back = tmp_path / "back.sqlite"
    result = qda(f"sqlite:///{secret}", "db", "encrypt", "--decrypt", "--to", f"sqlite:///{back}")
    assert result.exit_code == 0, result.output
    monkeypatch.delenv(KEY_ENV)
    shown = qda(f"sqlite:///{back}", "show", "S01", "--json", "--raw")
    assert shown.exit_code == 0 and "Savchuk" in shown.output
    monkeypatch.setenv(KEY_ENV, KEY)
    result = qda(url, "db", "encrypt", "--to", f"sqlite:///{secret}")
    assert result.exit_code == 2 and "exists already" in result.output
