"""The notebooks run top to bottom on the sample corpus, and none is committed with outputs.

A notebook's outputs can hold transcript text, so a committed notebook must have none (and no execution
counts, which show it was run): real transcripts must never reach git through a notebook.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_are_there() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_reproduce_the_snapshot.ipynb",
        "02_suggestions_and_agreement.ipynb",
        "03_your_own_study.ipynb",
    ]


def output_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Cells that show the notebook was run: outputs (which can hold transcript text) or execution counts."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {index} has outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index} has an execution count")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_no_outputs(path: Path) -> None:
    problems = output_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name}: {'; '.join(problems)}: clear all outputs before committing"


def test_an_executed_notebook_is_refused() -> None:
    cell = nbformat.v4.new_code_cell("print('Respondent: ...')", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Respondent: ...\n")]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"), cell])
    assert output_problems(notebook) == ["cell 1 has outputs", "cell 1 has an execution count"]


@pytest.mark.model
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in ``notebooks/`` as Jupyter does; any error in any cell fails (nbclient raises CellExecutionError)."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    client = NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
