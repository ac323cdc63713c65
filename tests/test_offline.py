"""No code path touches the network: connect() is made to fail while importing, segmenting and embedding."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from .offline import REFUSE_NETWORK

SCRIPT = REFUSE_NETWORK + r"""
import os, sys
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ.pop("TRANSFORMERS_OFFLINE", None)

from toolkit.store.engine import create_store
from toolkit.corpus.importer import import_files
from toolkit.suggest.embed import select_embedder

store = create_store(sys.argv[1])
report = import_files(store, [sys.argv[2]])
assert report.imported, report
assert os.environ["HF_HUB_OFFLINE"] == "1"
vectors = select_embedder().encode(["We signed the contracts.", "They wouldn't give them to us."])
assert vectors.shape == (2, 384), vectors.shape
print("offline ok", report.segments)
"""


@pytest.mark.model
def test_offline_import_segment_and_embed_never_connect(tmp_path):
    from .conftest import SAMPLE

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'o.sqlite'}", str(SAMPLE / "transcripts" / "S01.txt")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "offline ok" in result.stdout


def test_offline_flag_is_set_when_toolkit_loads_models(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    from toolkit.config import force_offline

    force_offline()
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_offline_unknown_model_is_an_error_not_a_download(monkeypatch):
    from toolkit.config import resolve_model_path
    from toolkit.errors import ToolkitError

    def refuse(*args, **kwargs):
        raise AssertionError("network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    with pytest.raises(ToolkitError, match="never downloaded"):
        resolve_model_path("sentence-transformers/all-mpnet-base-v2")


WHOLE_JOB = r"""
import json, os, socket, sys
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args)[:200])
    raise OSError("network access refused by the test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ.pop("TRANSFORMERS_OFFLINE", None)

from pathlib import Path
from typer.testing import CliRunner
from toolkit.cli.main import app
from toolkit.coding.codebook import load_codebook
from toolkit.coding.codings import export_codings, import_codings
from toolkit.corpus.identifiers import apply, scan
from toolkit.corpus.importer import import_files
from toolkit.store.engine import create_store
from toolkit.suggest.suggestions import suggest

url, root = sys.argv[1], Path(sys.argv[2])
sample = root / "sample_data"
store = create_store(url)
report = import_files(store, [sample / "transcripts" / "S01.txt", sample / "transcripts" / "S05.docx"])
assert report.identifiers, report  # de-identified on import, with the real spaCy NER
assert scan(store, ["S01"]) and apply(store)
load_codebook(store, root / "codebook" / "tip_root_causes.yaml")
gold = Path(os.environ["HOME"]) / "gold.jsonl"
gold.write_text("".join(l + "\n" for l in (sample / "gold_codings.jsonl").read_text().splitlines()
                        if json.loads(l)["document"] in ("S01", "S05")))
import_codings(store, gold, coder="gold", new_coder=True)
suggest(store, embedder="hashing", lemmatizer="simple")
assert "Savchuk" not in export_codings(store, "csv")
result = CliRunner().invoke(app, ["--db", url, "report", "--json"])
assert result.exit_code == 0, result.output
store.close()

from streamlit.testing.v1 import AppTest
at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
at.session_state["db_url"] = url
at.run()
assert not at.exception, at.exception
print(json.dumps({"attempts": attempts}))
"""


@pytest.mark.model
def test_offline_nothing_leaves_the_machine_in_the_whole_job(tmp_path):
    """Issue 11: import, de-identification, (hashing) suggestions, a report and a dashboard render: 0 connections."""
    from .conftest import ROOT

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", WHOLE_JOB, f"sqlite:///{tmp_path / 'o.sqlite'}", str(ROOT)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"attempts": []}
