"""Schema migrations: a store made by the previous release upgrades; migrations build the models' schema."""

from __future__ import annotations

import shutil

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.blind import is_blind
from toolkit.errors import StoreError
from toolkit.store.engine import open_store
from toolkit.store.migrate import _config, head_revision
from toolkit.store.models import Base

from ..conftest import FIXTURES

TABLES = (
    "documents",
    "segments",
    "sentences",
    "codes",
    "coders",
    "codings",
    "suggestions",
    "reviews",
    "memos",
    "audit_events",
)
PREVIOUS_RELEASE_STORE = FIXTURES / "store_made_by_0_1.sqlite"
"""Made by survivor-qda 0.1 (commit 00fe007): three sample transcripts, one coder's codings, suggestions
on S03 with one accepted and one rejected, a memo, blind mode on (caches emptied to keep the file small)."""


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {table: conn.execute(text(f"select count(*) from {table}")).scalar() for table in TABLES}
    engine.dispose()
    return found


def test_migrate_previous_release_store_upgrades_with_a_backup_and_keeps_every_row(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copyfile(PREVIOUS_RELEASE_STORE, path)
    url = f"sqlite:///{path}"
    before = counts(url)
    assert all(before[t] > 0 for t in TABLES), before
    with pytest.raises(StoreError, match=r"revision 0001.*qda db upgrade"):
        open_store(url)
    runner = CliRunner()
    current = runner.invoke(app, ["--db", url, "db", "current"])
    assert current.exit_code == 0 and "store revision 0001" in current.output and "qda db upgrade" in current.output
    result = runner.invoke(app, ["--db", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    backups = list(tmp_path.glob("old.backup-*.sqlite"))
    assert len(backups) == 1 and (backups[0].stat().st_mode & 0o077) == 0
    assert counts(url) == before
    store = open_store(url)
    assert is_blind(store)  # carried over from the old schema_info flag
    with store.engine.begin() as conn:  # a coding now outlives its suggestion
        linked = conn.execute(text("select suggestion_id from codings where suggestion_id is not null")).scalar()
        conn.execute(text("delete from suggestions where id = :i"), {"i": linked})
        unlinked = conn.execute(text("select count(*) from codings where suggestion_id is null")).scalar()
        assert unlinked == before["codings"]
    with pytest.raises(IntegrityError), store.engine.begin() as conn:  # vocabularies are the database's too
        conn.execute(text("update segments set role = 'narrator' where position = 0"))
    store.close()
    again = runner.invoke(app, ["--db", url, "db", "upgrade"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_migrate_failed_upgrade_changes_nothing(tmp_path, monkeypatch):
    """An upgrade is all or nothing: a failure in the last step leaves the store as it was."""
    import toolkit.store.migrate as migrate

    path = tmp_path / "old.sqlite"
    shutil.copyfile(PREVIOUS_RELEASE_STORE, path)
    url = f"sqlite:///{path}"
    real = migrate.command.upgrade

    def upgrade_then_fail(config, revision):
        real(config, revision)
        raise RuntimeError("power cut at the end of the upgrade")

    monkeypatch.setattr(migrate.command, "upgrade", upgrade_then_fail)
    engine = create_engine(url)
    with pytest.raises(RuntimeError):
        migrate.upgrade(engine, backup=False)
    engine.dispose()
    assert migrate.current_revision(create_engine(url)) == "0001"
    assert "blind" not in {c["name"] for c in inspect(create_engine(url)).get_columns("projects")}


def _migrated_schema_differences(url: str) -> list:
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "head")
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert revision == head_revision()
    return differences


def test_migrate_migrations_build_the_models_schema_on_sqlite(tmp_path):
    assert _migrated_schema_differences(f"sqlite:///{tmp_path / 'fresh.sqlite'}") == []


@pytest.mark.postgres
def test_migrate_migrations_build_the_models_schema_on_postgres(pg_url):
    assert _migrated_schema_differences(pg_url.replace("postgresql://", "postgresql+psycopg://")) == []
