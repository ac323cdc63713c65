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


def test_codebook_page_examples_are_valid_codebooks() -> None:
    """The annotated example of docs/codebook.md loads as written (beside the study codebook it refers to).

    Each ```yaml block is parsed: the full example as a codebook, a fragment of code fields spliced into it.
    """
    from toolkit.io.codebook_yaml import parse_codebook

    text = (DOCS / "codebook.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks, "docs/codebook.md has no yaml example"
    full = blocks[0]
    known = frozenset({"root_cause.awareness"})
    spec = parse_codebook(full.encode("utf-8"), name="docs/codebook.md", known_ids=known)
    assert [code.id for code in spec.codes] == ["support.help_sought"]
    for fragment in blocks[1:]:
        examples, keywords = fragment.split("    keywords:")
        spliced = re.sub(r"    examples:.*?(?=    keywords:)", lambda _: examples, full, flags=re.S)
        keywords = "    keywords:" + keywords
        spliced = re.sub(r"    keywords:.*?\n(?=    excludes:)", lambda _: keywords, spliced, flags=re.S)
        spec = parse_codebook(spliced.encode("utf-8"), name="docs/codebook.md", known_ids=known)
        code = spec.codes[0]
        assert code.examples and code.keywords, "the fragment's English examples and keywords were not read"
        assert code.translations["ru"]["examples"] and code.translations["ru"]["keywords"]
