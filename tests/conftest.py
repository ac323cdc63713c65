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


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory):
    """One ONNX export of the embedding model per test session, not one beside every temporary store."""
    if os.environ.get("QDA_MODEL_CACHE"):
        yield Path(os.environ["QDA_MODEL_CACHE"])
        return
    folder = tmp_path_factory.mktemp("models")
    os.environ["QDA_MODEL_CACHE"] = str(folder)
    yield folder
    os.environ.pop("QDA_MODEL_CACHE", None)


@pytest.fixture(scope="session")
def blank_nlp() -> spacy.language.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A new SQLite store's URL; tests/store, tests/cli and tests/coding override it to run on both back-ends."""
    return f"sqlite:///{tmp_path / 'study.sqlite'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """For the few tests about SQLite itself (WAL, the file's bytes), wherever db_url is parametrised."""
    return f"sqlite:///{tmp_path / 'study.sqlite'}"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Store:
    created = create_store(sqlite_url)
    yield created
    created.close()


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


PG_SERVER = os.environ.get("QDA_TEST_PG_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
"""The PostgreSQL server of the postgres half (``QDA_TEST_PG_URL``, set by .ci/run); each test gets its own database."""

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Parameters of a fixture that runs a test on both back-ends (see :func:`backend_url`)."""


def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database on the back-end named by ``request.param``: an SQLite file or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.sqlite'}"
    return request.getfixturevalue("pg_url")


def postgres_unreachable(message: str) -> None:
    """No server: a failure in CI (``CI=true``) or when ``QDA_TEST_PG_URL`` names one; a skip otherwise."""
    if in_ci() or os.environ.get("QDA_TEST_PG_URL"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pg_url():
    """A throwaway PostgreSQL database on the test server, dropped afterwards.

    Skipped locally without a server; a failure, never a skip, in CI (``CI=true``) or when
    ``QDA_TEST_PG_URL`` names a server that does not answer.
    """
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(PG_SERVER)
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    try:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # no server here
        postgres_unreachable(f"PostgreSQL at {server.render_as_string()} is not reachable: {exc}")
    name = f"qda_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'drop database "{name}" with (force)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def any_store(request, tmp_path):
    """The same test on SQLite and on PostgreSQL: a new empty store on each."""
    created = create_store(backend_url(request, tmp_path))
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
