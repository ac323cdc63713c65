"""Schema migrations (Alembic): every store can be brought to this release's schema, none is stranded.

A store records its schema revision in Alembic's ``alembic_version`` table. Stores made before
migrations existed (survivor-qda 0.1: ``schema_info.schema_version = 1``, no Alembic table) are at
revision ``0001``. :func:`upgrade` brings a store to :func:`head_revision`, copying an SQLite file to a
timestamped backup first; :func:`toolkit.store.engine.open_store` refuses a store at another revision and says
to run ``qda db upgrade``. New stores get the models' schema and are stamped at the head revision; a
test holds the migrations and the models to the same schema.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

from toolkit.errors import StoreError
from toolkit.io.private import create_private_file

__all__ = ["LEGACY_REVISION", "UpgradeReport", "current_revision", "head_revision", "stamp_head", "upgrade"]

LEGACY_REVISION = "0001"
"""The revision of a store made before migrations existed (``schema_version`` 1)."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "toolkit.store:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The schema revision this release reads and writes."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "toolkit/store/migrations has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The store's revision: from Alembic's table, ``0001`` for a pre-migration store, None if not a store."""
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        if "alembic_version" in tables:
            return MigrationContext.configure(conn).get_current_revision()
        if "schema_info" in tables:
            found = conn.execute(text("select value from schema_info where key = 'schema_version'")).scalar()
            return LEGACY_REVISION if found == "1" else f"schema version {found}"
    return None


def stamp_head(engine: Engine) -> None:
    """Record a store created from the models as being at the head revision."""
    with engine.begin() as conn:
        command.stamp(_config(conn), "head")


@dataclass(frozen=True)
class UpgradeReport:
    """What ``qda db upgrade`` did."""

    before: str | None
    after: str
    backup: Path | None


def _backup_sqlite(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    source = Path(database)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = source.with_name(f"{source.stem}.backup-{stamp}{source.suffix}")
    create_private_file(target)  # 0600 before a byte is written
    if engine.url.drivername == "sqlite+pysqlcipher":  # encrypted: the backup is encrypted with the same key
        key = "'" + str(engine.url.password or "").replace("'", "''") + "'"
        raw = engine.raw_connection()
        dst = engine.dialect.dbapi.connect(str(target))  # type: ignore[union-attr]
        try:
            dst.execute(f"PRAGMA key = {key}")
            raw.driver_connection.backup(dst)  # type: ignore[union-attr]
        finally:
            dst.close()
            raw.close()
    else:
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)  # a consistent copy, WAL included, even while others read
    target.chmod(0o600)
    return target


def _migration_engine(engine: Engine) -> Engine:
    """An engine fit for schema changes: on SQLite, foreign keys off and DDL inside the transaction.

    SQLite's batch mode copies a table and drops the old one; with foreign keys on, that drop would
    cascade to every row referring to it (sentences, suggestions, codings). pysqlite also commits DDL
    as it goes unless BEGIN is emitted by hand; both are set here so an upgrade is all or nothing.
    """
    if engine.url.get_backend_name() != "sqlite":
        return engine
    migrating = create_engine(engine.url, hide_parameters=True)

    @event.listens_for(migrating, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.execute("PRAGMA busy_timeout=10000")

    @event.listens_for(migrating, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


def upgrade(engine: Engine, *, backup: bool = True) -> UpgradeReport:
    """Bring the store to the head revision, after an SQLite backup; a no-op when it is there already.

    Raises:
        StoreError: not a store, or the upgraded data would break a foreign key (nothing is changed).
    """
    before = current_revision(engine)
    head = head_revision()
    if before == head:
        return UpgradeReport(before, head, None)
    if before is None:
        raise StoreError("not a survivor-qda store (no schema_info table); create one with `qda init`")
    saved = _backup_sqlite(engine) if backup else None
    migrating = _migration_engine(engine)
    try:
        with migrating.begin() as conn:
            config = _config(conn)
            if "alembic_version" not in set(inspect(conn).get_table_names()):
                command.stamp(config, LEGACY_REVISION)
            command.upgrade(config, "head")
            if conn.dialect.name == "sqlite" and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise StoreError("the upgrade would break references between rows; nothing was changed")
    finally:
        if migrating is not engine:
            migrating.dispose()
    return UpgradeReport(before, head, saved)
