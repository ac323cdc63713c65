"""An SQLite store file created readable by its owner only (see :mod:`toolkit.io.private`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

from toolkit.io.private import create_private_file

__all__ = ["create_private_sqlite", "sqlite_path"]


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL, or None (another back-end, or an in-memory database)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if str(url.database).startswith("file:"):
        return None
    return Path(url.database)


def create_private_sqlite(url: URL) -> None:
    """Create the store's file as 0600 before SQLite does (SQLite gives its -wal and -shm files that mode)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        create_private_file(path)
