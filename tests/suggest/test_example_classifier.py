"""The codebook-example classifier separates codes that share words, and abstains where it cannot learn."""

from __future__ import annotations

import numpy as np

from toolkit.suggest.data import CodebookPrototypes
from toolkit.suggest.evidence import code_evidence
from toolkit.suggest.example_classifier import example_classifier, example_classifier_scores

from .test_suggest import EMB, make_batch

FAMILY = ["I had to feed my children.", "My mother needed money for her medicine.", "My wife and sons waited at home."]
ECONOMIC = ["There was no money at all.", "We had debts and no salary.", "The factory closed and paid nothing."]


def prototypes(examples: list[list[str]]) -> CodebookPrototypes:
    ids = [f"code.{j}" for j in range(len(examples))]
    return CodebookPrototypes(
        code_ids=ids,
        groups=["root_cause"] * len(ids),
        example_texts=examples,
        example_vecs=[EMB.encode(e) if e else np.zeros((0, 128), dtype=np.float32) for e in examples],
        definition_vecs=EMB.encode(ids),
        keyword_lemmas=[[] for _ in ids],
    )


def test_a_turn_scores_highest_for_the_code_whose_examples_it_repeats() -> None:
    protos = prototypes([FAMILY, ECONOMIC])
    batch = make_batch(
        [("", "My wife and sons waited at home. It was cold.", set()), ("", "We had debts and no salary.", set())]
    )
    scores = example_classifier_scores(batch, protos)
    assert scores.shape == (2, 2)
    assert scores[0, 0] > scores[0, 1]
    assert scores[1, 1] > scores[1, 0]


def test_the_turn_score_is_its_best_sentence() -> None:
    protos = prototypes([FAMILY, ECONOMIC])
    alone = make_batch([("", "We had debts and no salary.", set())])
    padded = make_batch([("", "It was cold. We had debts and no salary.", set())])
    assert np.isclose(example_classifier_scores(padded, protos)[0, 1], example_classifier_scores(alone, protos)[0, 1])


def test_a_code_without_examples_and_a_one_code_codebook_give_no_evidence() -> None:
    weights, biases = example_classifier(prototypes([FAMILY, ECONOMIC, []]))
    assert not weights[2].any() and biases[2] == 0.0
    assert weights[0].any() and weights[1].any()
    weights, biases = example_classifier(prototypes([FAMILY]))
    assert not weights.any() and not biases.any()


def test_it_is_a_zero_shot_source() -> None:
    protos = prototypes([FAMILY, ECONOMIC])
    evidence = code_evidence(make_batch([("Who was at home?", "My wife and sons waited at home.", set())]), protos)
    assert evidence.zero_shot_raw().shape == (1, 4 * 2)
    assert np.array_equal(evidence.zero_shot_raw()[:, 6:], evidence.example_classifier)
