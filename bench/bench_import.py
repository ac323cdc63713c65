"""Import and segment the sample corpus into a fresh store and print words per second.

Usage: python bench/bench_import.py [--repeat 3]
The target (issue: foundation) is the ~25,000-word sample corpus in under 10 s on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from toolkit.corpus.importer import import_files, prepare_transcripts
from toolkit.corpus.segment import load_sentence_pipeline
from toolkit.io.transcripts import read_transcript
from toolkit.store.engine import create_store

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted((ROOT / "sample_data" / "transcripts").iterdir())
    words = sum(len(read_transcript(f).text.split()) for f in files)
    t0 = time.perf_counter()
    load_sentence_pipeline()
    load_s = time.perf_counter() - t0
    print(f"corpus: {len(files)} files, {words:,} words; spaCy pipeline load {load_s:.2f} s")
    for run in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory() as tmp:
            store = create_store(f"sqlite:///{tmp}/bench.sqlite")
            t0 = time.perf_counter()
            prepare_transcripts(files)
            t_segment = time.perf_counter() - t0
            t1 = time.perf_counter()
            report = import_files(store, files)
            t_total = time.perf_counter() - t1
            store.close()
        print(
            f"run {run}: read+segment {t_segment:.2f} s ({words / t_segment:,.0f} words/s); "
            f"full import into SQLite {t_total:.2f} s ({words / t_total:,.0f} words/s), {report.segments} segments"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
