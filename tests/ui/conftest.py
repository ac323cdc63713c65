from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from toolkit.coding.review import add_coder
from toolkit.store.engine import open_store
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.lemmas import SimpleLemmatizer
from toolkit.suggest.suggestions import suggest


@pytest.fixture(scope="session")
def demo_file(sample_store, tmp_path_factory) -> Path:
    """The sample project with a reviewer and (hashing-model) suggestions, saved once per session."""
    source = Path(sample_store.engine.url.database)
    target = tmp_path_factory.mktemp("ui") / "demo.sqlite"
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(source, target)
    store = open_store(f"sqlite:///{target}")
    add_coder(store, "reviewer")
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
