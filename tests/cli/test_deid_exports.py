"""Every way text leaves the store is de-identified by default: no planted identifier in any output's bytes.

The store holds four sample interviews whose identifiers (``sample_data/identifiers.csv``) are all found
(a detector that knows them: this tests the exports, not detection recall), their codings, suggestions
with explanations, and a memo that names a participant. Each export runs through the ``qda`` command; its
files (zip archives unpacked: .qdpx, .xlsx, .docx) and its standard output are searched for every planted
string. ``--raw`` brings them back and is recorded in the audit trail.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
import spacy
from sqlalchemy import select
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.corpus.deid import Detection, Detector
from toolkit.store.engine import open_store
from toolkit.store.models import AuditEvent

from ..conftest import CODEBOOK, SAMPLE

runner = CliRunner()
DOCUMENTS = ["S01", "S02", "S03", "S04"]


def planted() -> list[tuple[str, str]]:
    """(string, type) of every identifier planted in the fixture's documents."""
    with (SAMPLE / "identifiers.csv").open(encoding="utf-8") as handle:
        return [(row["string"], row["type"]) for row in csv.DictReader(handle) if row["document"] in DOCUMENTS]


class PlantedDetector(Detector):
    """The patterns plus every planted string wherever it occurs (deterministic, no NER model)."""

    def __init__(self) -> None:
        super().__init__(use_ner=False)

    def detect_many(self, texts, languages=None, on_progress=None):
        out = []
        for text, found in zip(texts, super().detect_many(texts, languages, on_progress), strict=True):
            for string, type_ in planted():
                for m in re.finditer(re.escape(string), text):
                    found = [d for d in found if not (d.start < m.end() and m.start() < d.end)]
                    found.append(Detection(m.start(), m.end(), string, type_, "ner"))
            out.append(sorted(found, key=lambda d: d.start))
        return out


def qda(url: str, *args: object, input: str | None = None) -> str:
    result = runner.invoke(app, ["--db", url, *map(str, args)], input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[str, Path]:
    from toolkit.coding.codebook import load_codebook
    from toolkit.coding.codings import import_codings
    from toolkit.coding.review import add_coder, add_coding, add_memo
    from toolkit.corpus.importer import import_files
    from toolkit.store.engine import create_store
    from toolkit.suggest.estimator import SuggestConfig
    from toolkit.suggest.suggestions import suggest

    folder = tmp_path_factory.mktemp("deid_exports")
    url = f"sqlite:///{folder / 'study.sqlite'}"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    cases = folder / "cases.csv"
    rows = (SAMPLE / "cases.csv").read_text(encoding="utf-8").splitlines()
    cases.write_text("\n".join([rows[0], *(r for r in rows[1:] if r.split(",")[0] in DOCUMENTS)]) + "\n")
    store = create_store(url)
    import_files(
        store,
        [SAMPLE / "transcripts" / f"{n}.txt" for n in DOCUMENTS],
        nlp=nlp,
        detector=PlantedDetector(),
        attributes=cases,
    )
    load_codebook(store, CODEBOOK)
    gold = folder / "gold.jsonl"
    lines = (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
    gold.write_text("".join(line + "\n" for line in lines if json.loads(line)["document"] in DOCUMENTS[:3]))
    import_codings(store, gold, coder="alice", new_coder=True)
    add_coder(store, "bob")
    # Bob codes the turn that names S01's respondent, which Alice left uncoded: a disagreement quoting it.
    text = (SAMPLE / "transcripts" / "S01.txt").read_text(encoding="utf-8")
    start = text.index("My name is")
    add_coding(store, "bob", "S01", start, text.index("\n", start), "root_cause.family")
    add_memo(store, "bob", "document", "S01", "Dmitry Savchuk asked to be called back on +375 29 318 46 07.")
    suggest(store, embedder="hashing", lemmatizer="simple", config=SuggestConfig(threshold=0.05, zero_shot_cut=0.05))
    store.close()
    return url, folder


def _texts(path: Path) -> dict[str, str]:
    """Every file's text; a zip archive (qdpx, xlsx, docx) contributes each of its members."""
    out = {}
    for item in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
        data = item.read_bytes()
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                out.update({f"{item.name}/{m}": _decode(archive.read(m)) for m in archive.namelist()})
        else:
            out[item.name] = _decode(data)
    return out


def _decode(data: bytes) -> str:
    from html import unescape

    return unescape(data.decode("utf-8", errors="replace"))


# Each export: (qda arguments with {out} for an output path, the output's name or None for stdout).
EXPORTS = {
    "codings csv": (["codings", "export", "--format", "csv", "-o", "{out}"], "codings.csv"),
    "codings jsonl": (["codings", "export", "--format", "jsonl"], None),
    "tables xlsx": (["export", "{out}", "--format", "xlsx"], "tables.xlsx"),
    "tables csv": (["export", "{out}", "--format", "csv"], "tables"),
    "qdpx": (["export", "{out}", "--format", "qdpx"], "project.qdpx"),
    "report html": (["report", "{out}", "--format", "html"], "report.html"),
    "report docx": (["report", "{out}", "--format", "docx"], "report.docx"),
    "report json": (["report", "--json"], None),
    "show": (["show", "S01", "--json"], None),
    "disagreements": (["disagreements", "-o", "{out}"], "disagreements.csv"),
    "search": (["search", "born", "--json"], None),
    "coding query": (["query", "coding", "recruitment.in_person OR contract.not_received", "--json"], None),
    "memo list": (["memo", "list", "--json"], None),
    "memo search": (["memo", "search", "called", "--json"], None),
    "memo export": (["memo", "export", "--out", "{out}"], "memos.csv"),
    "suggestions": (["suggest", "--json", "--model", "hashing", "--documents", "S04"], None),
    "audit trail": (["audit", "--json"], None),
    "review session": (["review", "--coder", "bob", "--order", "document"], None),
}


def _run(study, tmp_path, args, name) -> dict[str, str]:
    url, _ = study
    out = tmp_path / (name or "stdout")
    stdout = qda(url, *(a.replace("{out}", str(out)) for a in args), input="q\n" if args[0] == "review" else None)
    return _texts(out) if name else {"stdout": stdout}


@pytest.mark.parametrize("export", list(EXPORTS))
def test_export_holds_no_planted_identifier(study, tmp_path, export):
    args, name = EXPORTS[export]
    texts = _run(study, tmp_path, args, name)
    assert any(t.strip() for t in texts.values()), "the export wrote nothing: the test would prove nothing"
    leaks = [
        (where, string)
        for where, text in texts.items()
        for string, _ in planted()
        if string.lower() in " ".join(text.split()).lower()
    ]
    assert leaks == []


def test_export_shows_pseudonyms_where_identifiers_were(study, tmp_path):
    texts = _run(study, tmp_path, ["show", "S01", "--json"], None)
    assert "[PERSON_" in texts["stdout"] and "[PHONE_" in texts["stdout"]


def test_search_finds_a_name_only_in_raw_text(study):
    url, _ = study
    assert qda(url, "search", "Savchuk", "--json") == ""
    hits = [json.loads(line) for line in qda(url, "search", "Savchuk", "--json", "--raw").splitlines()]
    assert hits and all("Savchuk" in hit["text"] for hit in hits)


@pytest.mark.parametrize(
    "args",
    [
        ["export", "{out}", "--format", "qdpx", "--raw", "--actor", "dpo"],
        ["search", "born", "--json", "--raw", "--actor", "dpo"],
        ["memo", "list", "--json", "--raw", "--actor", "dpo"],
    ],
    ids=["qdpx", "search", "memo list"],
)
def test_raw_export_shows_identifiers_and_is_audited(study, tmp_path, args):
    url, _ = study
    store = open_store(url)
    with store.read() as session:
        before = len(list(session.scalars(select(AuditEvent.id).where(AuditEvent.action == "text.raw"))))
    texts = _run(study, tmp_path, args, "raw.qdpx" if "qdpx" in args else None)
    joined = " ".join(" ".join(t.split()) for t in texts.values())
    assert "Dmitry Savchuk" in joined
    with store.read() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "text.raw")))
    store.close()
    assert len(events) == before + 1 and events[-1].actor == "dpo"


def test_deidentified_qdpx_reimports_with_codings_on_the_same_words(study, tmp_path):
    from toolkit.coding.codings import coding_rows

    url, _ = study
    archive = tmp_path / "project.qdpx"
    qda(url, "export", archive, "--format", "qdpx")
    copy = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    qda(copy, "init")
    qda(copy, "import-qdpx", archive)

    def quotes(store_url: str, *, raw: bool) -> list[tuple[str, str, str, str]]:
        store = open_store(store_url)
        try:
            rows = coding_rows(store, raw=raw)
        finally:
            store.close()
        return sorted((r["document"], r["code"], r["coder"], " ".join(r["quote"].split())) for r in rows)

    # The copy's original text is the de-identified text, so its raw quotes are the source's shown quotes.
    original = quotes(url, raw=False)
    assert original and any("[PERSON_" in q[3] for q in original)
    assert quotes(copy, raw=True) == original
    # Its speaker turns survived the mapping too: every turn of the copy is whole words of the new text.
    copied = json.loads(qda(copy, "status", "--json"))
    assert copied["documents"] == len(DOCUMENTS)
