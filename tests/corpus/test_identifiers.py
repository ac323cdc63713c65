"""De-identification through the store: pseudonyms, review, views used by every reader, caches purged."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from toolkit.analysis.status import document_segments
from toolkit.cli.main import app
from toolkit.coding.codings import coding_rows, export_codings
from toolkit.coding.review import add_coder, add_coding, audit_trail
from toolkit.corpus.deid import Detection, Detector
from toolkit.corpus.identifiers import (
    add,
    apply,
    deid_status,
    document_view,
    identifier_rows,
    mark_reviewed,
    review,
    scan,
)
from toolkit.corpus.importer import import_files
from toolkit.store.models import Code, Document, LemmaCache
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.lemmas import SimpleLemmatizer
from toolkit.suggest.suggestions import load_corpus

NAMES = ("Dmitry Savchuk", "Zhanna Sidorchuk", "Kobryn", "Dmitry")

INTERVIEW_A = """Interviewer: Tell me about yourself.
Respondent: My name is Dmitry Savchuk. I live in Kobryn. Call me on +375 29 318 46 07.
Interviewer: Who made the offer?
Respondent: Zhanna Sidorchuk did. Dmitry, she said, you will earn well.
"""
INTERVIEW_B = """Interviewer: Who recruited you?
Respondent: A man, Dmitry Savchuk, from the same firm. He wrote from zhanna.s@example.org.
"""


class NamesDetector(Detector):
    """Patterns plus a fixed list of names (fast and deterministic; the NER is tested in test_deid)."""

    def __init__(self) -> None:
        super().__init__(use_ner=False)

    def detect_many(self, texts, languages=None, on_progress=None):
        out = []
        for text, found in zip(texts, super().detect_many(texts, languages, on_progress), strict=True):
            for name in NAMES:
                type_ = "place" if name == "Kobryn" else "person"
                for m in re.finditer(rf"\b{name}\b", text):
                    if not any(d.start < m.end() and m.start() < d.end for d in found):
                        found.append(Detection(m.start(), m.end(), name, type_, "ner"))
            out.append(sorted(found, key=lambda d: d.start))
        return out


@pytest.fixture
def deid_store(store, blank_nlp, tmp_path):
    a, b = tmp_path / "A01.txt", tmp_path / "B02.txt"
    a.write_text(INTERVIEW_A, encoding="utf-8")
    b.write_text(INTERVIEW_B, encoding="utf-8")
    report = import_files(store, [a, b], nlp=blank_nlp, detector=NamesDetector())
    assert report.identifiers == {"A01": 5, "B02": 2}
    with store.transaction() as tx:
        tx.session.add(Code(id="g.x", group="g", name="x", definition="x"))
    add_coder(store, "alice")
    return store


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


def test_identifiers_same_entity_same_pseudonym_across_documents(deid_store):
    rows = identifier_rows(deid_store)
    labels = {(r["document"], r["text"]): r["pseudonym"] for r in rows}
    assert labels[("A01", "Dmitry Savchuk")] == labels[("B02", "Dmitry Savchuk")] == "[PERSON_1]"
    assert labels[("A01", "Dmitry")] == "[PERSON_1]"  # the first name alone, next to the full name
    assert labels[("A01", "Zhanna Sidorchuk")] == "[PERSON_2]"
    assert labels[("A01", "Kobryn")] == "[PLACE_1]"
    assert labels[("A01", "+375 29 318 46 07")] == "[PHONE_1]"
    assert labels[("B02", "zhanna.s@example.org")] == "[EMAIL_1]"


def test_identifiers_every_reader_shows_the_deidentified_text(deid_store):
    text = document_view(deid_store, "A01").original
    segments = document_segments(deid_store, "A01")
    turn = next(s for s in segments if "[PERSON_1]" in s["text"])
    assert turn["text"] == "My name is [PERSON_1]. I live in [PLACE_1]. Call me on [PHONE_1]."
    start = text.index("Zhanna")
    add_coding(deid_store, "alice", "A01", start, start + 30, "g.x")
    (row,) = coding_rows(deid_store)
    assert row["quote"] == "[PERSON_2] did. [PERSON_1], "
    assert "Zhanna" not in export_codings(deid_store, "csv") and "Zhanna" not in export_codings(deid_store, "jsonl")
    corpus = load_corpus(deid_store, HashingEmbedder(), SimpleLemmatizer())  # what the model sees
    sentences = [s for group in corpus.batch.sentence_texts for s in group]
    seen = " ".join([*corpus.batch.texts, *corpus.batch.questions, *sentences])
    assert not words(seen) & {"Dmitry", "Savchuk", "Zhanna", "Kobryn"}
    with deid_store.read() as session:
        lemmas = " ".join(session.scalars(select(LemmaCache.lemmas)))
    assert "savchuk" not in lemmas and "kobryn" not in lemmas


def test_identifiers_raw_text_is_shown_only_on_request_and_audited(deid_store):
    raw = document_segments(deid_store, "A01", raw=True, actor="admin")
    assert any("Dmitry Savchuk" in s["text"] for s in raw)
    raw_export = export_codings(deid_store, "csv", raw=True, actor="admin")
    assert isinstance(raw_export, str)
    events = [e for e in audit_trail(deid_store) if e["action"] == "text.raw"]
    assert [e["actor"] for e in events] == ["admin", "admin"]
    assert all("Dmitry" not in json.dumps(e) for e in audit_trail(deid_store))  # no identifier in the trail


def test_identifiers_review_reject_confirm_add_and_the_reviewed_flag(deid_store):
    rows = {r["text"]: r for r in identifier_rows(deid_store, ["A01"])}
    review(deid_store, rows["Kobryn"]["id"], "reject", "rita")
    review(deid_store, rows["Zhanna Sidorchuk"]["id"], "confirm", "rita")
    assert "Kobryn" in document_view(deid_store, "A01").text
    apply(deid_store, ["A01"], detector=NamesDetector())  # a new run keeps both decisions
    after = {r["text"]: r for r in identifier_rows(deid_store, ["A01"])}
    assert after["Kobryn"]["status"] == "rejected" and after["Zhanna Sidorchuk"]["status"] == "confirmed"
    assert "Kobryn" in document_view(deid_store, "A01").text
    ids = add(deid_store, "B02", "organisation", "rita", text="the same firm")
    assert len(ids) == 1 and "[ORG_1]" in document_view(deid_store, "B02").text
    with pytest.raises(Exception, match="not in document"):
        add(deid_store, "B02", "person", "rita", text="Nobody Here")
    mark_reviewed(deid_store, "A01", "rita")
    status = {r["document"]: r for r in deid_status(deid_store)}
    assert status["A01"]["reviewed"] and not status["B02"]["reviewed"] and status["A01"]["rejected"] == 1
    actions = [e["action"] for e in audit_trail(deid_store) if e["action"].startswith("deid.")]
    assert actions == ["deid.reject", "deid.confirm", "deid.apply", "deid.add", "deid.reviewed"]


def test_identifiers_scan_stores_nothing_and_names_future_pseudonyms(deid_store):
    before = identifier_rows(deid_store)
    calls: list[tuple[int, int]] = []
    rows = scan(deid_store, ["B02"], detector=NamesDetector(), on_progress=lambda *call: calls.append(call))
    assert {r["pseudonym"] for r in rows} == {"[PERSON_1]", "[EMAIL_1]"}
    assert calls[0] == (0, 1) and calls[-1] == (1, 1)
    assert set(rows[0]) >= {"document", "start", "end", "text", "type", "pseudonym"}
    assert identifier_rows(deid_store) == before


def test_identifiers_replace_purges_caches_and_carries_decisions(deid_store, blank_nlp, tmp_path):
    load_corpus(deid_store, HashingEmbedder(), SimpleLemmatizer())
    rows = {r["text"]: r for r in identifier_rows(deid_store, ["A01"])}
    review(deid_store, rows["Kobryn"]["id"], "reject", "rita")  # Kobryn is now visible and embedded
    load_corpus(deid_store, HashingEmbedder(), SimpleLemmatizer())
    with deid_store.read() as session:
        assert "kobryn" in " ".join(session.scalars(select(LemmaCache.lemmas)))
    mark_reviewed(deid_store, "A01", "rita")
    redacted = tmp_path / "A01.txt"
    redacted.write_text(INTERVIEW_A.replace("I live in Kobryn. ", "I live in a town. "), encoding="utf-8")
    report = import_files(deid_store, [redacted], nlp=blank_nlp, replace=True, detector=NamesDetector())
    assert report.replaced == ["A01"] and report.cache_rows_purged > 0
    with deid_store.read() as session:
        lemmas = " ".join(session.scalars(select(LemmaCache.lemmas)))
        document = session.scalar(select(Document).where(Document.name == "A01"))
        assert not document.deid_reviewed  # the text changed: review it again
    assert "kobryn" not in lemmas and "town" not in lemmas  # only texts of the new version get cached again
    after = {r["text"]: r for r in identifier_rows(deid_store, ["A01"])}
    assert "Kobryn" not in after and after["Dmitry Savchuk"]["pseudonym"] == "[PERSON_1]"


def test_identifiers_cli_scan_apply_list_review(deid_store, db_url, monkeypatch):
    monkeypatch.setenv("QDA_PROGRESS", "1")  # bars drawn though stderr is no terminal here
    runner = CliRunner()
    scanned = runner.invoke(app, ["--db", db_url, "deid", "scan", "--documents", "B02"])
    assert scanned.exit_code == 0, scanned.output
    lines = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert {line["type"] for line in lines} >= {"email"}
    assert "finding identifiers" in scanned.stderr  # the bar over documents; stdout stays JSON lines
    applied = runner.invoke(app, ["--db", db_url, "deid", "apply", "--documents", "B02"])
    assert applied.exit_code == 0 and "finding identifiers" in applied.stderr and "B02:" in applied.stdout
    listed = runner.invoke(app, ["--db", db_url, "deid", "list", "--documents", "A01", "--json"])
    first = json.loads(listed.output.splitlines()[0])
    rejected = runner.invoke(app, ["--db", db_url, "deid", "reject", str(first["id"]), "--reviewer", "rita"])
    assert rejected.exit_code == 0 and "rejected 1" in rejected.output
    reviewed = runner.invoke(app, ["--db", db_url, "deid", "reviewed", "A01", "--reviewer", "rita"])
    assert reviewed.exit_code == 0, reviewed.output
    shown = runner.invoke(app, ["--db", db_url, "show", "A01"])
    assert "[PHONE_1]" in shown.output and "+375" not in shown.output
    status = runner.invoke(app, ["--db", db_url, "deid", "status"])
    assert "A01" in status.output and "reviewed" in status.output
    mapping = runner.invoke(app, ["--db", db_url, "deid", "mapping", "--actor", "admin"])
    assert "[PERSON_1]" in mapping.output


def test_identifiers_applied_after_the_fact_clean_caches_and_explanations(store, blank_nlp, tmp_path):
    from toolkit.coding.codebook import load_codebook
    from toolkit.coding.codings import import_codings
    from toolkit.store.models import Suggestion
    from toolkit.suggest.suggestions import suggest

    from ..conftest import CODEBOOK, SAMPLE

    paths = [SAMPLE / "transcripts" / f"S0{i}.txt" for i in (1, 2, 3, 4)]
    import_files(store, paths, nlp=blank_nlp, deid=False)  # not de-identified: everything sees the names
    assert {r["scanned"] for r in deid_status(store)} == {False}
    load_codebook(store, CODEBOOK)
    gold = tmp_path / "gold.jsonl"
    lines = (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
    gold.write_text("".join(r + "\n" for r in lines if json.loads(r)["document"] in ("S01", "S02")), encoding="utf-8")
    import_codings(store, gold, coder="alice", new_coder=True)
    suggest(store, embedder="hashing", lemmatizer="simple")
    with store.read() as session:
        before = json.dumps(list(session.scalars(select(Suggestion.explanation))))
        lemmas_before = " ".join(session.scalars(select(LemmaCache.lemmas)))
    assert "savchuk" in lemmas_before

    apply(store, detector=NamesDetector())
    with store.read() as session:
        after = json.dumps(list(session.scalars(select(Suggestion.explanation))))
        lemmas_after = " ".join(session.scalars(select(LemmaCache.lemmas)))
    assert "savchuk" not in lemmas_after
    assert "Savchuk" not in after and ("Savchuk" not in before or "[PERSON_1]" in after)
