from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from toolkit.coding.review import add_coder
from toolkit.store.engine import open_store
from toolkit.store.models import Coding, Document
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.lemmas import SimpleLemmatizer
from toolkit.suggest.suggestions import suggest

UNCODED = ("S01", "S02")  # their gold codings are removed: suggestions are for what nobody has coded yet


@pytest.fixture(scope="session")
def demo_file(sample_store, tmp_path_factory) -> Path:
    """The sample project with a reviewer and (hashing-model) suggestions for two uncoded interviews.

    A suggestion never repeats a code a person already applied, so the queue is built on interviews the
    gold coder has not coded (``UNCODED``), as in a project under way.
    """
    source = Path(sample_store.engine.url.database)
    target = tmp_path_factory.mktemp("ui") / "demo.sqlite"
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(source, target)
    store = open_store(f"sqlite:///{target}")
    add_coder(store, "reviewer")
    with store.transaction(actor="test") as tx:
        ids = select(Document.id).where(Document.name.in_(UNCODED))
        tx.session.execute(delete(Coding).where(Coding.document_id.in_(ids)))
    suggest(store, documents=["S01", "S02"], embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())
    store.close()
    with sqlite3.connect(target) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return target


@pytest.fixture
def demo_url(demo_file, tmp_path) -> str:
    """A private copy of the demo project for one test."""
    copy = tmp_path / "demo.sqlite"
    shutil.copy(demo_file, copy)
    return f"sqlite:///{copy}"
