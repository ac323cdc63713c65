"""The library stays free of UI imports, so notebooks and the CLI never pull Streamlit in."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_architecture_toolkit_does_not_import_streamlit():
    # toolkit.migrations.env and the revision files are scripts that only Alembic runs.
    code = (
        "import sys, pkgutil, importlib, toolkit\n"
        "for m in pkgutil.walk_packages(toolkit.__path__, 'toolkit.'):\n"
        "    if not m.name.startswith(('toolkit.ui', 'toolkit.migrations.')): importlib.import_module(m.name)\n"
        "assert 'streamlit' not in sys.modules, 'streamlit imported by the library'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr


def test_architecture_model_imports_nothing_of_ours():
    source = (ROOT / "toolkit" / "model.py").read_text()
    assert "from toolkit" not in source and "import toolkit" not in source
