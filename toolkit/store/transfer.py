"""Move a whole project from one store to another (SQLite <-> PostgreSQL), ids kept, verified, all or nothing.

A study that started in a file on one laptop moves to the team's server (and back) with
:func:`transfer`: every table of the data model (documents, segments, sentences, codebooks, codes,
coders, codings, suggestions, reviews, memos, the audit trail, the embedding and lemma caches and
``schema_info``) is copied row by row with its ids, in one transaction on the target. Before that
transaction commits, each table is read back from the target and from the source and compared by row
count and by a content hash that does not depend on the back-end (UTC timestamps, JSON with sorted keys,
bytes as hex); any difference rolls the whole copy back. A target that holds any row is refused: a move
never merges two projects.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import Connection, Engine, Integer, RowMapping, Table, func, inspect, select, text
from sqlalchemy.exc import OperationalError

from toolkit.errors import StoreError
from toolkit.store.engine import _enable_wal, _first_line, _make_engine, open_store
from toolkit.store.limits import mask_url
from toolkit.store.migrate import _config, _migration_engine, current_revision, head_revision
from toolkit.store.models import Base

__all__ = ["TableCheck", "TransferReport", "table_digests", "transfer"]

BATCH = 1000


@dataclass(frozen=True)
class TableCheck:
    """One table after the copy: rows and content hash on each side."""

    table: str
    source_rows: int
    target_rows: int
    source_hash: str
    target_hash: str

    @property
    def ok(self) -> bool:
        """Same number of rows and same content on both sides."""
        return self.source_rows == self.target_rows and self.source_hash == self.target_hash


@dataclass(frozen=True)
class TransferReport:
    """What :func:`transfer` copied and how it was verified."""

    source: str
    target: str
    tables: list[TableCheck]

    @property
    def rows(self) -> int:
        """Rows copied in all tables."""
        return sum(t.target_rows for t in self.tables)


def _canonical(value: Any) -> Any:
    """One spelling of a value on every back-end, for hashing."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    return value


def _portable(value: Any) -> Any:
    """A value as inserted: timestamps in UTC (SQLite keeps the wall time it is given, whatever its zone)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _rows(conn: Connection, table: Table) -> Iterable[RowMapping]:
    result = conn.execution_options(stream_results=True).execute(select(table))
    for partition in result.mappings().partitions(BATCH):
        yield from partition


def _digest(conn: Connection, table: Table) -> tuple[int, str]:
    """Row count and a hash of the rows' content that ignores row order and back-end spelling."""
    row_hashes = []
    for row in _rows(conn, table):
        canonical = json.dumps({k: _canonical(v) for k, v in row.items()}, sort_keys=True, default=str)
        row_hashes.append(hashlib.sha256(canonical.encode()).hexdigest())
    whole = hashlib.sha256("\n".join(sorted(row_hashes)).encode()).hexdigest()
    return len(row_hashes), whole


def table_digests(conn: Connection) -> dict[str, tuple[int, str]]:
    """(rows, content hash) of every table of the data model."""
    return {table.name: _digest(conn, table) for table in Base.metadata.sorted_tables}


def _refuse_unless_empty(engine: Engine, url: str) -> bool:
    """True if the target has the schema already (all tables empty); refuse it if any table holds a row."""
    try:
        tables = set(inspect(engine).get_table_names())
    except OperationalError as exc:
        raise StoreError(f"cannot open the target {mask_url(url)}: {_first_line(getattr(exc, 'orig', exc))}") from None
    ours = [t for t in Base.metadata.sorted_tables if t.name in tables]
    with engine.connect() as conn:
        for table in ours:
            if conn.execute(select(func.count()).select_from(table)).scalar():
                raise StoreError(
                    f"the target {mask_url(url)} is not empty ({table.name} has rows); "
                    "migrate copies into an empty database only, never merging two projects"
                )
    foreign = tables - {t.name for t in Base.metadata.sorted_tables} - {"alembic_version"}
    if foreign:
        raise StoreError(
            f"the target {mask_url(url)} holds other tables ({', '.join(sorted(foreign)[:3])}); use an empty database"
        )
    if ours and current_revision(engine) != head_revision():
        raise StoreError(
            f"the target {mask_url(url)} has the tables of schema revision {current_revision(engine)}, not "
            f"{head_revision()}; upgrade it with `qda db upgrade` or use an empty database"
        )
    return bool(ours)


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: each id sequence continues after the largest copied id (SQLite needs nothing)."""
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            conn.execute(
                text(
                    f"select setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                    f"coalesce(max({pk[0].name}), 1), max({pk[0].name}) is not null) from {table.name}"
                )
            )


def transfer(source_url: str, target_url: str) -> TransferReport:
    """Copy the project at ``source_url`` into the empty database at ``target_url`` and verify it.

    Raises:
        StoreError: the source is not a store at this release's schema, the target is not empty, or the
            copy read back differs from the source (then nothing stays in the target).
    """
    source = open_store(source_url)
    target_engine = _make_engine(target_url)
    path = target_engine.url.database if target_engine.url.get_backend_name() == "sqlite" else None
    new_file = path is not None and path not in ("", ":memory:") and not os.path.exists(path)
    committed = False
    writer = target_engine
    try:
        has_schema = _refuse_unless_empty(target_engine, target_url)
        _enable_wal(target_engine)
        # SQLite: foreign keys checked once at the end, DDL inside the one transaction (see migrate).
        writer = _migration_engine(target_engine)
        with source.engine.connect() as src, writer.begin() as dst:
            if not has_schema:
                Base.metadata.create_all(dst)
                command.stamp(_config(dst), "head")
            for table in Base.metadata.sorted_tables:
                batch: list[dict[str, Any]] = []
                for row in _rows(src, table):
                    batch.append({k: _portable(v) for k, v in row.items()})
                    if len(batch) >= BATCH:
                        dst.execute(table.insert(), batch)
                        batch = []
                if batch:
                    dst.execute(table.insert(), batch)
            if dst.dialect.name == "postgresql":
                _reset_sequences(dst)
            elif dst.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise StoreError("the copy would break references between rows; nothing was written")
            before, after = table_digests(src), table_digests(dst)
            checks = [
                TableCheck(name, before[name][0], after[name][0], before[name][1], after[name][1]) for name in before
            ]
            bad = [c.table for c in checks if not c.ok]
            if bad:
                raise StoreError(
                    f"the copy differs from the source in {', '.join(bad)} (was the source written to meanwhile?); "
                    "nothing was written to the target"
                )
        committed = True
        return TransferReport(source.url, target_engine.url.render_as_string(hide_password=True), checks)
    finally:
        source.close()
        if writer is not target_engine:
            writer.dispose()
        target_engine.dispose()
        if new_file and not committed:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(f"{path}{suffix}"):
                    os.remove(f"{path}{suffix}")
