"""How the sentence-transformers model runs (ONNX or torch fp32): chosen by setting, kept apart in the cache."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.config import Settings
from toolkit.errors import ConfigError
from toolkit.suggest import embed_onnx
from toolkit.suggest.caches import cached_embeddings, embedder_key
from toolkit.suggest.embed import SentenceTransformerEmbedder, default_model_cache, select_embedder

SENTENCES = [
    "My uncle said there was work in a factory in the city.",
    "We never saw the contract, I had nothing in my hands.",
    "Yes.",
    "They took our passports at the airport and said we owed them for the tickets and the room.",
]


def test_embed_precision_setting_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("QDA_EMBED_PRECISION", "FP32")
    assert Settings().embed_precision == "fp32"
    assert SentenceTransformerEmbedder().precision == "fp32"
    monkeypatch.setenv("QDA_EMBED_PRECISION", "half")
    with pytest.raises(ConfigError, match="QDA_EMBED_PRECISION"):
        Settings()


def test_embed_precision_auto_is_onnx_when_onnxruntime_is_installed(monkeypatch):
    monkeypatch.delenv("QDA_EMBED_PRECISION", raising=False)
    monkeypatch.setattr(embed_onnx, "onnx_available", lambda: True)
    assert SentenceTransformerEmbedder().precision == "onnx"
    monkeypatch.setattr(embed_onnx, "onnx_available", lambda: False)
    assert SentenceTransformerEmbedder().precision == "fp32"
    with pytest.raises(ConfigError, match="onnxruntime"):
        SentenceTransformerEmbedder(precision="onnx")


def test_embed_precision_configured_variant_is_the_one_that_runs(monkeypatch, tmp_path):
    calls: list[str] = []

    def fake_onnx(self, texts, *, batch_size=64):
        calls.append("onnx")
        return np.ones((len(texts), 384), dtype=np.float32)

    def no_torch(self):
        raise AssertionError("the torch model was loaded for the onnx variant")

    monkeypatch.setattr(embed_onnx.OnnxSentenceEncoder, "encode", fake_onnx)
    monkeypatch.setattr(SentenceTransformerEmbedder, "_load", no_torch)
    embedder = select_embedder(precision="onnx", cache_dir=tmp_path)
    assert embedder.encode(["one", "two"]).shape == (2, 384)
    assert calls == ["onnx"]
    assert embedder._onnx.graph_path.parent.parent == tmp_path


def test_embed_precision_cache_keys_differ_and_vectors_never_mix(monkeypatch, store):
    fp32 = SentenceTransformerEmbedder(precision="fp32")
    onnx = SentenceTransformerEmbedder(precision="onnx")
    assert embedder_key(fp32) != embedder_key(onnx)
    assert embedder_key(fp32).endswith(fp32.version) and "+onnx" in embedder_key(onnx)

    def constant(value):
        return lambda self, texts, **kw: np.full((len(texts), 4), value, dtype=np.float32)

    monkeypatch.setattr(SentenceTransformerEmbedder, "encode", constant(0.5))
    first, computed = cached_embeddings(store, fp32, SENTENCES)
    assert computed == len(SENTENCES)
    monkeypatch.setattr(SentenceTransformerEmbedder, "encode", constant(-0.5))
    second, computed = cached_embeddings(store, onnx, SENTENCES)
    assert computed == len(SENTENCES), "the onnx variant read vectors cached by the fp32 one"
    assert (first == 0.5).all() and (second == -0.5).all()
    again, computed = cached_embeddings(store, fp32, SENTENCES)
    assert computed == 0 and (again == 0.5).all()


def test_embed_precision_export_cache_sits_next_to_an_sqlite_store(monkeypatch, tmp_path):
    monkeypatch.delenv("QDA_MODEL_CACHE", raising=False)
    assert default_model_cache(f"sqlite:///{tmp_path / 'study.sqlite'}") == tmp_path.resolve() / ".qda-models"
    assert default_model_cache("postgresql+psycopg://u@h/db").name == "survivor-qda"
    monkeypatch.setenv("QDA_MODEL_CACHE", str(tmp_path / "models"))
    assert default_model_cache(f"sqlite:///{tmp_path / 'study.sqlite'}") == tmp_path / "models"


def test_cached_embeddings_rows_stay_aligned_when_sorted_by_length(store):
    from toolkit.suggest.embed import HashingEmbedder

    texts = ["a b", "a much longer text than the others here", "mid length text", "a b"]
    hashing = HashingEmbedder()
    vectors, computed = cached_embeddings(store, hashing, texts, on_progress=lambda done, total: None, batch_size=1)
    assert computed == 3
    np.testing.assert_allclose(vectors, hashing.encode(texts))


@pytest.mark.model
def test_embed_precision_onnx_matches_fp32_on_sentences(tmp_path):
    if not embed_onnx.onnx_available():
        pytest.skip("onnxruntime is not installed (pip install survivor-qda[fast])")
    fp32 = SentenceTransformerEmbedder(precision="fp32").encode(SENTENCES)
    onnx = SentenceTransformerEmbedder(precision="onnx", cache_dir=tmp_path)
    vectors = onnx.encode(SENTENCES, batch_size=2)
    assert onnx._onnx.exported and onnx._onnx.graph_path.is_file()
    cosine = np.sum(fp32 * vectors, axis=1)
    assert cosine.min() >= 0.99, cosine
    reused = SentenceTransformerEmbedder(precision="onnx", cache_dir=tmp_path)
    np.testing.assert_allclose(reused.encode(SENTENCES), vectors, atol=1e-5)
    assert not reused._onnx.exported, "a second embedder exported the graph again instead of reusing it"


def test_embed_precision_unwritable_export_folder_names_the_fix(tmp_path):
    if not embed_onnx.onnx_available():
        pytest.skip("onnxruntime is not installed")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    encoder = embed_onnx.OnnxSentenceEncoder(SentenceTransformerEmbedder(precision="fp32")._path, blocker, "0" * 16)
    with pytest.raises(ConfigError, match="QDA_MODEL_CACHE"):
        encoder.encode(["x"])
