"""The held-out and development corpora (``sample_data/heldout/``, ``development/``) load whole and are usable.

The held-out corpus is the test set of the suggestion model (issue 13), the development corpus the set on
which its rarest codes can be chosen for; these checks keep them usable as such (every turn imported with
its gold line, as many men as women, each code in enough interviews or turns, gold codes that respect the
codebook's exclusions) without saying anything about what the model scores on them.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import select

from toolkit.io.codebook_yaml import parse_codebook
from toolkit.store.models import Document

from ..conftest import CODEBOOK, FIXED_CODE_IDS, SAMPLE

HELDOUT = SAMPLE / "heldout"
DEVELOPMENT = SAMPLE / "development"
# (folder, interviews, fewest interviews holding a code); the development corpus' rare codes are checked below
CORPORA = pytest.mark.parametrize(
    ("folder", "interviews", "spread"), [(HELDOUT, 26, 3), (DEVELOPMENT, 20, 2)], ids=["heldout", "dev"]
)
RARE_CODES = (
    "contract.vetted",
    "contract.substituted",
    "contract.promised",
    "recruitment.advertisement",
    "recruitment.agency",
    "contract.received",
    "contract.none",
    "recruitment.online",
    "root_cause.disability",
)
pytestmark = pytest.mark.model


def gold_rows(folder: Path = HELDOUT) -> list[dict]:
    return [json.loads(line) for line in (folder / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()]


@CORPORA
def test_every_respondent_turn_has_its_gold_line(folder: Path, interviews: int, spread: int, tmp_path: Path):
    from toolkit.store.engine import open_store
    from toolkit.studies.demo import build_demo

    url = f"sqlite:///{tmp_path / 'corpus.sqlite'}"
    build_demo(url, data=folder)
    rows = gold_rows(folder)
    with open_store(url).read() as session:
        documents = list(session.scalars(select(Document)))
        turns = [(d.name, s.text) for d in documents for s in d.segments if s.role == "respondent"]
        assert len(documents) == interviews
        assert all("synthetic" in d.text[:200].lower() for d in documents)
    assert sorted(turns) == sorted((r["document"], r["quote"]) for r in rows)


@CORPORA
def test_composition_and_codes(folder: Path, interviews: int, spread: int):
    with open(folder / "cases.csv", encoding="utf-8") as handle:
        cases = {row["document"]: row for row in csv.DictReader(handle)}
    assert Counter(c["gender"] for c in cases.values()) == {"male": interviews // 2, "female": interviews // 2}
    documents: dict[str, set[str]] = defaultdict(set)
    for row in gold_rows(folder):
        assert set(row["codes"]) <= FIXED_CODE_IDS, row
        for code in row["codes"]:
            documents[code].add(row["document"])
    assert {code: len(docs) for code, docs in documents.items() if len(docs) < spread} == {}
    assert set(documents) == FIXED_CODE_IDS


def test_development_corpus_holds_ten_turns_of_each_rare_code():
    """Its reason to exist: on the other corpora these codes have 3-7 turns, too few to choose a variant on."""
    turns = Counter(code for row in gold_rows(DEVELOPMENT) for code in row["codes"])
    assert {code: turns[code] for code in RARE_CODES if turns[code] < 10} == {}


@CORPORA
def test_gold_codes_respect_the_codebooks_exclusions(folder: Path, interviews: int, spread: int):
    spec = parse_codebook(CODEBOOK.read_text(encoding="utf-8"), name=CODEBOOK.name)
    excluded = {frozenset((c.id, other)) for c in spec.codes for other in c.excludes}
    group_of = {c.id: c.group for c in spec.codes}
    for row in gold_rows(folder):
        pairs = {frozenset(p) for p in combinations(row["codes"], 2)}
        assert not pairs & excluded, row
        assert Counter(group_of[c] for c in row["codes"])["recruitment"] <= 1, row
