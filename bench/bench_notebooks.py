"""Wall and CPU time of running each notebook top to bottom with nbclient, as the test suite does.

    python bench/bench_notebooks.py            # every notebook in notebooks/
    python bench/bench_notebooks.py 02         # the notebooks whose name starts with 02
    python bench/bench_notebooks.py --save /tmp/executed   # also keep the executed notebooks (outside git)

Prints one line per notebook; the kernel's CPU time is not included in the CPU column (it is another
process), so wall time is the figure to compare, with the machine's load average printed beside it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts with one of these")
    parser.add_argument("--save", type=Path, help="write the executed notebooks here (never into notebooks/)")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    os.environ["HF_HUB_OFFLINE"] = "1"
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.prefixes:
        paths = [p for p in paths if p.name.startswith(tuple(args.prefixes))]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        NotebookClient(
            notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        wall = time.perf_counter() - start
        cells = sum(c.cell_type == "code" for c in notebook.cells)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, args.save / path.name)
        print(f"{path.name}: {wall:.1f} s wall, {cells} code cells, load average at start {load:.1f}")


if __name__ == "__main__":
    main()
