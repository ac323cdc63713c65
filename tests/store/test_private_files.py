"""Stores, their WAL files, backups and exports are readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
import shutil
import stat

import pytest
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.review import add_coder
from toolkit.io.private import private_folder, write_private_text
from toolkit.store.engine import create_store, upgrade_store

from ..conftest import FIXTURES


@pytest.fixture
def loose_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_private_store_wal_and_shm_are_0600_with_umask_022(tmp_path, loose_umask):
    path = tmp_path / "new" / "study.sqlite"
    store = create_store(f"sqlite:///{path}")
    add_coder(store, "alice")
    with store.engine.connect() as conn:  # hold a connection: the WAL and shared-memory files exist now
        conn.exec_driver_sql("select count(*) from coders").scalar()
        for suffix in ("", "-wal", "-shm"):
            found = path.with_name(path.name + suffix)
            assert found.exists(), suffix
            assert mode(found) == 0o600, (suffix, oct(mode(found)))
    assert mode(path.parent) == 0o700  # the folder the toolkit created
    store.close()


def test_private_cli_init_exports_and_reports(tmp_path, loose_umask):
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    assert mode(tmp_path / "study.sqlite") == 0o600
    out = tmp_path / "exports" / "codings.csv"
    result = runner.invoke(app, ["--db", url, "codings", "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o600 and mode(out.parent) == 0o700
    out.chmod(0o644)  # an existing, wider file is narrowed when written again
    runner.invoke(app, ["--db", url, "codings", "export", "-o", str(out)])
    assert mode(out) == 0o600
    report = tmp_path / "disagreements.csv"
    runner.invoke(app, ["--db", url, "coders", "add", "a"])
    runner.invoke(app, ["--db", url, "coders", "add", "b"])
    result = runner.invoke(app, ["--db", url, "disagreements", "--coders", "a,b", "-o", str(report)])
    assert result.exit_code == 0, result.output
    assert mode(report) == 0o600


def test_private_upgrade_backup_is_0600(tmp_path, loose_umask):
    path = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURES / "store_made_by_0_1.sqlite", path)
    report = upgrade_store(f"sqlite:///{path}")
    assert report.backup is not None and mode(report.backup) == 0o600


def test_private_helpers_keep_existing_folders_as_they_are(tmp_path, loose_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    write_private_text(shared / "deep" / "er" / "x.txt", "secret")
    assert mode(shared) == 0o755  # not ours to change
    assert mode(shared / "deep") == 0o700 and mode(shared / "deep" / "er") == 0o700
    assert mode(shared / "deep" / "er" / "x.txt") == 0o600
    assert private_folder(shared / "deep") == shared / "deep"
