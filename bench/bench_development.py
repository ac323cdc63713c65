"""The development corpus (``sample_data/development/``): the rare codes, with enough turns to choose on.

Usage:
    python bench/bench_development.py                      # builds the stores in a temporary folder
    python bench/bench_development.py --sample-db URL --development-db URL

On the sample and held-out corpora the rarest codes (``contract.vetted``, ``contract.substituted``, ...) have
3-7 turns each: one turn moves their F1 by 0.1-0.3, so no variant of the model can be chosen for them there.
The development corpus was written apart from both, with 10 or more turns of each rare code and near misses;
choices *may* be made on it (unlike ``heldout/``). Prints, per code, the codebook alone, the model trained on
the 26 sample interviews (and its reliability bins there), and leave-one-interview-out within the development
corpus, plain and nested (every setting chosen in the training folds; with its reliability bins, to see whether
the held-out corpus' nested miscalibration shows here); then the learning curve within it, with the codes whose
few-shot F1 falls below the codebook's on the same turns.
"""

from __future__ import annotations

import time

import numpy as np
from bench_suggest_v2 import curve_part, development_stores_from_args, line, load, reliability
from sklearn.base import clone

from toolkit.suggest.embed import select_embedder
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester
from toolkit.suggest.evaluate import classification_report, cross_validated_decision_inputs
from toolkit.suggest.lemmas import select_lemmatizer
from toolkit.suggest.selection import nested_predictions


def main() -> None:
    sample_url, dev_url, orders = development_stores_from_args("bench_dev_")
    embedder, lemmatizer = select_embedder(), select_lemmatizer()
    s_batch, s_gold, s_docs, protos = load(sample_url, embedder, lemmatizer)
    d_batch, d_gold, d_docs, d_protos = load(dev_url, embedder, lemmatizer)
    assert d_protos.code_ids == protos.code_ids
    codes = protos.code_ids
    print(f"development: {len(d_batch)} turns, {len(set(d_docs))} interviews; sample: {len(s_batch)} turns")
    base = CodeSuggester(protos)

    zero = clone(base).fit(d_batch, np.full(d_gold.shape, UNLABELLED, dtype=np.int8))
    reports = {"codebook alone": classification_report(d_gold == 1, zero.predict(d_batch), codes)}

    both = s_batch.concat(d_batch)
    labels = np.vstack([s_gold, np.full(d_gold.shape, UNLABELLED, dtype=np.int8)])
    rows = np.arange(len(s_batch), len(both))
    groups = [*s_docs, *d_docs]  # each turn's interview, as `qda suggest` passes it
    for name, model in (
        ("trained on the 26 sample interviews", base),
        ("the same, unfamiliar-interview rule off", clone(base).set_params(unfamiliar_veto=0.0)),
    ):
        fitted = clone(model).fit(both, labels, groups)
        probs, ranks = (scores[rows] for scores in fitted.predict_proba_and_ranks(both))
        decided = fitted.decide(probs, fitted.passage_counts(both)[rows], ranks)  # as `qda suggest` decides
        reports[name] = classification_report(d_gold == 1, decided, codes)
        if model is base:
            unfamiliar = fitted.unfamiliar_turns()[rows]
            transfer_probs = probs
        else:
            rule_off_probs = probs
    found = len(set(np.asarray(d_docs)[unfamiliar]))
    print(f"development interviews found unlike the coded sample ones: {found} of {len(set(d_docs))}")
    print("reliability of the model trained on the sample, on the development corpus (another author's interviews):")
    print("\n".join(reliability(transfer_probs.ravel(), (d_gold == 1).ravel())))
    raised = transfer_probs > rule_off_probs + 1e-9  # the codebook's suggestions the unfamiliar-interview rule kept
    if raised.any():
        shown, applied = transfer_probs[raised].mean(), (d_gold == 1)[raised].mean()
        print(
            f"  of which the rule raised a kept codebook suggestion to the share measured on the coded turns:"
            f" {int(raised.sum())} pairs, shown at {shown:.3f}, applied here {applied:.3f}"
        )

    t0 = time.perf_counter()
    probs, ranks, counts = cross_validated_decision_inputs(base, d_batch, d_gold, d_docs)
    every = clone(base)
    every.trained_ = np.ones(len(codes), dtype=bool)
    decided = every.decide(probs, counts, ranks)
    name = "leave-one-interview-out within the development corpus"
    reports[name] = classification_report(d_gold == 1, decided, codes)
    print(f"(leave-one-interview-out: {time.perf_counter() - t0:.0f} s)")
    t0 = time.perf_counter()
    nested_pred, nested_probs, _ = nested_predictions(base, d_batch, d_gold, d_docs)
    reports["nested leave-one-interview-out within the development corpus"] = classification_report(
        d_gold == 1, nested_pred, codes
    )
    print(f"reliability of the development corpus' own nested probabilities [{time.perf_counter() - t0:.0f} s]:")
    print("\n".join(reliability(nested_probs.ravel(), (d_gold == 1).ravel())) + "\n")

    for label, report in reports.items():
        print(line(label, report))
    columns = "codebook alone / trained on the sample / rule off / leave-one-interview-out / nested"
    print(f"\n  per code: F1 ({columns}), support")
    for code in codes:
        cells = " / ".join(f"{r['per_code'][code]['f1']:.2f}" for r in reports.values())
        print(f"    {code:28} {cells}   {reports['codebook alone']['per_code'][code]['support']}")
    curve_part((("default settings", base),), d_batch, d_gold, d_docs, orders, corpus="development")


if __name__ == "__main__":
    main()
