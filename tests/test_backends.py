"""The PostgreSQL half of the suite fails, never skips, where it must run (CI, or a server named by QDA_TEST_PG_URL)."""

from __future__ import annotations

import pytest

from .conftest import postgres_unreachable


@pytest.mark.parametrize(
    ("ci", "named", "outcome"),
    [
        ("true", None, pytest.fail.Exception),
        (None, "postgresql://postgres@127.0.0.1:1/postgres", pytest.fail.Exception),
        ("true", "postgresql://postgres@127.0.0.1:1/postgres", pytest.fail.Exception),
        (None, None, pytest.skip.Exception),
        ("false", None, pytest.skip.Exception),
    ],
)
def test_backends_unreachable_postgres_fails_in_ci_or_when_named(monkeypatch, ci, named, outcome):
    for name, value in (("CI", ci), ("QDA_TEST_PG_URL", named)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(outcome, match="not reachable"):
        postgres_unreachable("PostgreSQL at 127.0.0.1:1 is not reachable")
