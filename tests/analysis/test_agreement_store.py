"""Agreement through the store and the CLI: units, missing coders, the model as a coder, consensus."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from toolkit.analysis.agreement_store import agreement_frame, compute_agreement, disagreement_rows, record_consensus
from toolkit.cli.main import app
from toolkit.coding.codebook import load_codebook
from toolkit.coding.codings import coding_rows, import_codings
from toolkit.corpus.importer import import_files
from toolkit.errors import NotFoundError, ToolkitError

from ..conftest import CODEBOOK, SAMPLE

DOCS = ["S01", "S02", "S03"]


@pytest.fixture
def two_coders(store, blank_nlp, tmp_path):
    """alice = the gold codings; bob = the same with one code dropped and one added, and S03 not coded."""
    import_files(store, [SAMPLE / "transcripts" / f"{d}.txt" for d in DOCS], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    rows = [json.loads(r) for r in (SAMPLE / "gold_codings.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["document"] in DOCS]
    alice = tmp_path / "alice.jsonl"
    alice.write_text("".join(json.dumps(r) + "\n" for r in rows))
    import_codings(store, alice, coder="alice", new_coder=True)
    bob_rows = [dict(r) for r in rows if r["document"] != "S03"]
    coded = [r for r in bob_rows if r["codes"]]
    coded[0]["codes"] = coded[0]["codes"][1:]
    uncoded = next(r for r in bob_rows if not r["codes"])
    uncoded["codes"] = ["root_cause.family"]
    bob = tmp_path / "bob.jsonl"
    bob.write_text("".join(json.dumps(r) + "\n" for r in bob_rows))
    import_codings(store, bob, coder="bob", new_coder=True)
    return store


def test_agreement_store_missing_coder_is_missing_not_disagreement(two_coders):
    frame, units = agreement_frame(two_coders, ["alice", "bob"])
    per_unit = frame.groupby("unit")["coder"].nunique()
    s03_units = [u for u, info in units.items() if info["document"] == "S03"]
    assert all(per_unit.get(u, 0) == 1 for u in s03_units)
    table = compute_agreement(two_coders, ["alice", "bob"])
    assert table["unit"] == "respondent segments"
    n_shared = sum(1 for info in units.values() if info["document"] != "S03")
    assert table["per_code"]["root_cause.family"]["n_units"] == n_shared
    assert 0.9 < table["overall"]["percent_agreement"] < 1.0
    assert table["per_code"]["root_cause.family"]["cohen_kappa"] < 1.0


def test_agreement_store_disagreements_and_consensus(two_coders):
    rows = disagreement_rows(two_coders, ["alice", "bob"])
    assert len(rows) == 2
    assert {"document", "position", "text", "codes_alice", "codes_bob", "consensus"} <= set(rows[0])
    for row in rows:
        row["consensus"] = row["codes_alice"]
    added = record_consensus(two_coders, rows, agreed_from=["alice", "bob"])
    consensus = [r for r in coding_rows(two_coders, ["consensus"])]
    alice = [r for r in coding_rows(two_coders, ["alice"]) if r["document"] != "S03"]
    assert added == len(consensus) == len(alice)
    assert compute_agreement(two_coders, ["alice", "consensus"])["overall"]["krippendorff_alpha"] == pytest.approx(1.0)


def test_agreement_store_errors(two_coders):
    with pytest.raises(NotFoundError, match="zed"):
        compute_agreement(two_coders, ["alice", "zed"])
    with pytest.raises(NotFoundError, match=r"root_cause\.luck"):
        compute_agreement(two_coders, ["alice", "bob"], codes=["root_cause.luck"])
    with pytest.raises(ToolkitError, match="unit"):
        compute_agreement(two_coders, ["alice", "bob"], unit="sentences")


def test_agreement_store_cli_json_and_unit_all(two_coders, db_url, tmp_path):
    two_coders.close()
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db_url, "agreement", "--coders", "alice,bob", "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)
    assert set(table["per_code"]["root_cause.family"]) >= {
        "percent_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
        "n_units",
    }
    assert "overall" in table
    wide = json.loads(
        runner.invoke(app, ["--db", db_url, "agreement", "--coders", "alice,bob", "--unit", "all", "--json"]).stdout
    )
    assert wide["overall"]["n_units"] > table["overall"]["n_units"]
    text = runner.invoke(app, ["--db", db_url, "agreement", "--coders", "alice,bob"]).stdout
    assert "unit: respondent segments" in text and "overall" in text
    out = tmp_path / "dis.csv"
    assert runner.invoke(app, ["--db", db_url, "disagreements", "--coders", "alice,bob", "-o", str(out)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    for row in rows:
        row["consensus"] = row["codes_bob"]
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(app, ["--db", db_url, "consensus", "import", str(out)])
    assert result.exit_code == 0, result.output
