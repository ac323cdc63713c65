"""Measure the suggestion engine on the sample corpus and print every number in one run.

Usage:
    python bench/bench_suggest.py                 # accuracy, calibration, speed, memory on the sample corpus
    python bench/bench_suggest.py --scale 10      # the cost part also on a generated corpus 10x larger
    python bench/bench_suggest.py --scale 100     # ... 100x larger (2,600 interviews; takes long on 2 cores)

Accuracy is leave-one-interview-out against the gold coder; baselines run in the same process on the same
folds: a keyword baseline, TF-IDF + logistic regression, cosine to definitions, and logistic regression on
turn embeddings alone.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from toolkit.store.engine import open_store
from toolkit.studies.demo import build_demo
from toolkit.suggest.caches import cached_embeddings
from toolkit.suggest.embed import select_embedder
from toolkit.suggest.estimator import CodeSuggester, SuggestConfig
from toolkit.suggest.evaluate import classification_report, cross_validated_probabilities
from toolkit.suggest.lemmas import keyword_hits, select_lemmatizer
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

ROOT = Path(__file__).resolve().parent.parent


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def lodo(labels: np.ndarray, docs: list[str], fit_predict) -> np.ndarray:
    docs_arr = np.asarray(docs)
    probs = np.zeros(labels.shape)
    for doc in dict.fromkeys(docs):
        held = docs_arr == doc
        probs[held] = fit_predict(np.where(~held)[0], np.where(held)[0])
    return probs


def ovr_logreg(X, Y, tr, te) -> np.ndarray:
    out = np.zeros((len(te), Y.shape[1]))
    for j in range(Y.shape[1]):
        if Y[tr, j].sum() < 2:
            continue
        clf = LogisticRegression(C=5.0, class_weight="balanced", max_iter=3000).fit(X[tr], Y[tr, j])
        out[:, j] = clf.predict_proba(X[te])[:, 1]
    return out


def line(name: str, report: dict) -> str:
    return f"  {name:44} micro-F1 {report['micro_f1']:.3f}  macro-F1 {report['macro_f1']:.3f}"


def accuracy_part(db_url: str) -> None:
    store = open_store(db_url)
    embedder, lemmatizer = select_embedder(), select_lemmatizer()
    corpus = load_corpus(store, embedder, lemmatizer)
    protos, _ = build_prototypes(store, embedder, lemmatizer)
    gold = label_matrix(store, corpus, protos.code_ids, coders=["gold"])
    truth = gold == 1
    codes = protos.code_ids
    print(f"\n== accuracy: {len(truth)} respondent turns, {len(codes)} codes, leave-one-interview-out, gold coder")

    keyword_pred = np.array(
        [[bool(keyword_hits(lem, protos.keyword_lemmas[j])) for j in range(len(codes))] for lem in corpus.batch.lemmas]
    )
    print(line("baseline: codebook keywords in the turn", classification_report(truth, keyword_pred, codes)))

    cos = corpus.batch.turn_vecs @ protos.definition_vecs.T
    best = max(
        (classification_report(truth, cos >= t, codes) for t in np.arange(0.15, 0.5, 0.05)),
        key=lambda r: r["micro_f1"],
    )
    print(line("baseline: cosine to definitions (best thr.)", best))

    def tfidf_fit_predict(tr, te):
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit([corpus.batch.texts[i] for i in tr])
        X = vec.transform(corpus.batch.texts)
        return ovr_logreg(X, truth.astype(int), tr, te)

    tfidf = lodo(gold, corpus.documents, tfidf_fit_predict)
    print(line("baseline: TF-IDF + logistic regression", classification_report(truth, tfidf >= 0.5, codes)))
    emb = lodo(gold, corpus.documents, lambda tr, te: ovr_logreg(corpus.batch.turn_vecs, truth.astype(int), tr, te))
    print(line("baseline: logistic regression on embeddings", classification_report(truth, emb >= 0.5, codes)))

    model = CodeSuggester.from_config(protos, SuggestConfig())
    zero = CodeSuggester(protos).fit(corpus.batch, np.full(gold.shape, -1, dtype=np.int8))
    print(
        line("survivor-qda zero-shot (codebook only)", classification_report(truth, zero.predict(corpus.batch), codes))
    )
    t0 = time.perf_counter()
    probs = cross_validated_probabilities(model, corpus.batch, gold, corpus.documents)
    cv_seconds = time.perf_counter() - t0
    ours = classification_report(truth, model.decide(probs), codes)
    print(line("survivor-qda few-shot (cross-validated)", ours) + f"   [{cv_seconds:.1f} s for 26 folds]")
    print("  threshold sensitivity:")
    for threshold in (0.4, 0.45, 0.5, 0.55, 0.6):
        tuned = clone(model).set_params(threshold=threshold)
        tuned.trained_ = np.ones(len(codes), dtype=bool)
        report = classification_report(truth, tuned.decide(probs), codes)
        print(f"    threshold {threshold:.2f}: micro-F1 {report['micro_f1']:.3f} macro-F1 {report['macro_f1']:.3f}")
    print("  per code (cross-validated): precision recall F1 kappa support")
    for code, m in ours["per_code"].items():
        print(f"    {code:28} {m['precision']:.2f} {m['recall']:.2f} {m['f1']:.2f} {m['kappa']:.2f} {m['support']:4d}")
    print("  reliability of held-out probabilities (bin: n, observed share coded):")
    for low in np.arange(0.0, 1.0, 0.1):
        in_bin = (probs >= low) & (probs < low + 0.1)
        if in_bin.sum():
            print(f"    [{low:.1f}, {low + 0.1:.1f}): n={int(in_bin.sum()):5d} observed={truth[in_bin].mean():.3f}")

    print("\n== learning loop")
    fitted = CodeSuggester(protos).fit(corpus.batch, gold)
    timings = []
    for k in range(10):
        row, j = k * 7 % len(truth), k % len(codes)
        t0 = time.perf_counter()
        fitted.refit_codes([(row, j, 1 - int(truth[row, j]))])
        timings.append(time.perf_counter() - t0)
    print(
        f"  refit after one review decision: median {np.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms"
    )
    t0 = time.perf_counter()
    CodeSuggester(protos).fit(corpus.batch, gold)
    print(f"  full fit on {len(truth)} turns: {time.perf_counter() - t0:.2f} s")
    store.close()


def warm_suggest_part(db_url: str) -> None:
    """``suggest`` in a process that has already run it once (the dashboard's case: imports paid once).

    The dashboard itself calls no refit after a review decision; the next ``suggest`` is the refit.
    """
    from toolkit.suggest.suggestions import suggest

    store = open_store(db_url)
    embedder, lemmatizer = select_embedder(), select_lemmatizer()
    suggest(store, embedder=embedder, lemmatizer=lemmatizer)
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        report = suggest(store, embedder=embedder, lemmatizer=lemmatizer)
        timings.append(time.perf_counter() - t0)
    print(
        f"\n== suggest() in a warm process (load, fit, score, explain, store): median {np.median(timings):.2f} s, "
        f"max {max(timings):.2f} s ({report.suggestions} suggestions)"
    )
    store.close()


def throughput_part(db_url: str) -> None:
    """Our cached, batched embedding path against a bare SentenceTransformer.encode over the same texts."""
    store = open_store(db_url)
    embedder = select_embedder()
    corpus = load_corpus(store, embedder, select_lemmatizer())
    texts = [t for group in corpus.batch.sentence_texts for t in group] + corpus.batch.texts
    texts = list(dict.fromkeys(texts))
    from sentence_transformers import SentenceTransformer

    from toolkit.config import resolve_model_path

    bare = SentenceTransformer(str(resolve_model_path(embedder.model)), device="cpu")
    bare.encode(texts[:64])
    embedder.encode(texts[:64])
    t0 = time.perf_counter()
    bare.encode(texts, batch_size=64)
    bare_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        from toolkit.store.engine import create_store

        fresh = create_store(f"sqlite:///{tmp}/emb.sqlite")
        t0 = time.perf_counter()
        cached_embeddings(fresh, embedder, texts)
        ours_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached_embeddings(fresh, embedder, texts)
        hit_s = time.perf_counter() - t0
        fresh.close()
    print(f"\n== embedding throughput over {len(texts)} distinct texts (turns and sentences)")
    print(f"  bare SentenceTransformer.encode: {len(texts) / bare_s:,.0f} texts/s")
    print(
        f"  survivor-qda (embed + store in cache): {len(texts) / ours_s:,.0f} texts/s "
        f"= {bare_s / ours_s * 100:.0f} % of bare; cache hit pass {hit_s:.2f} s"
    )
    store.close()


def cli_part(db_url: str) -> None:
    env = {**os.environ, "QDA_DB": db_url}
    qda = [sys.executable, "-m", "toolkit.cli.main"]
    subprocess.run([*qda, "suggest"], env=env, check=True, capture_output=True)  # warm the caches
    t0 = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *qda, "suggest"], env=env, check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    peak = int(result.stderr.strip().splitlines()[-1]) / 1024
    print(f"\n== qda suggest over the sample corpus, embeddings cached: {seconds:.2f} s wall, peak {peak:.0f} MB")
    print(f"  {result.stdout.strip()}")


def generate_corpus(target: Path, scale: int, seed: int = 0) -> None:
    """Interviews made by recombining the sample's turns and sentences: same style, all texts distinct.

    Half of them get gold codings: each answer keeps the codes of the sample turn it was made from.
    """
    import json

    from sqlalchemy import select

    from toolkit.store.engine import open_store as _open
    from toolkit.store.models import Coder, Coding, Document

    source_db = target / "source.sqlite"
    build_demo(f"sqlite:///{source_db}")
    store = _open(f"sqlite:///{source_db}")
    source = target / "transcripts"
    source.mkdir(parents=True)
    with store.read() as session:
        docs = list(session.scalars(select(Document).order_by(Document.name)))
        gold: dict[int, list[str]] = {}
        coded = select(Coding.segment_id, Coding.code_id).join(Coder, Coding.coder_id == Coder.id)
        for segment_id, code in session.execute(coded.where(Coder.name == "gold")):
            gold.setdefault(segment_id, []).append(code)
        pairs = []
        for d in docs:
            question = ""
            for s in d.segments:
                if s.role == "interviewer":
                    question = s.text
                elif s.role == "respondent":
                    pairs.append((question, s.text, gold.get(s.id, [])))
    store.close()
    rng = random.Random(seed)
    n = 0
    gold_rows = []
    for copy in range(scale):
        for d_index in range(len(docs)):
            n += 1
            lines = [f"SYNTHETIC GENERATED INTERVIEW G{n:05d} (recombined for benchmarks)", ""]
            for _ in range(16):
                question, answer, codes = rng.choice(pairs)
                sentences = [s for s in answer.replace("\n", " ").split(". ") if s]
                rng.shuffle(sentences)
                reply = f"{'. '.join(sentences)} ({copy}-{d_index})"
                lines += [f"Interviewer: {question}", "", f"Respondent: {reply}", ""]
                if n % 2:
                    gold_rows.append({"document": f"G{n:05d}", "quote": reply, "codes": codes})
            (source / f"G{n:05d}.txt").write_text("\n".join(lines), encoding="utf-8")
    (target / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in gold_rows), encoding="utf-8")


def scale_part(scale: int, embedder_name: str | None = None) -> None:
    from toolkit.coding.codebook import load_codebook
    from toolkit.coding.codings import import_codings
    from toolkit.corpus.importer import import_files
    from toolkit.store.engine import create_store
    from toolkit.suggest.suggestions import suggest

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        generate_corpus(tmp_path, scale)
        files = sorted((tmp_path / "transcripts").iterdir())
        store = create_store(f"sqlite:///{tmp_path / 'big.sqlite'}")
        t0 = time.perf_counter()
        import_files(store, files)
        t_import = time.perf_counter() - t0
        load_codebook(store, ROOT / "codebook" / "tip_root_causes.yaml")
        import_codings(store, tmp_path / "gold.jsonl", coder="gold", new_coder=True)
        t0 = time.perf_counter()
        embedder = select_embedder(embedder_name)
        report = suggest(store, embedder=embedder)
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        suggest(store, embedder=embedder)
        t_cached = time.perf_counter() - t0
        store.close()
    print(
        f"\n== generated corpus x{scale} ({embedder.name}): {len(files)} interviews, "
        f"{report.segments_scored} respondent turns, {report.labelled_segments} of them labelled\n"
        f"  import {t_import:.1f} s; first suggest (embedding {report.newly_embedded} texts) {t_first:.1f} s; "
        f"suggest with cache {t_cached:.1f} s; peak memory {peak_mb():.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=0, help="also measure cost on a generated corpus N x larger")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--scale-only", action="store_true", help="only the generated-corpus part")
    parser.add_argument(
        "--scale-embedder", default=None, help="embedder for the scale part: default model, or 'hashing'"
    )
    args = parser.parse_args()
    if args.scale_only:
        scale_part(args.scale, args.scale_embedder)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.sqlite"
        t0 = time.perf_counter()
        build_demo(db_url)
        print(f"demo store built in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        store = open_store(db_url)
        load_corpus(store, select_embedder(), select_lemmatizer())
        store.close()
        print(f"first embedding + lemmas of the corpus: {time.perf_counter() - t0:.1f} s")
        if not args.skip_accuracy:
            accuracy_part(db_url)
        throughput_part(db_url)
        warm_suggest_part(db_url)
        cli_part(db_url)
    print(f"\npeak memory of this process so far: {peak_mb():.0f} MB")
    if args.scale:
        scale_part(args.scale, args.scale_embedder)


if __name__ == "__main__":
    main()
