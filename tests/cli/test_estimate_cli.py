"""qda estimate: counted where coded, estimated (and labelled so) for the uncoded interviews."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.suggest.model_choice import set_project_model

from ..conftest import sample_study

runner = CliRunner()
DOCUMENTS = ["S01", "S02", "S03", "S04", "S06"]


def test_estimate_cli_text_and_json(store, db_url, blank_nlp, tmp_path, monkeypatch):
    monkeypatch.setenv("QDA_PROGRESS", "1")  # bars drawn though stderr is no terminal here
    sample_study(store, blank_nlp, tmp_path, DOCUMENTS, DOCUMENTS[:3])
    set_project_model(store, "hashing")
    text = runner.invoke(app, ["--db", db_url, "estimate", "--code", "root_cause.family,root_cause.economic"])
    assert text.exit_code == 0, text.output
    assert "coded so far: 3 of 5 interviews; 2 uncoded" in text.output
    assert "ESTIMATES" in text.output and "code next: S0" in text.output
    assert "coded interviews" in text.stderr  # the bar of the recalibration's fits, on stderr
    result = runner.invoke(app, ["--db", db_url, "estimate", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["uncoded"] == ["S04", "S06"] and document["next"] in document["uncoded"]
    assert {row["coded"] for row in document["estimates"]} == {3}
    unknown = runner.invoke(app, ["--db", db_url, "estimate", "--code", "no.such"])
    assert unknown.exit_code == 2 and "unknown code 'no.such'" in unknown.output
