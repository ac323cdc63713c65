"""A long-lived process (the dashboard, a notebook) keeps its SQLite locks while it opens the store again.

Closing any descriptor of the database file drops every POSIX lock this process holds on it
(https://www.sqlite.org/howtocorrupt.html, section 2.2). ``open_store`` used to read the file's header with
``open()`` to tell an encrypted store from a plain one; with a store already open, that released the open
store's locks, the next process to close took itself for the last connection and deleted the WAL under it,
and every read here then said "database disk image is malformed" (found by the crash test).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from toolkit.store.engine import create_store, open_store
from toolkit.store.models import Document

WRITE_AND_CLOSE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("CREATE TABLE scratch (x)")
conn.commit()
conn.close()
"""


def _documents(store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count(Document.id)))


def test_opening_the_store_again_keeps_the_locks_of_the_open_one(tmp_path):
    path = tmp_path / "study.sqlite"
    url = f"sqlite:///{path}"
    create_store(url).close()
    held = open_store(url)  # like the dashboard's cached store: an idle pooled connection stays open
    try:
        assert _documents(held) == 0
        again = open_store(url)  # the dashboard and the CLI open the store on every run
        again.close()
        # Another process writes and closes: it must see us and leave the WAL alone.
        subprocess.run([sys.executable, "-c", WRITE_AND_CLOSE, str(path)], check=True, timeout=60)
        assert Path(f"{path}-wal").exists(), "another process deleted the WAL while this one had the store open"
        assert _documents(held) == 0
        fresh = open_store(url)
        try:
            assert _documents(fresh) == 0
        finally:
            fresh.close()
    finally:
        held.close()
