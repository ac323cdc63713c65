"""Memos are scanned by the detector: a name no transcript records is still hidden when a memo is shown.

A coder writes "Talked to Olga Petrenko's sister" in a memo; no transcript names Olga, so the transcripts'
identifiers cannot hide her. The memo's own detections get project pseudonyms (``qda deid mapping`` lists
them) and every memo reader (``memo list``, ``search``, ``export``, the audit trail, a ``.qdpx``) shows the
pseudonym; ``--raw`` shows the name. The texts here are invented for the test.
"""

from __future__ import annotations

import json

import pytest
import spacy
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.corpus import identifiers
from toolkit.corpus.deid import Detector
from toolkit.store.engine import create_store

from .test_deid_exports import _texts

runner = CliRunner()
INTERVIEW = """Interviewer: Tell me about the offer.
Respondent: A woman from the agency called me. She promised work in a greenhouse, good money.
Interviewer: Did you sign anything?
Respondent: Nothing. They said the contract would come later.
"""
MEMO = "Talked to Olga Petrenko's sister: she grew up in the village of Zarechye and can confirm the offer."
SECRETS = ("Olga", "Petrenko", "Zarechye")


def qda(url: str, *args: object) -> str:
    result = runner.invoke(app, ["--db", url, *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def memo_store(tmp_path, blank_nlp, monkeypatch):
    """A store with one interview (nothing identifying in it) and a memo that names an unrecorded person.

    The memo detector is the gazetteer and cues without NER (fast, no model); the test with the real NER
    is below.
    """
    monkeypatch.setattr(identifiers, "_default_memo_detector", lambda: Detector(nlp=spacy.blank("en")))
    identifiers._MEMO_CACHE.clear()
    from toolkit.coding.review import add_coder, add_memo
    from toolkit.corpus.importer import import_files

    url = f"sqlite:///{tmp_path / 'memos.sqlite'}"
    store = create_store(url)
    source = tmp_path / "M01.txt"
    source.write_text(INTERVIEW, encoding="utf-8")
    import_files(store, [source], nlp=blank_nlp, detector=Detector(use_ner=False))
    add_coder(store, "bob")
    add_memo(store, "bob", "document", "M01", MEMO)
    add_memo(store, "bob", "document", "M01", "Zarechye again: the sister will call back.")
    store.close()
    return url


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s.lower() in text.lower()]


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (["memo", "list", "--json"], None),
        (["memo", "search", "sister", "--json"], None),
        (["memo", "export", "--out", "{out}"], "memos.csv"),
        (["audit", "--json"], None),
        (["export", "{out}", "--format", "qdpx"], "project.qdpx"),
    ],
    ids=["memo list", "memo search", "memo export", "audit", "qdpx"],
)
def test_memo_with_an_unrecorded_name_is_shown_and_exported_without_it(memo_store, tmp_path, args, output):
    out = tmp_path / (output or "stdout")
    stdout = qda(memo_store, *(a.replace("{out}", str(out)) for a in args))
    texts = _texts(out) if output else {"stdout": stdout}
    joined = " ".join(texts.values())
    assert "sister" in joined, "the memo is not in the output: the test would prove nothing"
    assert _leaks(joined) == []
    assert "[PERSON_" in joined and "[PLACE_" in joined


def test_memo_names_get_pseudonyms_in_the_project_mapping(memo_store):
    rows = [json.loads(line) for line in qda(memo_store, "deid", "mapping", "--actor", "dpo").splitlines()]
    keys = {(r["type"], r["key"]) for r in rows}
    assert ("person", "olga petrenko") in keys and ("place", "zarechye") in keys
    shown = [json.loads(line)["text"] for line in qda(memo_store, "memo", "list", "--json").splitlines()]
    labels = {r["key"]: r["pseudonym"] for r in rows}
    assert shown[0].startswith(f"Talked to {labels['olga petrenko']}'s sister")
    assert shown[1].startswith(labels["zarechye"])  # a name found in one memo is hidden in another, same pseudonym


def test_raw_memo_list_shows_the_name(memo_store):
    stdout = qda(memo_store, "memo", "list", "--json", "--raw", "--actor", "dpo")
    assert "Olga Petrenko" in stdout


def test_edited_memo_is_scanned_again(memo_store):
    from toolkit.coding.memos import edit_memo
    from toolkit.store.engine import open_store

    store = open_store(memo_store)
    edit_memo(store, "bob", 1, "Met Hanna Bondarenko at the shelter.")
    store.close()
    shown = qda(memo_store, "memo", "list", "--json")
    assert "Bondarenko" not in shown and "Hanna" not in shown


@pytest.mark.model
def test_memo_lone_first_name_hidden_with_the_real_ner(tmp_path, blank_nlp):
    from toolkit.coding.review import add_coder, add_memo, list_memos
    from toolkit.corpus.importer import import_files

    identifiers._MEMO_CACHE.clear()
    store = create_store(f"sqlite:///{tmp_path / 'ner.sqlite'}")
    source = tmp_path / "M01.txt"
    source.write_text(INTERVIEW, encoding="utf-8")
    import_files(store, [source], nlp=blank_nlp, detector=Detector(use_ner=False))
    add_coder(store, "bob")
    add_memo(store, "bob", "document", "M01", "Talked to Olga's sister yesterday; she remembers the agency well.")
    shown = list_memos(store)[0]["text"]
    raw = list_memos(store, raw=True)[0]["text"]
    store.close()
    assert "Olga" in raw and "Olga" not in shown and "[PERSON_" in shown
