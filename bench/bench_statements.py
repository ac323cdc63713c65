"""Published-statement-like texts (``sample_data/statements_dev/``): the issue's worst figure, on data of that kind.

Usage:
    python bench/bench_statements.py                 # builds the sample store in a temporary folder
    python bench/bench_statements.py --sample-db URL # a built sample store (it is copied, not changed)
    python bench/bench_statements.py --question "Can you tell me about it?"  # each after a generic prompt
    python bench/bench_statements.py --statements sample_data/statements_dev/sparse.jsonl  # the sparse set

The first model, trained on coded interviews and applied to 150 real published survivor statements (one
answer each, no interviewer), reached precision 0.83 and recall 0.14. ``bench_passages.py`` approximates such
texts by merging interview answers, whose topics come in turn-sized blocks; real statements are denser (one
sentence may carry three codes). The statements here were written for testing from the codebook spec and
the report alone (40 texts, 6-12 sentences, 5 codes each; 15 dense, 15 medium, 10 loose; labels per statement).
Each is imported as ``qda import --statement`` does (one respondent turn, no question) into a copy of the
sample store and scored by a model trained on the 26 coded sample interviews, as ``qda suggest`` would; then
zero-shot, as a project of statements alone. A development set: choices may be made on it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_suggest_v2 import demo_stores, line, reliability

from toolkit.corpus.importer import import_files
from toolkit.io.transcripts import RoleOverrides
from toolkit.store.engine import open_store
from toolkit.suggest.embed import select_embedder
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester
from toolkit.suggest.lemmas import select_lemmatizer
from toolkit.suggest.report import classification_report
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

ROOT = Path(__file__).resolve().parents[1]
STATEMENTS = ROOT / "sample_data" / "statements_dev" / "statements.jsonl"


def sqlite_copy(url: str, folder: Path) -> str:
    """A copy of a SQLite store (the sample store stays as it was)."""
    source = Path(url.removeprefix("sqlite:///"))
    target = folder / "with_statements.sqlite"
    shutil.copy(source, target)
    return f"sqlite:///{target}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample-db", help="a built sample store (sqlite:///...); copied, never changed")
    parser.add_argument(
        "--statements",
        type=Path,
        default=STATEMENTS,
        help="a JSONL file of statements (id, density, text, codes); default: the 40 of statements.jsonl",
    )
    parser.add_argument(
        "--question",
        default="",
        help="import each statement as a transcript, one answer after this interviewer question "
        "(as the issue's published statements came), instead of as a statement (no question)",
    )
    args = parser.parse_args()
    sample_url = args.sample_db or demo_stores(None, None, "bench_statements_", heldout=False)[0]
    folder = Path(tempfile.mkdtemp(prefix="bench_statements_"))
    url = sqlite_copy(sample_url, folder)
    rows = [json.loads(text) for text in args.statements.read_text(encoding="utf-8").splitlines() if text.strip()]
    files = []
    for row in rows:
        path = folder / f"{row['id']}.txt"
        text = f"Interviewer: {args.question}\n\nRespondent: {row['text']}" if args.question else row["text"]
        path.write_text(text + "\n", encoding="utf-8")
        files.append(path)
    store = open_store(url)
    t0 = time.perf_counter()
    import_files(store, files, overrides=RoleOverrides(statement=not args.question), deid=False)
    embedder, lemmatizer = select_embedder(), select_lemmatizer()
    corpus = load_corpus(store, embedder, lemmatizer)
    protos, _ = build_prototypes(store, embedder, lemmatizer)
    codes = protos.code_ids
    labels = label_matrix(store, corpus, codes, coders=["gold"])
    store.close()
    statement_rows = np.array([corpus.documents.index(row["id"]) for row in rows])
    truth = np.zeros((len(rows), len(codes)), dtype=bool)
    for k, row in enumerate(rows):
        truth[k, [codes.index(code) for code in row["codes"]]] = True
    density = np.array([row["density"] for row in rows])
    sentences = [len(corpus.batch.sentence_texts[i]) for i in statement_rows]
    print(
        f"{len(rows)} statements ({', '.join(f'{d} {int((density == d).sum())}' for d in dict.fromkeys(density))}),"
        f" {np.median(sentences):.0f} sentences and {truth.sum(axis=1).mean():.1f} codes each at the median / mean;"
        f" imported and embedded in {time.perf_counter() - t0:.0f} s"
        + (f"; each after the question {args.question!r}" if args.question else "")
    )

    def report(name: str, pred: np.ndarray) -> None:
        print(line(name, classification_report(truth, pred, codes)))
        for d in dict.fromkeys(density):
            print(line(f"  {d}", classification_report(truth[density == d], pred[density == d], codes)))

    model = CodeSuggester(protos).fit(corpus.batch, labels, corpus.documents)
    print(f"\ntrained on the 26 coded sample interviews (passages of {model.passage_sentences_now()} sentences)")
    report("statements", model.predict(corpus.batch)[statement_rows])
    print("  reliability (statement x code pairs; bins with n >= 20 should be within 0.1):")
    print("\n".join(reliability(model.predict_proba(corpus.batch)[statement_rows].ravel(), truth.ravel())))
    windows = CodeSuggester(protos, statement_sentences=False).fit(corpus.batch, labels, corpus.documents)
    report("statements, passages only (not sentence by sentence)", windows.predict(corpus.batch)[statement_rows])
    whole = CodeSuggester(protos, passage_sentences=0).fit(corpus.batch, labels, corpus.documents)
    report("statements, each read whole (no passages)", whole.predict(corpus.batch)[statement_rows])
    alone = corpus.batch.subset(statement_rows)
    zero = CodeSuggester(protos).fit(alone, np.full((len(rows), len(codes)), UNLABELLED, dtype=np.int8))
    print("\nzero-shot: a project of these statements alone, nothing coded")
    report("statements", zero.predict(alone))
    unlabelled = np.full((len(rows), len(codes)), UNLABELLED, dtype=np.int8)
    zero_windows = CodeSuggester(protos, statement_sentences=False).fit(alone, unlabelled)
    report("statements, passages only", zero_windows.predict(alone))
    print("\nper code, trained on the sample: F1 / support")
    per_code = classification_report(truth, model.predict(corpus.batch)[statement_rows], codes)["per_code"]
    for code in codes:
        print(f"    {code:28} {per_code[code]['f1']:.2f} / {per_code[code]['support']}")


if __name__ == "__main__":
    main()
