"""The sample corpus as a store (blank spaCy, fast) and counts taken from the sample files, not the toolkit."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

from toolkit.coding.codebook import load_codebook
from toolkit.coding.codings import import_codings
from toolkit.corpus.importer import import_files
from toolkit.store.engine import Store, create_store

from ..conftest import CODEBOOK, SAMPLE

TRANSCRIPTS = SAMPLE / "transcripts"


def build_sample(path: Path, nlp) -> Store:
    """All 26 interviews with their attributes, the codebook and the gold codings (coder ``gold``)."""
    store = create_store(f"sqlite:///{path}")
    import_files(store, sorted(TRANSCRIPTS.iterdir()), attributes=SAMPLE / "cases.csv", nlp=nlp)
    load_codebook(store, CODEBOOK)
    import_codings(store, SAMPLE / "gold_codings.jsonl", coder="gold", new_coder=True)
    return store


def gold_rows() -> list[dict]:
    """The gold file's rows with at least one code (each is one respondent turn)."""
    rows = [json.loads(line) for line in (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["codes"]]


def cases() -> dict[str, dict[str, str]]:
    """cases.csv as document -> attributes."""
    with open(SAMPLE / "cases.csv", encoding="utf-8", newline="") as handle:
        return {row["document"]: row for row in csv.DictReader(handle)}


def codes_by_document() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for row in gold_rows():
        out[row["document"]].update(row["codes"])
    return out


def text_lines_matching(pattern: str, docx: bool = False) -> dict[str, int]:
    """For each .txt transcript (and .docx if asked), how many lines or paragraphs match ``pattern``.

    In these files one line (paragraph) is one turn.
    """
    regex = re.compile(pattern, re.IGNORECASE)
    out = {}
    if docx:
        import docx as python_docx

        for path in sorted(TRANSCRIPTS.glob("*.docx")):
            out[path.stem] = sum(1 for p in python_docx.Document(str(path)).paragraphs if regex.search(p.text))
    for path in sorted(TRANSCRIPTS.glob("*.txt")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        out[path.stem] = sum(1 for line in text.splitlines() if regex.search(line))
    return out
