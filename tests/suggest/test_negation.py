"""Negation and contrast count against a code whose examples all affirm it (sentences built for it)."""

from __future__ import annotations

import pytest

from toolkit.suggest.data import CodebookPrototypes
from toolkit.suggest.evidence import code_evidence, is_negated

from .test_suggest import EMB, make_batch

RECEIVED = ["I signed and they gave me my copy; I still have it.", "I kept my copy in my bag the whole time."]
NOT_RECEIVED = ["We signed the contracts. They wouldn't give them to us.", "The foreman never gave the copy back."]


def prototypes() -> CodebookPrototypes:
    ids = ["contract.received", "contract.not_received"]
    return CodebookPrototypes(
        code_ids=ids,
        groups=["contract", "contract"],
        example_texts=[RECEIVED, NOT_RECEIVED],
        example_vecs=[EMB.encode(RECEIVED), EMB.encode(NOT_RECEIVED)],
        definition_vecs=EMB.encode(["Signed and received own copy.", "Signed, copy never received."]),
        keyword_lemmas=[["copy"], ["copy"]],
    )


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("The copy, we never saw it.", True),
        ("I had nothing in my hands.", True),
        ("They didn't give it back.", True),
        ("It was not a paper I could keep.", True),
        ("I kept my copy.", False),
        ("I noticed the copy on the table.", False),
    ],
)
def test_negation_detected_in_built_sentences(text, negated):
    assert is_negated(text) is negated


def test_negated_sentence_does_not_match_affirmative_examples_but_matches_negated_ones():
    turns = [
        ("Did you get your copy?", "The copy, we never saw it. I had nothing in my hands.", set()),
        ("Did you get your copy?", "I kept my copy of the contract.", set()),
    ]
    evidence = code_evidence(make_batch(turns), prototypes())
    received, not_received = 0, 1
    assert evidence.proto_sent[0, received] > 0  # plain similarity is fooled by "copy"
    assert evidence.proto_sent_polar[0, received] == -1.0  # no affirmative sentence to compare: no evidence
    assert evidence.proto_sent_polar[0, not_received] > 0
    assert evidence.proto_sent_polar[1, received] > 0  # the affirmative turn keeps its evidence


@pytest.mark.parametrize(
    ("lemmas", "marked"),
    [
        ("i sign nothing .", "i NOT_sign nothing"),  # the verb before an object negation is negated
        ("we check nothing , we trust he .", "we NOT_check nothing we trust he"),
        ("i sign the contract .", "i sign the contract"),
        ("nobody check it .", "nobody NOT_check NOT_it"),
        ("not a single paper , nothing .", "not NOT_a NOT_single NOT_paper nothing"),  # no word just before
    ],
)
def test_negation_marks_the_verb_before_nothing(lemmas, marked):
    from toolkit.suggest.lemmas import _mark_negation

    assert _mark_negation([(lemma, lemma in {".", ","}) for lemma in lemmas.split()]) == marked
