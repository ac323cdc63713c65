"""Long answers, such as published statements after one generic question: scored whole, or passage by passage.

Usage:
    python bench/bench_passages.py                 # builds both stores in a temporary folder
    python bench/bench_passages.py --sample-db URL --heldout-db URL [--development-db URL]
    python bench/bench_passages.py --only development        # one corpus

A proxy for statement-like material, made from coded interviews: every ``W`` consecutive answers of an
interview (W = 3 and 6) become one answer after "Can you tell me about it?", coded with every code of its
parts. Scored zero-shot (a project of such answers only) and by a model trained on the other interviews'
turns with their questions (leave one interview out), with ``passage_sentences`` 0 (each answer as one
whole) and the default (4). The original turns, scored one by one with the generic question, are the
ceiling. The held-out corpus is measured once, after each choice was made on the sample and development corpora
(the development corpus' turns are shorter: two sentences at the median, against four in the sample).
"""

from __future__ import annotations

import argparse

import numpy as np
from bench_suggest_v2 import GENERIC_QUESTION, demo_stores, line, load, with_question
from sklearn.base import clone

from toolkit.suggest.data import SegmentBatch
from toolkit.suggest.embed import select_embedder
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester
from toolkit.suggest.evaluate import classification_report
from toolkit.suggest.lemmas import select_lemmatizer

CORPORA = {"sample": "sample corpus", "heldout": "held-out corpus", "development": "development corpus"}


def merged_answers(batch: SegmentBatch, gold: np.ndarray, docs: list[str], size: int, embedder, lemmatizer):
    """Every ``size`` consecutive answers of an interview as one answer after the generic question."""
    groups: list[np.ndarray] = []
    doc_arr = np.asarray(docs)
    for doc in dict.fromkeys(docs):
        rows = np.where(doc_arr == doc)[0]
        groups.extend(rows[start : start + size] for start in range(0, len(rows), size))
    texts = [" ".join(batch.texts[r] for r in group) for group in groups]
    question_vec = embedder.encode([GENERIC_QUESTION])[0]
    merged = SegmentBatch(
        texts=texts,
        questions=[GENERIC_QUESTION] * len(groups),
        turn_vecs=embedder.encode(texts).astype(batch.turn_vecs.dtype),
        question_vecs=np.tile(question_vec, (len(groups), 1)).astype(batch.question_vecs.dtype),
        sentence_vecs=[np.vstack([batch.sentence_vecs[r] for r in group]) for group in groups],
        sentence_texts=[[s for r in group for s in batch.sentence_texts[r]] for group in groups],
        lemmas=[" ".join(batch.lemmas[r] for r in group) for group in groups],
        question_lemmas=lemmatizer.lemmatize([GENERIC_QUESTION]) * len(groups),
        sentence_lemmas=[[s for r in group for s in (batch.sentence_lemmas or [])[r]] for group in groups],
    )
    labels = np.stack([(gold[group] == 1).any(axis=0) for group in groups]).astype(np.int8)
    return merged, labels, [docs[group[0]] for group in groups], groups


def run(name: str, batch, gold, docs, protos, embedder, lemmatizer) -> None:
    codes = protos.code_ids
    generic = with_question(batch, GENERIC_QUESTION, embedder, lemmatizer)
    for size in (3, 6):
        merged, labels, merged_docs, groups = merged_answers(batch, gold, docs, size, embedder, lemmatizer)
        print(
            f"\n== {name}: {size} answers merged -> {len(merged)} answers, "
            f"{labels.sum(axis=1).mean():.2f} codes each, {np.median([len(t.split()) for t in merged.texts]):.0f} words"
        )
        both = batch.concat(merged)
        doc_arr, merged_arr = np.asarray(docs), np.asarray(merged_docs)
        ceiling = np.zeros(labels.shape, dtype=bool)
        for passage_sentences in (0, 4):
            base = CodeSuggester(protos, passage_sentences=passage_sentences)
            unl = np.full(labels.shape, UNLABELLED, dtype=np.int8)
            zero = clone(base).fit(merged, unl).predict(merged)
            print(
                line(
                    f"zero-shot, passage_sentences={passage_sentences}", classification_report(labels == 1, zero, codes)
                )
            )
            pred = np.zeros(labels.shape, dtype=bool)
            for doc in sorted(set(docs)):
                train = np.vstack([gold, unl])
                train[np.where(doc_arr == doc)[0]] = UNLABELLED
                model = clone(base).fit(both, train, [*docs, *(f"merged {d}" for d in merged_docs)])
                rows = np.where(merged_arr == doc)[0]
                pred[rows] = model.predict(both)[len(batch) + rows]
                if passage_sentences == 0:  # the ceiling: the original turns, one by one, after the generic question
                    turns = model.predict(generic.subset(np.where(doc_arr == doc)[0]))
                    turn_rows = {r: k for k, r in enumerate(np.where(doc_arr == doc)[0])}
                    for i in rows:
                        ceiling[i] = turns[[turn_rows[r] for r in groups[i]]].any(axis=0)
            report = classification_report(labels == 1, pred, codes)
            print(line(f"trained on the other interviews, passage_sentences={passage_sentences}", report))
        print(line("ceiling: the original turns one by one", classification_report(labels == 1, ceiling, codes)))


def store_url(corpus: str, given: str | None) -> str:
    """The store given for a corpus, or a demo store built from ``sample_data/`` in a temporary folder."""
    if given:
        return given
    if corpus == "sample":
        return demo_stores(None, None, "bench_passages_", heldout=False)[0]
    return demo_stores("not built", None, "bench_passages_", second=corpus)[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample-db")
    parser.add_argument("--heldout-db")
    parser.add_argument("--development-db")
    parser.add_argument("--only", choices=CORPORA, action="append", help="these corpora only (default: all three)")
    args = parser.parse_args()
    wanted = args.only or list(CORPORA)
    given = {"sample": args.sample_db, "heldout": args.heldout_db, "development": args.development_db}
    urls = {corpus: store_url(corpus, given[corpus]) for corpus in wanted}
    embedder, lemmatizer = select_embedder(), select_lemmatizer()
    for corpus in wanted:
        name, url = CORPORA[corpus], urls[corpus]
        batch, gold, docs, protos = load(url, embedder, lemmatizer)
        run(name, batch, gold, docs, protos, embedder, lemmatizer)


if __name__ == "__main__":
    main()
