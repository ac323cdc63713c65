"""Every test here runs on SQLite and on PostgreSQL: ``db_url`` (and so ``store``) is parametrised."""

from __future__ import annotations

import pytest

from ..conftest import BACKENDS, backend_url


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """A new, empty database on each back-end, one per test."""
    return backend_url(request, tmp_path)
