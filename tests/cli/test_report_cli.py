from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from toolkit.cli.main import app

from ..conftest import SAMPLE

pytestmark = pytest.mark.model


def test_report_cli_json_has_the_findings_computed_from_data(sample_store):
    url = sample_store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--db", url, "report", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in (
        "n_interviews",
        "by_gender",
        "code_prevalence",
        "heard_of_tip_share",
        "signed_documents",
        "received_share_of_signed",
        "checked_employer_share",
        "recruitment_counts",
        "code_by_attribute",
    ):
        assert key in report, key
    cases = list(csv.DictReader(open(SAMPLE / "cases.csv", encoding="utf-8")))
    signed = [c for c in cases if c["signed_documents"] == "yes"]
    assert report["n_interviews"] == len(cases)
    assert report["heard_of_tip_share"] == pytest.approx(sum(c["heard_of_tip"] == "yes" for c in cases) / len(cases))
    assert report["received_share_of_signed"] == pytest.approx(
        sum(c["received_documents"] == "yes" for c in signed) / len(signed)
    )
    assert report["coder"] == "gold"
    gold = [json.loads(line) for line in open(SAMPLE / "gold_codings.jsonl", encoding="utf-8")]
    education = {g["document"] for g in gold if "root_cause.education" in g["codes"]}
    assert report["code_prevalence"]["root_cause.education"]["interviews"] == len(education)
