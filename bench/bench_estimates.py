"""Estimated findings (issue 13 item 9) against the truth: code 13 interviews, estimate the other 13.

Usage:
    python bench/bench_estimates.py [--splits 5] [--level 0.9]
    python bench/bench_estimates.py --transfer development   # the sample coded, another author's corpus estimated

The sample project is built once (gold coder = reference); for each random split, a copy keeps the gold
codings of 13 interviews and loses those of the other 13, and ``store_estimates`` (the default embedder,
the model fitted on the 13 coded interviews) estimates how many of the 13 uncoded interviews have each root
cause. The truth is the gold file. The first split is printed code by code; then, over all splits, how often
the interval held the true count, and the mean absolute error of the expected count.

``--transfer FOLDER`` (a corpus under ``sample_data/`` on which choices may be made, e.g. ``development``):
its transcripts are imported uncoded next to the 26 coded sample interviews, and every code's count among them
is estimated once, as for a project that codes one team's interviews and estimates another's (most of them are
unlike the coded ones, :mod:`toolkit.suggest.novelty`). Never run it on a held-out folder to choose anything.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select

from toolkit.analysis.estimates_store import RECALIBRATION_FOLDS, store_estimates
from toolkit.corpus.importer import import_files
from toolkit.store.engine import open_store
from toolkit.store.models import Coding, Document
from toolkit.studies.demo import build_demo
from toolkit.suggest.embed import default_model_cache, select_embedder
from toolkit.suggest.lemmas import select_lemmatizer
from toolkit.suggest.suggestions import build_prototypes, load_corpus

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "root_cause."


def truth_counts(uncoded: list[str], data: Path = ROOT / "sample_data") -> dict[str, int]:
    gold = [json.loads(line) for line in (data / "gold_codings.jsonl").open(encoding="utf-8") if line.strip()]
    counts: dict[str, set[str]] = {}
    for row in gold:
        if row["document"] in uncoded:
            for code in row["codes"]:
                counts.setdefault(code, set()).add(row["document"])
    return {code: len(docs) for code, docs in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--level", type=float, default=0.9)
    parser.add_argument(
        "--folds", type=int, default=RECALIBRATION_FOLDS, help="recalibration's groups of interviews (0: one each)"
    )
    parser.add_argument("--transfer", help="a corpus folder under sample_data/ to estimate, the sample coded")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_estimates_"))
    base = tmp / "sample.sqlite"
    build_demo(f"sqlite:///{base}")
    if args.transfer:
        transfer(base, ROOT / "sample_data" / args.transfer, args.level)
        return
    documents = sorted(p.stem for p in (ROOT / "sample_data" / "transcripts").iterdir() if p.is_file())
    store = open_store(f"sqlite:///{base}")
    t0 = time.perf_counter()
    lemmatizer = select_lemmatizer()
    embedder = select_embedder(cache_dir=default_model_cache(store.url))
    load_corpus(store, embedder, lemmatizer)  # fill the store's caches once, before it is copied
    build_prototypes(store, embedder, lemmatizer)
    store.close()
    with sqlite3.connect(base) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"{len(documents)} interviews; embeddings and lemmas cached in {time.perf_counter() - t0:.0f} s")
    summary: dict[bool, list[float]] = {False: [], True: []}
    inside_all: dict[bool, list[bool]] = {False: [], True: []}
    seconds: dict[bool, list[float]] = {False: [], True: []}
    for split in range(args.splits):
        rng = np.random.default_rng(split)
        uncoded = sorted(rng.choice(documents, size=len(documents) // 2, replace=False).tolist())
        copy = tmp / f"split{split}.sqlite"
        shutil.copy(base, copy)  # the caches travel with the store
        store = open_store(f"sqlite:///{copy}")
        with store.transaction(actor="bench") as tx:
            ids = select(Document.id).where(Document.name.in_(uncoded))
            tx.session.execute(delete(Coding).where(Coding.document_id.in_(ids)))
        truth = truth_counts(uncoded)
        for recalibrated in (False, True):
            t0 = time.perf_counter()
            result = store_estimates(
                store, level=args.level, recalibrated=recalibrated, recalibration_folds=args.folds or None
            )
            took = time.perf_counter() - t0
            seconds[recalibrated].append(took)
            assert result["uncoded"] == uncoded, (result["uncoded"], uncoded)
            table = result["estimates"]
            table = table[table["code"].str.startswith(PREFIX)]
            how = "recalibrated on the coded interviews" if recalibrated else "1 - prod(1 - p), as is"
            if split == 0:
                print(f"\nsplit 0, {how}: coded {len(result['coded'])} ({', '.join(result['coded'])})")
                print(f"         uncoded {len(uncoded)} ({', '.join(uncoded)}); estimates in {took:.0f} s")
                header = f"ESTIMATE for the {len(uncoded)}"
                print(f"  {'root cause':28} {'coded so far':>12} {header:>20} {'truth':>6} {'in':>4}")
            for row in table.itertuples(index=False):
                true = truth.get(row.code, 0)
                inside = row.low <= true <= row.high
                inside_all[recalibrated].append(inside)
                summary[recalibrated].append(row.expected - true)
                if split == 0:
                    estimate = f"{row.expected:5.1f} [{row.low}-{row.high}]"
                    calibrated = "" if row.calibrated else " (zero-shot)"
                    print(
                        f"  {row.code + calibrated:28} {f'{row.coded_with} of {row.coded}':>12} {estimate:>20} "
                        f"{true:>6} {'yes' if inside else 'NO':>4}"
                    )
            if split == 0:
                print(f"  code next: {result['next']}")
        store.close()
    folds = f"{args.folds} groups of interviews" if args.folds else "one fit per coded interview"
    print(f"\nover {args.splits} random half/half splits, root causes (recalibration: {folds}):")
    for recalibrated in (False, True):
        held, diffs = inside_all[recalibrated], np.asarray(summary[recalibrated])
        how = "recalibrated" if recalibrated else "as is       "
        print(
            f"  {how}: the {args.level:.0%} interval held the true count {sum(held)} of {len(held)} times "
            f"({np.mean(held):.0%}); mean |expected - truth| {np.abs(diffs).mean():.2f}, "
            f"mean expected - truth {diffs.mean():+.2f} interviews; {np.mean(seconds[recalibrated]):.0f} s per estimate"
        )


def transfer(base: Path, data: Path, level: float) -> None:
    """Every code's count among another corpus' interviews, imported uncoded next to the coded sample."""
    store = open_store(f"sqlite:///{base}")
    t0 = time.perf_counter()
    import_files(store, sorted((data / "transcripts").glob("*.txt")), actor="bench")
    print(f"{data.name}: imported uncoded next to the coded sample in {time.perf_counter() - t0:.0f} s")
    for recalibrated in (False, True):
        t0 = time.perf_counter()
        result = store_estimates(store, level=level, recalibrated=recalibrated)
        truth = truth_counts(result["uncoded"], data)
        how = "recalibrated on the coded interviews" if recalibrated else "1 - prod(1 - p), as is"
        print(
            f"\n{how}: {len(result['uncoded'])} uncoded, {len(result['unfamiliar'])} of them unlike the coded ones;"
            f" estimates in {time.perf_counter() - t0:.0f} s"
        )
        print(f"  {'code':28} {'ESTIMATE':>16} {'truth':>6} {'in':>4}")
        held, diffs = [], []
        for row in result["estimates"].itertuples(index=False):
            true = truth.get(row.code, 0)
            held.append(row.low <= true <= row.high)
            diffs.append(row.expected - true)
            estimate = f"{row.expected:5.1f} [{row.low}-{row.high}]"
            print(f"  {row.code:28} {estimate:>16} {true:>6} {'yes' if held[-1] else 'NO':>4}")
        diffs_arr = np.asarray(diffs)
        print(
            f"  the {level:.0%} interval held the true count {sum(held)} of {len(held)} times;"
            f" mean |expected - truth| {np.abs(diffs_arr).mean():.2f}, mean expected - truth {diffs_arr.mean():+.2f}"
        )
    store.close()


if __name__ == "__main__":
    main()
