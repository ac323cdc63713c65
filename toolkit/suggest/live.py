"""The suggestion model kept alive in one process, refit after each review decision (the dashboard's queue).

``suggest`` stores probabilities once; while a reviewer works, each decision teaches the model something.
:class:`LiveModel` fits once, then each decision refits only the code it touched (``refit_codes``, tens of
milliseconds on the sample corpus) and rescores the turns, so the queue can be reordered at once. Nothing is
written to the store: the stored suggestions stay as ``suggest`` made them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from toolkit.store.engine import Store
from toolkit.suggest.embed import Embedder, default_model_cache, select_embedder
from toolkit.suggest.estimator import CodeSuggester, SuggestConfig
from toolkit.suggest.lemmas import Lemmatizer, select_lemmatizer
from toolkit.suggest.suggestions import build_prototypes, label_matrix, load_corpus

__all__ = ["LiveModel", "decision_labels"]


def decision_labels(decision: str, code: str, new_code: str | None = None) -> list[tuple[str, int]]:
    """What a review decision says about the turn: (code, 1 coded / 0 not coded) pairs."""
    if decision == "reject":
        return [(code, 0)]
    if decision == "change" and new_code:
        return [(code, 0), (new_code, 1)]
    return [(code, 1)]


class LiveModel:
    """A fitted :class:`CodeSuggester` over the whole store, with its current probabilities."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder | str | None = None,
        lemmatizer: Lemmatizer | str | None = None,
        config: SuggestConfig | None = None,
    ) -> None:
        embedder = select_embedder(embedder, cache_dir=default_model_cache(store.url))
        lemmatizer = select_lemmatizer(lemmatizer)
        self.corpus = load_corpus(store, embedder, lemmatizer)
        self.prototypes, _ = build_prototypes(store, embedder, lemmatizer)
        labels = label_matrix(store, self.corpus, self.prototypes.code_ids)
        self.model = CodeSuggester.from_config(self.prototypes, config).fit(
            self.corpus.batch, labels, self.corpus.documents
        )
        self.row_of = {s: i for i, s in enumerate(self.corpus.segment_ids)}
        self.col_of = {c: j for j, c in enumerate(self.prototypes.code_ids)}
        self.probs = self.model.predict_proba(self.corpus.batch)
        self.decisions = 0

    def record(self, segment_id: int, labels: Sequence[tuple[str, int]]) -> None:
        """Learn one decision on a turn: refit the codes it names and rescore every turn."""
        row = self.row_of.get(segment_id)
        updates = [(row, self.col_of[code], int(value)) for code, value in labels if code in self.col_of]
        if row is None or not updates:
            return
        self.model.refit_codes(updates)
        self.probs = self.model.predict_proba(self.corpus.batch)
        self.decisions += 1

    def probability(self, segment_id: int, code: str) -> float | None:
        """The current probability of ``code`` on the turn (None for a turn or code the model does not know)."""
        row, col = self.row_of.get(segment_id), self.col_of.get(code)
        return None if row is None or col is None else float(self.probs[row, col])

    def reorder(self, queue: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue rows with the current probabilities, the most uncertain (closest to 0.5) first."""
        rows = []
        for item in queue:
            live = self.probability(item["segment_id"], item["code"])
            rows.append({**item, "probability": round(live, 4)} if live is not None else dict(item))
        rows.sort(key=lambda r: (abs(r["probability"] - 0.5), r["document"], r["position"]))
        return rows

    @property
    def n_codes(self) -> int:
        """How many codes the model scores."""
        return int(np.asarray(self.probs).shape[1])
