"""The documentation stays true to the code: the CLI reference is regenerated and compared, links resolve."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_cli_reference", DOCS / "generate_cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current() -> None:
    """Fails when a command, option or help text changed without `python docs/generate_cli_reference.py`.

    Typer renders option types (``<list[str]>``) differently across releases, so the comparison runs with the
    typer release the file was generated with (the project's environment); CI's lowest-versions run skips it.
    """
    committed = (DOCS / "cli.md").read_text(encoding="utf-8")
    generator = _generator()
    stamp = f"<!-- generated with typer {generator.typer_version()} -->"
    if not committed.startswith(stamp):
        pytest.skip(f"docs/cli.md was generated with another typer release ({committed.splitlines()[0]})")
    assert committed == generator.generate(), "docs/cli.md is out of date: run python docs/generate_cli_reference.py"


def test_cli_reference_lists_every_command() -> None:
    import typer

    from toolkit.cli.main import app

    root = typer.main.get_command(app)
    ctx = root.make_context("qda", [], resilient_parsing=True)
    text = _generator().generate()
    for name in root.list_commands(ctx):
        assert f"## `qda {name}`" in text


def test_relative_links_in_docs_and_readme_resolve() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken
