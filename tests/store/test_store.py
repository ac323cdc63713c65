from __future__ import annotations

import pytest
from sqlalchemy import select, text

from toolkit.errors import StoreError
from toolkit.store.engine import create_store, open_store
from toolkit.store.models import AuditEvent, Coder


def test_store_open_missing_file_says_how_to_create(tmp_path):
    with pytest.raises(StoreError, match=r"qda --db .* init"):
        open_store(f"sqlite:///{tmp_path / 'nope.sqlite'}")


def test_store_other_schema_revision_is_refused_clearly(store, db_url):
    with store.engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = '9999'"))
    store.close()
    with pytest.raises(StoreError, match=r"schema revision 9999.*qda db upgrade"):
        open_store(db_url)


def test_store_transaction_rolls_back_everything_on_error(store):
    with pytest.raises(RuntimeError), store.transaction(actor="alice") as tx:
        tx.session.add(Coder(name="alice"))
        tx.audit("coder.add", "coder", "alice")
        tx.session.flush()
        raise RuntimeError("crash in the middle")
    with store.read() as session:
        assert session.scalar(select(Coder).where(Coder.name == "alice")) is None
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "coder.add")) is None


def test_store_sqlite_uses_wal_and_foreign_keys(sqlite_store):
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_store_create_on_existing_store_keeps_it(store, db_url):
    with store.transaction() as tx:
        tx.coder("bob")
    store.close()
    again = create_store(db_url)
    with again.read() as session:
        assert session.scalar(select(Coder.name)) == "bob"
    again.close()


def test_store_bad_url_is_a_clear_error():
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("not a url")
