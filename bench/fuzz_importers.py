"""Fuzz each importer with many hostile inputs through the CLI and print what happened (issue 9, item 27).

Usage: python bench/fuzz_importers.py [--examples 1000] [--importers transcript codebook ...]
Each importer runs in its own subprocess under ``RLIMIT_AS`` (--memory-mb) with a per-input alarm
(--seconds), using the strategies and caps of ``tests/io/test_fuzz_import.py``. Counts: refused cleanly
(exit 2, one line naming the file, store unchanged), imported (exit 0), unclean refusal, traceback, over
time, over memory; plus the slowest input and the peak RSS of the worker.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("refused", "imported", "unclean", "traceback", "time", "memory")


class _OverTime(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise _OverTime


def worker(importer: str, examples: int, seconds: int, memory_mb: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, memory_mb * 1024 * 1024))
    import spacy
    from hypothesis import HealthCheck, given, settings

    import toolkit.corpus.segment as segment
    from tests.io import hostile
    from tests.io.fuzz_harness import FuzzStore, Outcome

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    segment.load_sentence_pipeline = lambda model=None: nlp
    for dotted, value in hostile.FUZZ_CAPS.items():
        module, name = dotted.rsplit(".", 1)
        setattr(importlib.import_module(module), name, value)
    counts: collections.Counter[str] = collections.Counter()
    slowest = [0.0]
    samples: dict[str, str] = {}
    signal.signal(signal.SIGALRM, _alarm)
    strategy = {
        "transcript": hostile.transcript_inputs(),
        "codebook": hostile.codebook_inputs().map(lambda d: (".yaml", d)),
        "attributes": hostile.attributes_inputs().map(lambda d: (".csv", d)),
        "codings": hostile.codings_inputs(),
    }[importer]
    with tempfile.TemporaryDirectory() as tmp:
        store = FuzzStore(Path(tmp))

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=["generate"],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: tuple[str, bytes]) -> None:
            signal.alarm(seconds)
            started = time.perf_counter()
            try:
                outcome = store.run(importer, *case)
            except _OverTime:
                outcome = Outcome("time", time.perf_counter() - started, repr(case[1][:200]))
            except MemoryError:
                outcome = Outcome("memory", time.perf_counter() - started, repr(case[1][:200]))
            finally:
                signal.alarm(0)
            counts[outcome.kind] += 1
            slowest[0] = max(slowest[0], outcome.seconds)
            if outcome.kind not in ("refused", "imported") and outcome.kind not in samples:
                samples[outcome.kind] = f"{outcome.detail[-600:]}\n  input: {case[1][:120]!r}"

        run()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"importer": importer, "counts": dict(counts), "slowest": slowest[0], "peak_mb": peak, "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--importers", nargs="*", default=["transcript", "codebook", "attributes", "codings"])
    parser.add_argument("--seconds", type=int, default=30, help="per input")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit of each worker")
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.examples, args.seconds, args.memory_mb)))
        return
    header = f"{'importer':<11} {'inputs':>6} " + " ".join(f"{k:>9}" for k in KINDS) + "  slowest s  peak MB"
    print(header)
    for importer in args.importers:
        started = time.perf_counter()
        command = [sys.executable, __file__, "--worker", importer, "--examples", str(args.examples)]
        command += ["--seconds", str(args.seconds), "--memory-mb", str(args.memory_mb)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        if done.returncode != 0:
            print(f"{importer:<11} worker failed (exit {done.returncode}): {done.stderr[-800:]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        counts = row["counts"]
        total = sum(counts.values())
        cells = " ".join(f"{counts.get(k, 0):>9}" for k in KINDS)
        print(
            f"{importer:<11} {total:>6} {cells}  {row['slowest']:>9.2f}  {row['peak_mb']:>7.0f}"
            f"   ({time.perf_counter() - started:.0f} s)"
        )
        for kind, sample in row["samples"].items():
            print(f"    first {kind}: {sample}")


if __name__ == "__main__":
    main()
