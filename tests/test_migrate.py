"""Schema migrations: a store made by the previous release upgrades; migrations build the models' schema."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import StoreError
from toolkit.migrate import _config, head_revision
from toolkit.model import Base
from toolkit.store import open_store

TABLES = ("documents", "segments", "sentences", "codes", "coders", "codings", "suggestions", "reviews", "audit_events")


def make_previous_release_store(url: str, nlp, tmp_path) -> dict[str, int]:
    """What survivor-qda 0.1 left on disk: the 0001 schema, schema_info version 1, no Alembic table,
    with transcripts, codings, suggestions and an accepted one; returns the row count of each table."""
    from toolkit.embed import HashingEmbedder
    from toolkit.lemmas import SimpleLemmatizer
    from toolkit.model import Project, SchemaInfo, Suggestion
    from toolkit.review import add_coder, decide
    from toolkit.store import Store, _make_engine
    from toolkit.suggestions import suggest

    from .conftest import sample_study

    engine = _make_engine(url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0001")
        conn.execute(text("drop table alembic_version"))
    store = Store(engine)
    with store.transaction() as tx:
        tx.session.add_all([SchemaInfo(key="schema_version", value="1"), Project(name="made by 0.1")])
    sample_study(store, nlp, tmp_path, ["S01", "S02", "S03", "S04"], ["S01", "S02", "S03"])
    add_coder(store, "bob")
    suggest(store, documents=["S04"], embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())
    with store.read() as session:
        first = session.scalar(select(Suggestion.id).order_by(Suggestion.id))
    decide(store, "bob", first, "accept")
    with engine.connect() as conn:
        counts = {table: conn.execute(text(f"select count(*) from {table}")).scalar() for table in TABLES}
    store.close()
    return counts


def test_migrate_previous_release_store_upgrades_with_a_backup_and_keeps_every_row(tmp_path, blank_nlp):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    before = make_previous_release_store(url, blank_nlp, tmp_path)
    assert all(before[t] > 0 for t in ("sentences", "suggestions", "reviews")), before
    with pytest.raises(StoreError, match=r"revision 0001.*qda db upgrade"):
        open_store(url)
    runner = CliRunner()
    current = runner.invoke(app, ["--db", url, "db", "current"])
    assert current.exit_code == 0 and "store revision 0001" in current.output and "qda db upgrade" in current.output
    result = runner.invoke(app, ["--db", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    backups = list(tmp_path.glob("old.backup-*.sqlite"))
    assert len(backups) == 1 and (backups[0].stat().st_mode & 0o077) == 0
    store = open_store(url)
    with store.engine.connect() as conn:
        after = {table: conn.execute(text(f"select count(*) from {table}")).scalar() for table in TABLES}
    assert after == before
    with store.engine.begin() as conn:  # the new rules hold: a coding outlives its suggestion
        linked = conn.execute(text("select suggestion_id from codings where suggestion_id is not null")).scalar()
        conn.execute(text("delete from suggestions where id = :i"), {"i": linked})
        unlinked = conn.execute(text("select count(*) from codings where suggestion_id is null")).scalar()
        assert unlinked == after["codings"]
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(text("update segments set role = 'narrator' where position = 0"))
    store.close()
    again = runner.invoke(app, ["--db", url, "db", "upgrade"])
    assert again.exit_code == 0 and "nothing to do" in again.output


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
