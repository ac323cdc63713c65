"""The layers of ARCHITECTURE.md, held by a test: no module imports from a layer above its own.

Layers, bottom to top (a module may import its own layer and those below):
``errors``/``config`` < ``io`` < ``store`` < ``corpus`` < ``coding`` < ``suggest`` < ``analysis`` < ``studies``
< ``cli`` | ``ui`` (the two front ends never import each other). The library never imports Streamlit.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

LAYERS = ["errors", "config", "io", "store", "corpus", "coding", "suggest", "analysis", "studies", "cli", "ui"]
RANK = {
    "errors": 0,
    "config": 0,
    "io": 1,
    "store": 2,
    "corpus": 3,
    "coding": 4,
    "suggest": 5,
    "analysis": 6,
    "studies": 7,
    "cli": 8,
    "ui": 8,
}
PACKAGE = ROOT / "toolkit"


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "toolkit" else None


def _module_name(path: Path, root: Path = ROOT) -> str:
    relative = path.relative_to(root).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``toolkit`` module a file imports (absolute imports only: the code base uses no relative ones)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("toolkit")]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            if node.module and node.module.startswith("toolkit"):
                if node.module == "toolkit":
                    found += [(node.lineno, f"toolkit.{alias.name}") for alias in node.names]
                else:
                    found.append((node.lineno, node.module))
    return found


def _library_files(package: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "migrations" not in p.parts or p.name == "env.py")


def _upward_imports(root: Path = ROOT) -> list[str]:
    violations = []
    for path in _library_files(root / "toolkit"):
        own = _layer(_module_name(path, root))
        if own is None:
            continue
        for line, imported in _imports(path):
            target = _layer(imported)
            if target is None or target == "__version__":
                continue
            if RANK[target] > RANK[own] or (own != target and {own, target} == {"cli", "ui"}):
                violations.append(f"{path.relative_to(root)}:{line} ({own}) imports {imported} ({target})")
    return violations


def test_architecture_every_subpackage_is_a_known_layer():
    tops = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tops |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert tops == set(RANK), f"layers not in the architecture: {sorted(tops ^ set(RANK))}"


def test_architecture_no_module_imports_upward():
    violations = _upward_imports()
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("lower", ["store/models.py", "errors.py", "config.py"])
def test_architecture_foundations_import_nothing_above_them(lower: str):
    own = RANK[_layer(_module_name(PACKAGE / lower)) or ""]
    assert all(RANK[_layer(m) or "errors"] <= own for _, m in _imports(PACKAGE / lower))


def test_architecture_checker_reports_upward_imports(tmp_path: Path):
    """The checker itself can fail: the store importing the CLI, and the UI importing the CLI, are reported."""
    (tmp_path / "toolkit" / "store").mkdir(parents=True)
    (tmp_path / "toolkit" / "ui").mkdir()
    (tmp_path / "toolkit" / "store" / "fake.py").write_text("import toolkit.errors\nfrom toolkit.cli.main import app\n")
    (tmp_path / "toolkit" / "ui" / "page.py").write_text(
        "from toolkit import cli\nfrom toolkit.analysis import plots\n"
    )
    assert _upward_imports(tmp_path) == [
        "toolkit/store/fake.py:2 (store) imports toolkit.cli.main (cli)",
        "toolkit/ui/page.py:1 (ui) imports toolkit.cli (cli)",
    ]


def test_architecture_toolkit_does_not_import_streamlit():
    # toolkit.store.migrations.env and the revision files are scripts that only Alembic runs.
    names = sorted(
        _module_name(path)
        for path in _library_files()
        if not _module_name(path).startswith(("toolkit.ui", "toolkit.store.migrations."))
    )
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "assert 'streamlit' not in sys.modules, 'streamlit imported by the library'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
