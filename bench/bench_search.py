"""Full-text search: word forms found (vs. exact words and SQLite FTS5's porter stemmer) and time per search.

Usage: PYTHONPATH=. python bench/bench_search.py [--scale 20]
Builds the sample corpus with a blank spaCy sentencizer (segmentation does not matter here), then:
1. recall of word forms: turns found by survivor-qda's Snowball stems, by an exact whole-word match, and by
   an SQLite FTS5 table with the ``porter unicode61`` tokenizer, for English and Russian words;
2. time of the first search (stems every turn and caches them) and of later searches (cache read), on the
   sample corpus and on ``--scale`` copies of it.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import spacy

from toolkit.analysis.search import search
from toolkit.analysis.wordforms import StemNormaliser
from toolkit.corpus.importer import import_files
from toolkit.io.transcripts import Transcript, read_transcript
from toolkit.store.engine import create_store

ROOT = Path(__file__).resolve().parent.parent
RUSSIAN = [
    "Interviewer: Где был ваш паспорт?",
    "Respondent: Они забрали наши паспорта в первый день.",
    "Respondent: С паспортом можно было уехать, без паспорта нельзя.",
    "Respondent: Нам обещали договор, но договора никто не видел.",
    "Respondent: Я подписала договоры на русском языке.",
]
QUERIES = ["passport", "contract", "promised", "паспорт", "договор"]


def nlp():
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    return pipeline


def build(path: Path, copies: int) -> tuple[object, list[str]]:
    files = sorted((ROOT / "sample_data" / "transcripts").iterdir())
    sources: list[Path | Transcript] = []
    russian = path.parent / "R01.txt"
    russian.write_text("\n\n".join(RUSSIAN) + "\n", encoding="utf-8")
    for copy in range(copies):
        for f in [*files, russian]:
            transcript = read_transcript(f)
            sources.append(replace(transcript, name=f"{transcript.name}-{copy}") if copies > 1 else transcript)
    store = create_store(f"sqlite:///{path}")
    import_files(store, sources, nlp=nlp())
    with store.read() as session:
        from sqlalchemy import select

        from toolkit.store.models import Segment

        texts = list(session.scalars(select(Segment.text)))
    return store, texts


def fts5_counts(texts: list[str]) -> dict[str, int]:
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table t using fts5(body, tokenize='porter unicode61')")
    conn.executemany("insert into t(body) values (?)", [(t,) for t in texts])
    return {q: conn.execute("select count(*) from t where t match ?", (q,)).fetchone()[0] for q in QUERIES}


def exact_counts(texts: list[str]) -> dict[str, int]:
    return {q: sum(1 for t in texts if re.search(rf"(?<!\w){q}(?!\w)", t, re.IGNORECASE)) for q in QUERIES}


def timed(store, query: str, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        search(store, query)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store, texts = build(Path(tmp) / "one.sqlite", 1)
        ours = {q: len(search(store, q)) for q in QUERIES}
        exact, fts = exact_counts(texts), fts5_counts(texts)
        print(f"sample corpus + 1 synthetic Russian interview: {len(texts)} turns")
        print(f"{'query':<10} {'survivor-qda':>12} {'exact word':>11} {'FTS5 porter':>12}")
        for q in QUERIES:
            print(f"{q:<10} {ours[q]:>12} {exact[q]:>11} {fts[q]:>12}")
        store.close()
        for copies in (1, args.scale):
            store, texts = build(Path(tmp) / f"scale{copies}.sqlite", copies)
            t0 = time.perf_counter()
            search(store, "passport")
            first = time.perf_counter() - t0
            later = timed(store, "contract", args.repeat)
            t0 = time.perf_counter()
            StemNormaliser().lemmatize(texts)
            stemming = time.perf_counter() - t0
            print(
                f"{copies:>3}x corpus, {len(texts):>6} turns: first search {first:.2f} s (stems and caches each "
                f"distinct text; copies share theirs); later searches median {statistics.median(later):.3f} s; "
                f"stemming every turn without the cache {stemming:.2f} s"
            )
            store.close()


if __name__ == "__main__":
    main()
