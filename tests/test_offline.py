"""No code path touches the network: connect() is made to fail while importing, segmenting and embedding."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

SCRIPT = r"""
import os, socket, sys
def refuse(*args, **kwargs):
    raise RuntimeError(f"network access attempted: {args!r}")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
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
