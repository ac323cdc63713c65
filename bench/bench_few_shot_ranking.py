"""Where a code with one to three coded turns loses to the codebook alone: in ranking its turns, or in deciding.

Usage:
    python bench/bench_few_shot_ranking.py                 # builds the stores in a temporary folder
    python bench/bench_few_shot_ranking.py --sample-db URL --development-db URL

Over the learning curve's orders (the same seed) after 2, 4 and 8 coded interviews, every code with 1-3 coded turns
whose uncoded interviews hold at least two of its turns is one case. Per case, the average precision and AUC on the
uncoded turns of: the codebook alone (its raw score), the model's probabilities, the code's classifier alone, and
the similarity of each turn to the coded turns holding the code (a nearest-neighbour few-shot scorer). Printed over
all cases, and over the cases where the model's F1 is below the codebook's. If the model ranks as well as the
codebook where its F1 is lower, the loss is in the decision (level and limits), not in the ranking. Development
sets only: never run on the held-out corpora.
"""

from __future__ import annotations

import numpy as np
from bench_suggest_v2 import development_stores_from_args, load
from sklearn.base import clone
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from toolkit.suggest.embed import select_embedder
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester
from toolkit.suggest.lemmas import select_lemmatizer

SIZES = (2, 4, 8)
FEW = (1, 3)  # coded turns holding the code


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def corpus_cases(url: str, embedder, lemmatizer, orders: int) -> dict[str, list[tuple[float, float]]]:
    """(average precision, AUC) per scorer, per case; keys ending in ``|below`` hold the cases the model loses."""
    batch, gold, docs, protos = load(url, embedder, lemmatizer)
    docs = np.asarray(docs)
    turns = unit(batch.turn_vecs)
    sentences = [unit(s) if len(s) else turns[i : i + 1] for i, s in enumerate(batch.sentence_vecs)]
    base = CodeSuggester(protos)
    codebook_pred = clone(base).fit(batch, np.full(gold.shape, UNLABELLED, dtype=gold.dtype)).predict(batch)
    rng = np.random.default_rng(0)  # the learning curve's seed and orders
    permutations = [list(rng.permutation(sorted(set(docs)))) for _ in range(orders)]
    cases: dict[str, list[tuple[float, float]]] = {}
    for n in SIZES:
        for order in permutations:
            train = np.isin(docs, order[:n])
            test = ~train
            labels = gold.copy()
            labels[~train] = UNLABELLED
            model = clone(base).fit(batch, labels, docs)
            probs, ranks = model.predict_proba_and_ranks(batch)
            pred = model.decide(probs, model.passage_counts(batch), ranks)  # predict(), without scoring twice
            for j in range(len(protos.code_ids)):
                coded = np.where(train & (gold[:, j] == 1))[0]
                truth = gold[test, j] == 1
                if not FEW[0] <= len(coded) <= FEW[1] or truth.sum() < 2 or truth.all():
                    continue
                held = np.vstack([sentences[i] for i in coded])
                scorers = {
                    "the codebook alone (raw)": model.zero_raw_[test, j],
                    "the model's probabilities": probs[test, j],
                    "the classifier alone": (
                        model.estimators_[j].predict_proba(model.X_[: model.n_rows_])[test, 1]
                        if model.trained_[j]
                        else np.zeros(int(test.sum()))
                    ),
                    "similarity to the coded turns (sentences)": np.array(
                        [float((sentences[i] @ held.T).max()) for i in np.where(test)[0]]
                    ),
                    "similarity to the coded turns (turns)": (turns[test] @ turns[coded].T).max(axis=1),
                }
                below = f1_score(truth, pred[test, j]) < f1_score(truth, codebook_pred[test, j]) - 1e-9
                for name, scores in scorers.items():
                    pair = (average_precision_score(truth, scores), roc_auc_score(truth, scores))
                    cases.setdefault(name, []).append(pair)
                    if below:
                        cases.setdefault(f"{name}|below", []).append(pair)
    return cases


def main() -> None:
    sample_url, dev_url, orders = development_stores_from_args("bench_rank_")
    embedder, lemmatizer = select_embedder(), select_lemmatizer()
    for corpus, url in (("sample", sample_url), ("development", dev_url)):
        cases = corpus_cases(url, embedder, lemmatizer, orders)
        names = [name for name in cases if not name.endswith("|below")]
        below = len(cases.get(f"{names[0]}|below", []))
        total = len(cases[names[0]])
        print(f"\n{corpus}: {total} cases with {FEW[0]}-{FEW[1]} coded turns, {below} where F1 < the codebook's")
        print(f"  {'scores':44} {'all: AP (AUC)':>16} {'below: AP (AUC)':>18}")
        for name in names:
            every = np.mean(cases[name], axis=0)
            lost = np.mean(cases.get(f"{name}|below", [(np.nan, np.nan)]), axis=0)
            print(f"  {name:44} {every[0]:8.3f} ({every[1]:.3f}) {lost[0]:9.3f} ({lost[1]:.3f})")


if __name__ == "__main__":
    main()
