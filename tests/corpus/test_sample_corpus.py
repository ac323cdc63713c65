"""The synthetic corpus loads whole through the importer and holds the composition its issue asks for.

The counts below are the corpus's design (how many interviews have each property), not report
percentages: the report's shares are computed from these by the analysis code.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from toolkit.store.models import Coder, Coding, Document

from ..conftest import FIXED_CODE_IDS, SAMPLE

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def cases() -> dict[str, dict[str, str]]:
    with open(SAMPLE / "cases.csv", encoding="utf-8") as handle:
        return {row["document"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def gold_docs_by_code(sample_store) -> dict[str, set[str]]:
    with sample_store.read() as session:
        rows = session.execute(
            select(Coding.code_id, Document.name)
            .join(Document, Coding.document_id == Document.id)
            .join(Coder, Coding.coder_id == Coder.id)
            .where(Coder.name == "gold")
        )
        out: dict[str, set[str]] = defaultdict(set)
        for code, doc in rows:
            out[code].add(doc)
        return out


def test_sample_corpus_every_file_and_quote_imports(sample_store):
    gold_lines = (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
    with sample_store.read() as session:
        documents = list(session.scalars(select(Document)))
        assert len(documents) == 26
        assert all(d.attributes for d in documents)
        encodings = Counter(d.encoding for d in documents)
        assert encodings["docx"] >= 2 and encodings["cp1251"] == 1
        respondent_turns = sum(1 for d in documents for s in d.segments if s.role == "respondent")
        # every respondent turn has exactly one gold line, and the importer found each of them
        assert respondent_turns == len(gold_lines)
        assert all(
            d.text.splitlines()[0].upper().startswith("SYNTHETIC") or "SYNTHETIC" in d.text[:200] for d in documents
        )


def test_sample_corpus_words_per_interview(sample_store):
    with sample_store.read() as session:
        words = {d.name: len(d.text.split()) for d in session.scalars(select(Document))}
    assert all(700 <= n <= 1200 for n in words.values()), words


def test_sample_corpus_every_code_in_three_interviews(gold_docs_by_code):
    assert set(gold_docs_by_code) == FIXED_CODE_IDS
    thin = {code: len(docs) for code, docs in gold_docs_by_code.items() if len(docs) < 3}
    assert not thin, thin


def test_sample_corpus_composition_from_files(cases, gold_docs_by_code):
    assert Counter(c["gender"] for c in cases.values()) == {"male": 13, "female": 13}
    assert set(c["age_group"] for c in cases.values()) == {"18-29", "30-44", "45+"}
    heard = {d for d, c in cases.items() if c["heard_of_tip"] == "yes"}
    signed = {d for d, c in cases.items() if c["signed_documents"] == "yes"}
    received = {d for d in signed if cases[d]["received_documents"] == "yes"}
    checked = {d for d in signed if cases[d]["checked_employer"] == "yes"}
    assert (len(cases), len(heard), len(signed), len(received), len(checked)) == (26, 18, 16, 6, 1)
    assert len(gold_docs_by_code["root_cause.education"]) == 12
    recruitment = Counter(
        {code: len(gold_docs_by_code[code]) for code in FIXED_CODE_IDS if code.startswith("recruitment.")}
    )
    ranked = [code for code, _ in recruitment.most_common()]
    assert ranked[:2] == ["recruitment.in_person", "recruitment.online"]
    assert recruitment["recruitment.in_person"] > recruitment["recruitment.online"] > recruitment["recruitment.agency"]


def test_sample_corpus_codings_agree_with_case_attributes(cases, gold_docs_by_code):
    """Contract codes and attributes tell the same story, so either can drive the funnel."""
    received = gold_docs_by_code["contract.received"]
    not_received = gold_docs_by_code["contract.not_received"]
    unsigned = gold_docs_by_code["contract.none"] | gold_docs_by_code["contract.promised"]
    for doc, case in cases.items():
        assert (doc in received) == (case["received_documents"] == "yes"), doc
        assert (doc in not_received) == (case["signed_documents"] == "yes" and case["received_documents"] == "no"), doc
        assert (doc in unsigned) == (case["signed_documents"] == "no"), doc
        assert doc in gold_docs_by_code["root_cause.awareness"], doc


def test_sample_corpus_identifiers_are_in_their_transcripts(sample_store):
    with sample_store.read() as session:
        texts = {d.name: d.text for d in session.scalars(select(Document))}
    with open(SAMPLE / "identifiers.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len({r["document"] for r in rows}) >= 20
    assert {r["type"] for r in rows} >= {"person", "place", "organisation", "phone", "email", "date_of_birth"}
    for row in rows:
        assert " ".join(row["string"].split()) in " ".join(texts[row["document"]].split()), row


def test_sample_corpus_gold_rows_are_valid_json_with_known_codes():
    for line in (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert set(row) == {"document", "quote", "codes"}
        assert set(row["codes"]) <= FIXED_CODE_IDS
