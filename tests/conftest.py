"""Shared fixtures: a fast sentence splitter, fresh stores, and the sample corpus built once per session."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import spacy

from toolkit.store.engine import Store, create_store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
CODEBOOK = ROOT / "codebook" / "tip_root_causes.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def blank_nlp() -> spacy.language.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.sqlite'}"


@pytest.fixture
def store(db_url: str) -> Store:
    created = create_store(db_url)
    yield created
    created.close()


def file_digest(path: Path) -> str:
    """sha256 of a store file, after its WAL has been folded in, for byte-for-byte comparisons."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The demo project built from sample_data/ with the real installed spaCy pipeline (once per session)."""
    from toolkit.studies.demo import build_demo

    path = tmp_path_factory.mktemp("sample") / "demo.sqlite"
    build_demo(f"sqlite:///{path}")
    from toolkit.store.engine import open_store

    opened = open_store(f"sqlite:///{path}")
    yield opened
    opened.close()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_url():
    """A throwaway PostgreSQL database on the local server (skipped locally without one, failing in CI)."""
    import uuid

    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # no server here
        if in_ci():
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    name = f"qda_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'drop database "{name}" with (force)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request, tmp_path):
    """The same test on SQLite and on PostgreSQL: a new empty store on each."""
    url = f"sqlite:///{tmp_path / 'study.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    created = create_store(url)
    yield created
    created.close()


# The fixed code ids of shared/codebook-spec.md (evaluation data, exports and tests refer to them).
FIXED_CODE_IDS = frozenset(
    {
        "root_cause.education",
        "root_cause.family",
        "root_cause.disability",
        "root_cause.childhood_trauma",
        "root_cause.awareness",
        "root_cause.economic",
        "recruitment.in_person",
        "recruitment.online",
        "recruitment.advertisement",
        "recruitment.agency",
        "contract.none",
        "contract.promised",
        "contract.not_received",
        "contract.substituted",
        "contract.received",
        "contract.vetted",
    }
)


def sample_study(store: Store, nlp, tmp_path: Path, documents: list[str], coded: list[str], coder: str = "alice"):
    """A store with some sample transcripts, the codebook, and one coder's gold codings of ``coded``."""
    import json

    from toolkit.coding.codebook import load_codebook
    from toolkit.coding.codings import import_codings
    from toolkit.corpus.importer import import_files

    import_files(store, [SAMPLE / "transcripts" / f"{d}.txt" for d in documents], nlp=nlp)
    load_codebook(store, CODEBOOK)
    gold = tmp_path / f"{coder}.jsonl"
    lines = (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
    gold.write_text("\n".join(r for r in lines if json.loads(r)["document"] in coded) + "\n", encoding="utf-8")
    import_codings(store, gold, coder=coder, new_coder=True)
    return store
