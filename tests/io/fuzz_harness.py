"""Run one hostile input through the ``qda`` CLI against a store and classify what happened.

Shared by ``tests/io/test_fuzz_import.py`` (a few hundred inputs per importer in the normal suite) and
``bench/fuzz_importers.py`` (1,000+ per importer, with counts for ``bench/README.md``).
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from toolkit.cli.main import app

from .hostile import VALID_CODEBOOK, VALID_TRANSCRIPT

IMPORTERS = ("transcript", "codebook", "attributes", "codings")
_runner = CliRunner()


def settled_digest(path: Path) -> str:
    """Fold the WAL into the file, then hash it: equal digests mean equal stores, byte for byte."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """``imported`` (exit 0), ``refused`` (exit 2, one clean line, store unchanged), ``unclean`` or ``traceback``."""

    kind: str
    seconds: float
    detail: str = ""


class FuzzStore:
    """A store holding one document (S01) and a codebook, and a directory for the generated files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.db = directory / "fuzz.sqlite"
        self.url = f"sqlite:///{self.db}"
        self._counter = itertools.count()
        self._invoke("init")
        s01 = directory / "S01.txt"
        s01.write_text(VALID_TRANSCRIPT, encoding="utf-8")
        book = directory / "book.yaml"
        book.write_text(VALID_CODEBOOK, encoding="utf-8")
        for args in (("import", s01), ("codebook", "load", book)):
            result = self._invoke(*args)
            assert result.exit_code == 0, result.output

    def _invoke(self, *args: object):
        return _runner.invoke(app, ["--db", self.url, *map(str, args)])

    def args_for(self, importer: str, suffix: str, data: bytes) -> tuple[Path, list[str]]:
        """Write the input to a fresh file and return the CLI arguments that import it."""
        stem = {"transcript": "t", "codebook": "c", "attributes": "a", "codings": "k"}[importer]
        path = self.directory / f"{stem}{next(self._counter)}{suffix}"
        path.write_bytes(data)
        args = {
            "transcript": ["import", str(path)],
            "codebook": ["codebook", "load", str(path)],
            "attributes": ["attributes", "import", str(path)],
            "codings": ["codings", "import", str(path), "--coder", "fuzz", "--new-coder"],
        }[importer]
        return path, args

    def run(self, importer: str, suffix: str, data: bytes) -> Outcome:
        """Import one input through the CLI and classify the result."""
        path, args = self.args_for(importer, suffix, data)
        before = settled_digest(self.db)
        started = time.perf_counter()
        result = self._invoke(*args)
        seconds = time.perf_counter() - started
        path.unlink()
        if result.exit_code == 0:
            return Outcome("imported", seconds)
        if result.exit_code == 2:
            lines = result.output.strip().splitlines()
            problems = []
            if len(lines) != 1 or not lines[0].startswith("error:"):
                problems.append(f"not one 'error:' line: {result.output[:300]!r}")
            elif path.name not in lines[0]:
                problems.append(f"file not named: {lines[0][:300]!r}")
            if "Traceback" in result.output:
                problems.append("traceback in output")
            if settled_digest(self.db) != before:
                problems.append("store changed")
            return Outcome("unclean" if problems else "refused", seconds, "; ".join(problems))
        if isinstance(result.exception, MemoryError):
            return Outcome("memory", seconds, "MemoryError")
        detail = "".join(traceback.format_exception(result.exception)) if result.exception else result.output
        return Outcome("traceback", seconds, detail[-1500:])
