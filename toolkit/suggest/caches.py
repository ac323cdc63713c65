"""Embeddings and lemmas cached in the store, keyed by model and text hash.

Only text never seen by that model is computed; a re-run over an unchanged corpus reads everything
back from the store. New cache rows are written in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import select

from toolkit.store.engine import Store
from toolkit.store.models import EmbeddingCache, LemmaCache
from toolkit.suggest.embed import Embedder
from toolkit.suggest.lemmas import Lemmatizer

__all__ = ["cached_embeddings", "cached_lemmas", "embedder_key", "text_hash"]

_LOOKUP_CHUNK = 500


def text_hash(text: str) -> str:
    """sha256 of the UTF-8 text: the cache key."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embedder_key(embedder: Embedder) -> str:
    """Model name and version: vectors of different models never mix."""
    return f"{embedder.name}@{embedder.version}"


def _lookup(store: Store, table: type, key_column: str, key: str, hashes: list[str]) -> dict[str, object]:
    found: dict[str, object] = {}
    with store.read() as session:
        for start in range(0, len(hashes), _LOOKUP_CHUNK):
            chunk = hashes[start : start + _LOOKUP_CHUNK]
            rows = session.scalars(select(table).where(getattr(table, key_column) == key, table.text_sha256.in_(chunk)))
            for row in rows:
                found[row.text_sha256] = row
    return found


def cached_embeddings(
    store: Store,
    embedder: Embedder,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (row-aligned) and how many had to be computed.

    ``on_progress(done, total)`` is called after each chunk of new texts is embedded (a dashboard's bar).
    """
    key = embedder_key(embedder)
    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    found = _lookup(store, EmbeddingCache, "model_name", key, unique)
    vectors: dict[str, np.ndarray] = {
        h: np.frombuffer(row.vector, dtype=np.float32).reshape(row.dim) for h, row in found.items()
    }
    missing = [h for h in unique if h not in vectors]
    if missing:
        first_text = {h: t for h, t in zip(hashes, texts, strict=True)}
        # Longest first over the whole list, not only within a chunk: batches of like lengths pad least.
        missing.sort(key=lambda h: -len(first_text[h]))
        todo = [first_text[h] for h in missing]
        if on_progress is None:
            computed = embedder.encode(todo, batch_size=batch_size, progress=progress)
        else:
            chunk, parts = max(batch_size * 4, 1), []
            for start in range(0, len(todo), chunk):
                parts.append(np.asarray(embedder.encode(todo[start : start + chunk], batch_size=batch_size)))
                on_progress(min(start + chunk, len(todo)), len(todo))
            computed = np.vstack(parts)
        with store.transaction(actor="embedder") as tx:
            for h, vec in zip(missing, computed, strict=True):
                vec = np.asarray(vec, dtype=np.float32)
                vectors[h] = vec
                tx.session.add(EmbeddingCache(model_name=key, text_sha256=h, dim=vec.shape[0], vector=vec.tobytes()))
    if not texts:
        return np.zeros((0, 1), dtype=np.float32), 0
    return np.stack([vectors[h] for h in hashes]), len(missing)


def cached_lemmas(store: Store, lemmatizer: Lemmatizer, texts: Sequence[str]) -> list[str]:
    """Lemma strings for ``texts``; spaCy runs only on text it has not seen."""
    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    found = _lookup(store, LemmaCache, "pipeline", lemmatizer.name, unique)
    lemmas: dict[str, str] = {h: row.lemmas for h, row in found.items()}
    missing = [h for h in unique if h not in lemmas]
    if missing:
        first_text = {h: t for h, t in zip(hashes, texts, strict=True)}
        computed = lemmatizer.lemmatize([first_text[h] for h in missing])
        with store.transaction(actor="lemmatizer") as tx:
            for h, value in zip(missing, computed, strict=True):
                lemmas[h] = value
                tx.session.add(LemmaCache(pipeline=lemmatizer.name, text_sha256=h, lemmas=value))
    return [lemmas[h] for h in hashes]
