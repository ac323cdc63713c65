"""A ``qda`` process killed with SIGKILL leaves a consistent store: SQLite's WAL rolls the unfinished write back.

Each test starts a real ``qda`` subprocess, kills it at a moment it is known to be busy, then reopens the store
and checks it: ``PRAGMA integrity_check``, the schema revision, whole documents only, the audit chain, and
that the store still takes new work.

The import test kills the process *while it holds SQLite's write lock*, i.e. in the middle of its one
transaction: the test polls with ``BEGIN IMMEDIATE`` (no busy wait), which fails exactly while another
connection is writing. The review test kills an interactive ``qda review`` session fed with "accept" keys,
after some decisions have been committed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.store.audit import verify_chain
from toolkit.store.engine import open_store
from toolkit.store.migrate import current_revision, head_revision
from toolkit.store.models import Document, Review, Segment, Sentence, Suggestion

from ..conftest import CODEBOOK, ROOT, SAMPLE

runner = CliRunner()
TEMPLATES = ["S01", "S02", "S03", "S04"]


def qda_process(url: str, *args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    """A real ``qda`` process on this worktree's code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit.cli.main", "--db", url, *args],
        env=env,
        stdin=stdin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def probe(path: Path) -> str:
    """What a no-wait ``BEGIN IMMEDIATE`` meets: "locked" (another connection is writing) or "free".

    Any other error fails the test. It once said "database disk image is malformed" here: ``open_store``
    read the file's header with ``open()`` and, closing it, dropped this process's SQLite locks, so the
    importer deleted the WAL under this process (``tests/store/test_process_locks.py``).
    """
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return "locked"
        raise
    else:
        conn.execute("ROLLBACK")
        return "free"
    finally:
        conn.close()


def writer_active(path: Path, seen: Counter[str] | None = None) -> bool:
    """True while another connection holds the database's write lock (an open write transaction).

    ``seen`` counts the probes' outcomes, for the message of a test that never saw a write.
    """
    outcome = probe(path)
    if seen is not None:
        seen[outcome] += 1
    return outcome == "locked"


def check_consistent(url: str, path: Path) -> None:
    """What every crash must leave: an intact file at the current schema with a verifying audit chain."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    store = open_store(url)  # refuses a store whose schema revision is not this release's
    try:
        assert current_revision(store.engine) == head_revision()
        with store.read() as session:
            assert verify_chain(session).ok
    finally:
        store.close()
    result = runner.invoke(app, ["--db", url, "audit", "verify"])
    assert result.exit_code == 0, result.output


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def document_counts(url: str) -> dict[str, tuple[int, int]]:
    """Document name -> (turns, sentences) stored."""
    store = open_store(url)
    try:
        with store.read() as session:
            return {
                name: (n_segments, n_sentences)
                for name, n_segments, n_sentences in session.execute(
                    select(Document.name, func.count(func.distinct(Segment.id)), func.count(Sentence.id))
                    .outerjoin(Segment, Segment.document_id == Document.id)
                    .outerjoin(Sentence, Sentence.segment_id == Segment.id)
                    .group_by(Document.name)
                )
            }
    finally:
        store.close()


@pytest.mark.parametrize("batches", ["one import of 200 files", "one import per file"])
def test_sigkill_during_import_leaves_whole_documents_only(tmp_path, batches):
    path = tmp_path / "study.sqlite"
    url = f"sqlite:///{path}"
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    # Transcripts, each a template with its own first line (so each is a new document).
    folder = tmp_path / "many"
    folder.mkdir()
    template_of = {}
    per_file = batches == "one import per file"
    for i in range(20 if per_file else 200):
        template = TEMPLATES[i % len(TEMPLATES)]
        text = (SAMPLE / "transcripts" / f"{template}.txt").read_text(encoding="utf-8")
        name = f"C{i:03d}"
        (folder / f"{name}.txt").write_text(f"COPY {i} of {template}.\n" + text.split("\n", 1)[1], encoding="utf-8")
        template_of[name] = template
    paths = sorted(map(str, folder.iterdir()))
    # The reference: how many turns and sentences each template's copy has when imported whole.
    reference_url = f"sqlite:///{tmp_path / 'reference.sqlite'}"
    assert runner.invoke(app, ["--db", reference_url, "init"]).exit_code == 0
    result = runner.invoke(app, ["--db", reference_url, "import", "--no-deid", *paths[: len(TEMPLATES)]])
    assert result.exit_code == 0, result.output
    expected = {template_of[name]: got for name, got in document_counts(reference_url).items()}

    if per_file:  # a shell loop of `qda import F`, killed (with the qda it runs) in the middle of one
        command = " ".join([sys.executable, "-m", "toolkit.cli.main", "--db", url, "import", "--no-deid", '"$f"'])
        process = subprocess.Popen(
            ["sh", "-c", f"for f in {' '.join(paths)}; do {command} || exit 1; done"],
            env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    else:
        process = qda_process(url, "import", "--no-deid", *paths)
    wanted = 3 if per_file else 0  # documents committed before the kill
    deadline = time.monotonic() + 300
    caught = False
    seen: Counter[str] = Counter()
    while time.monotonic() < deadline and process.poll() is None:
        if writer_active(path, seen) and (not per_file or len(document_counts(url)) >= wanted):
            caught = True
            break
        time.sleep(0.002)
    errors = process.stderr.read() if process.stderr and process.poll() is not None else b""
    assert caught, f"the import ended before it was seen writing (probes: {dict(seen)}): {errors!r}"
    if per_file:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    else:
        kill(process)

    check_consistent(url, path)
    counts = document_counts(url)
    # Killed inside a transaction: every document it was writing is absent, every one before it whole.
    if per_file:
        assert wanted <= len(counts) < len(paths)
        assert sorted(counts) == [Path(p).stem for p in paths[: len(counts)]]
    else:
        assert counts == {}
    for name, got in counts.items():
        assert got == expected[template_of[name]], name

    # The store still takes an import, and the killed one can simply be run again.
    result = runner.invoke(app, ["--db", url, "import", "--no-deid", *paths[:5]])
    assert result.exit_code == 0, result.output
    assert len(document_counts(url)) == max(5, len(counts))
    check_consistent(url, path)


@pytest.fixture
def suggested(tmp_path, blank_nlp) -> tuple[str, Path, int]:
    """A store with two coded transcripts and a third with open suggestions; the number of suggestions."""
    from toolkit.coding.codebook import load_codebook
    from toolkit.coding.codings import import_codings
    from toolkit.coding.review import add_coder
    from toolkit.corpus.importer import import_files
    from toolkit.store.engine import create_store
    from toolkit.suggest.estimator import SuggestConfig
    from toolkit.suggest.suggestions import suggest

    path = tmp_path / "study.sqlite"
    url = f"sqlite:///{path}"
    store = create_store(url)
    names = ["S01", "S02", "S03", "S04", "S06"]
    import_files(store, [SAMPLE / "transcripts" / f"{n}.txt" for n in names], nlp=blank_nlp, deid=False)
    load_codebook(store, CODEBOOK)
    gold = tmp_path / "gold.jsonl"
    lines = (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
    gold.write_text("".join(line + "\n" for line in lines if any(f'"{n}"' in line for n in names[:4])))
    import_codings(store, gold, coder="alice", new_coder=True)
    add_coder(store, "bob")
    suggest(store, embedder="hashing", lemmatizer="simple", config=SuggestConfig(threshold=0.05, zero_shot_cut=0.05))
    with store.read() as session:
        n_open = session.scalar(select(func.count(Suggestion.id)).where(Suggestion.status == "open"))
    store.close()
    assert n_open >= 10, "the fixture needs open suggestions to review"
    return url, path, n_open


def test_sigkill_during_review_session_loses_at_most_the_last_decision(suggested):
    url, path, n_open = suggested
    process = qda_process(url, "review", "--coder", "bob", stdin=subprocess.PIPE)
    assert process.stdin is not None

    def decisions() -> int:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT count(*) FROM reviews").fetchone()[0]

    keys_sent = seen = 0
    caught = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        seen = decisions()
        if seen >= 5 and writer_active(path):  # killed while a decision is being written
            caught = True
            break
        if keys_sent < n_open - 1 and keys_sent <= seen + 1:  # never the last one: the session must go on
            process.stdin.write(b"a\n")
            process.stdin.flush()
            keys_sent += 1
        time.sleep(0.002)
    assert caught, process.stderr.read() if process.stderr and process.poll() is not None else "no write seen"
    kill(process)

    check_consistent(url, path)
    store = open_store(url)
    with store.read() as session:
        reviews = list(session.scalars(select(Review)))
        accepted = session.scalar(select(func.count(Suggestion.id)).where(Suggestion.status == "accepted"))
        from toolkit.store.models import Coding

        made = session.scalar(select(func.count(Coding.id)).where(Coding.origin == "accepted-suggestion"))
    store.close()
    # Every decision stored is whole: a review, its suggestion accepted and the coding it made, or none.
    assert accepted == len(reviews) == made
    # Every decision seen committed before the kill is there; the one being written may be missing.
    assert seen <= len(reviews) <= seen + 1 <= keys_sent

    # A new session on the same store goes on where the killed one stopped.
    result = runner.invoke(app, ["--db", url, "review", "--coder", "bob"], input="a\nq\n")
    assert result.exit_code == 0, result.output
    assert "1 decision(s) recorded" in result.output
    check_consistent(url, path)
