"""The held-out corpus (``sample_data/heldout/``) loads whole and can measure every code on its own.

It is the test set of the suggestion model (issue 13): these checks keep it usable as one (every turn
imported with its gold line, 13 men and 13 women, each code in at least three interviews, gold codes that
respect the codebook's exclusions) without saying anything about what the model scores on it.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from itertools import combinations

import pytest
from sqlalchemy import select

from toolkit.io.codebook_yaml import parse_codebook
from toolkit.store.models import Document

from ..conftest import CODEBOOK, FIXED_CODE_IDS, SAMPLE

HELDOUT = SAMPLE / "heldout"
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def heldout_store(tmp_path_factory: pytest.TempPathFactory):
    from toolkit.store.engine import open_store
    from toolkit.studies.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('heldout') / 'heldout.sqlite'}"
    build_demo(url, data=HELDOUT)
    return open_store(url)


def gold_rows() -> list[dict]:
    return [json.loads(line) for line in (HELDOUT / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()]


def test_heldout_every_respondent_turn_has_its_gold_line(heldout_store):
    rows = gold_rows()
    with heldout_store.read() as session:
        documents = list(session.scalars(select(Document)))
        turns = [(d.name, s.text) for d in documents for s in d.segments if s.role == "respondent"]
        assert len(documents) == 26
        assert all("synthetic" in d.text[:200].lower() for d in documents)
    assert sorted(turns) == sorted((r["document"], r["quote"]) for r in rows)


def test_heldout_composition_and_codes():
    with open(HELDOUT / "cases.csv", encoding="utf-8") as handle:
        cases = {row["document"]: row for row in csv.DictReader(handle)}
    assert Counter(c["gender"] for c in cases.values()) == {"male": 13, "female": 13}
    interviews: dict[str, set[str]] = defaultdict(set)
    for row in gold_rows():
        assert set(row["codes"]) <= FIXED_CODE_IDS, row
        for code in row["codes"]:
            interviews[code].add(row["document"])
    assert {code: len(docs) for code, docs in interviews.items() if len(docs) < 3} == {}
    assert set(interviews) == FIXED_CODE_IDS


def test_heldout_gold_codes_respect_the_codebooks_exclusions():
    spec = parse_codebook(CODEBOOK.read_text(encoding="utf-8"), name=CODEBOOK.name)
    excluded = {frozenset((c.id, other)) for c in spec.codes for other in c.excludes}
    group_of = {c.id: c.group for c in spec.codes}
    for row in gold_rows():
        pairs = {frozenset(p) for p in combinations(row["codes"], 2)}
        assert not pairs & excluded, row
        assert Counter(group_of[c] for c in row["codes"])["recruitment"] <= 1, row
