"""`qda migrate`: a whole project SQLite -> PostgreSQL -> SQLite, ids kept, verified, refused into a non-empty store."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.review import add_coder, add_coding, add_memo, decide, recode
from toolkit.errors import StoreError
from toolkit.store.engine import create_store, open_store
from toolkit.store.migrate import head_revision
from toolkit.store.models import Base, Coding, EmbeddingCache, LemmaCache, Suggestion
from toolkit.store.transfer import table_digests, transfer
from toolkit.store.users import add_user
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.lemmas import SimpleLemmatizer
from toolkit.suggest.suggestions import suggest

from ..conftest import sample_study


@pytest.fixture
def project(tmp_path, blank_nlp) -> str:
    """A small demo-like project in SQLite: transcripts, codebook, codings, suggestions, reviews, memos, caches."""
    url = f"sqlite:///{tmp_path / 'laptop.sqlite'}"
    store = create_store(url)
    sample_study(store, blank_nlp, tmp_path, ["S01", "S02", "S03", "S04"], ["S01", "S02", "S03"])
    add_coder(store, "bob")
    suggest(store, documents=["S04"], embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())
    with store.read() as session:
        sids = list(session.scalars(select(Suggestion.id).order_by(Suggestion.id)))[:3]
    decide(store, "bob", sids[0], "accept")
    decide(store, "bob", sids[1], "reject")
    cid = add_coding(store, "bob", "S04", 5, 50, "root_cause.family")
    recode(store, "bob", cid, "root_cause.economic")  # version 2 travels too
    add_memo(store, "bob", "document", "S04", "Ask about the second employer — «quotes» and ümlauts.")
    add_user(store, "olga", "admin", "a long passphrase")  # users and their hashes travel with the project
    store.close()
    return url


def digests(url: str) -> dict[str, tuple[int, str]]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        found = table_digests(conn) if inspect(conn).get_table_names() else {}
    engine.dispose()
    return found


@pytest.mark.postgres
def test_transfer_sqlite_to_postgres_and_back_keeps_every_row_and_id(project, pg_url, tmp_path):
    original = digests(project)
    assert all(original[t.name][0] > 0 for t in Base.metadata.sorted_tables), original
    report = transfer(project, pg_url)
    assert all(t.ok for t in report.tables) and report.rows == sum(n for n, _ in original.values())
    assert digests(pg_url) == original
    back = f"sqlite:///{tmp_path / 'back.sqlite'}"
    transfer(pg_url, back)
    assert digests(back) == original
    open_store(back).close()
    server = open_store(pg_url)  # the server's id sequences continue after the copied ids
    with server.read() as session:
        top = session.scalar(select(func.max(Coding.id)))
    assert add_coding(server, "bob", "S04", 60, 90, "root_cause.family") == top + 1
    with server.read() as session:
        assert session.scalar(select(func.count()).select_from(EmbeddingCache)) > 0
        assert session.scalar(select(func.count()).select_from(LemmaCache)) > 0
        assert max(session.scalars(select(Coding.version))) == 2
    server.close()


@pytest.mark.postgres
def test_transfer_into_a_store_with_a_project_is_refused_and_changes_nothing(project, pg_url):
    create_store(pg_url).close()
    before = digests(pg_url)
    with pytest.raises(StoreError, match="is not empty"):
        transfer(project, pg_url)
    assert digests(pg_url) == before


@pytest.mark.postgres
def test_transfer_a_difference_found_on_reading_back_rolls_everything_back(project, pg_url, monkeypatch, tmp_path):
    from toolkit.store import transfer as module

    real = module.table_digests
    calls = []

    def tampered(conn):
        found = real(conn)
        calls.append(1)
        if len(calls) == 2:  # the target's
            found["memos"] = (found["memos"][0], "0" * 64)
        return found

    monkeypatch.setattr(module, "table_digests", tampered)
    with pytest.raises(StoreError, match="differs from the source in memos"):
        transfer(project, pg_url)
    assert digests(pg_url) == {}  # not even the tables: the schema was made in the same transaction
    calls.clear()
    new_file = tmp_path / "new.sqlite"
    with pytest.raises(StoreError, match="differs from the source in memos"):
        transfer(project, f"sqlite:///{new_file}")
    assert not new_file.exists()


def test_transfer_cli_prints_counts_and_hashes_and_refuses_a_full_target(project, tmp_path):
    runner = CliRunner()
    target = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    result = runner.invoke(app, ["migrate", "--from", project, "--to", target])
    assert result.exit_code == 0, result.output
    original = digests(project)
    for table, (rows, digest) in original.items():
        assert any(line.split()[:3] == [table, str(rows), digest[:16]] for line in result.output.splitlines()), table
    again = runner.invoke(app, ["migrate", "--from", project, "--to", target])
    assert again.exit_code == 2 and "not empty" in again.output and len(again.output.strip().splitlines()) == 1


def test_transfer_into_empty_tables_of_another_revision_is_refused(project, tmp_path):
    target = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = create_store(target)
    with store.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text("update alembic_version set version_num = '0004'"))
    store.close()
    with pytest.raises(StoreError, match="schema revision 0004"):
        transfer(project, target)
    empty = create_engine(target)
    with empty.begin() as conn:
        conn.execute(text("update alembic_version set version_num = :v"), {"v": head_revision()})
    empty.dispose()
    assert transfer(project, target).rows == sum(n for n, _ in digests(project).values())
