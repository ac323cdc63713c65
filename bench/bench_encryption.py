"""What SQLCipher costs: import the sample transcripts and read them back, plain store vs encrypted store.

Run: ``python bench/bench_encryption.py`` (needs the ``encryption`` extra). Both variants run in the same
process, alternating, so the ratio holds on a loaded machine even when the seconds do not.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.analysis.status import project_status  # noqa: E402
from toolkit.coding.codings import coding_rows  # noqa: E402
from toolkit.corpus.importer import import_files  # noqa: E402
from toolkit.store.engine import create_store  # noqa: E402


def run(folder: Path, key: str | None, files: list[Path], nlp) -> tuple[float, float, int]:
    path = folder / ("secret.sqlite" if key else "plain.sqlite")
    store = create_store(f"sqlite:///{path}", key=key or "")
    start = time.perf_counter()
    import_files(store, files, nlp=nlp, deid=False)
    written = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(5):
        project_status(store)
        coding_rows(store)
    read = time.perf_counter() - start
    store.close()
    size = path.stat().st_size
    path.unlink()
    return written, read, size


def main() -> None:
    files = sorted((ROOT / "sample_data" / "transcripts").glob("*.txt"))
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    results: dict[str, list[tuple[float, float, int]]] = {"plain": [], "encrypted": []}
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), None, files, nlp)  # warm-up: spaCy and the first imports are slower
        for round_ in range(6):  # alternate which goes first
            order = ["plain", "encrypted"] if round_ % 2 == 0 else ["encrypted", "plain"]
            for name in order:
                results[name].append(run(Path(tmp), "bench key" if name == "encrypted" else None, files, nlp))
    print(f"{len(files)} transcripts, 6 rounds, median (import s, 5x status+codings read s, file bytes)")
    medians = {}
    for name, rows in results.items():
        medians[name] = [statistics.median(r[i] for r in rows) for i in range(3)]
        print(f"{name:>9}: import {medians[name][0]:.3f} s, read {medians[name][1]:.3f} s, {int(medians[name][2])} B")
    p, e = medians["plain"], medians["encrypted"]
    print(f"encrypted/plain: import x{e[0] / p[0]:.2f}, read x{e[1] / p[1]:.2f}, size x{e[2] / p[2]:.2f}")


if __name__ == "__main__":
    main()
