"""Negation and contrast count against a code whose examples all affirm it (sentences built for it)."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.suggest.data import CodebookPrototypes
from toolkit.suggest.evidence import code_evidence, is_negated

from .test_suggest import EMB, make_batch

RECEIVED = ["I signed and they gave me my copy; I still have it.", "I kept my copy in my bag the whole time."]
NOT_RECEIVED = ["We signed the contracts. They wouldn't give them to us.", "The foreman never gave the copy back."]


def prototypes(
    code: str = "contract.received",
    examples: list[str] = RECEIVED,
    definition: str = "Signed and received own copy.",
    keywords: tuple[str, ...] = ("copy",),
) -> CodebookPrototypes:
    """``code`` beside ``contract.not_received``, whose examples are said with a negation."""
    return CodebookPrototypes(
        code_ids=[code, "contract.not_received"],
        groups=["contract", "contract"],
        example_texts=[examples, NOT_RECEIVED],
        example_vecs=[EMB.encode(examples), EMB.encode(NOT_RECEIVED)],
        definition_vecs=EMB.encode([definition, "Signed, copy never received."]),
        keyword_lemmas=[list(keywords), ["copy"]],
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


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        ("No. I did not check anything.", True),
        ("Nope, never.", True),
        ("Not really. I trusted him.", True),
        ("Нет, ничего я не проверял.", True),
        ("Now I know how to check a firm.", False),
        ("I did, in my own way: I called two men who had worked there.", False),
    ],
)
def test_an_answer_that_opens_with_no(answer, refusal):
    from toolkit.suggest.evidence import opens_with_refusal

    assert opens_with_refusal(answer) is refusal


VETTED = ["I checked the firm in the register before leaving.", "I called the hotline about the company."]


def test_a_no_to_the_question_about_a_code_holds_its_codebook_score_under_the_cut():
    """ "Did you check the employer?" "No. I did not check, I did not call the hotline." is not a check."""
    from dataclasses import replace

    from toolkit.suggest.zero_shot import ZeroShotScorer

    protos = prototypes(
        "contract.vetted", VETTED, "Checked the employer or the firm before leaving.", ("check", "hotline")
    )
    asked = "Did you check the firm or the employer before leaving?"
    turns = [
        (asked, "No. I did not check the firm, I did not call the hotline.", set()),
        (asked, "I checked the firm in the register and called the hotline.", set()),
        ("Did you get your copy?", "No. The foreman never gave the copy back.", set()),
        *[("How was the work?", f"Long days on the site, week {n}, and the food was poor.", set()) for n in range(8)],
    ]
    evidence = code_evidence(make_batch(turns), protos)
    vetted, not_received = 0, 1
    assert list(evidence.affirmative) == [True, False]  # checking affirms; a copy not received is said with a "no"
    assert list(evidence.denied[:3]) == [True, False, True]
    scorer = ZeroShotScorer().fit(evidence)
    held = scorer.predict_proba(evidence)
    unheld = scorer.predict_proba(replace(evidence, denied=np.zeros_like(evidence.denied)))
    cap = 1.0 / (1.0 + np.exp(scorer.slope))  # z - 1: at most 0.12
    assert unheld[0, vetted] > 0.5 >= cap >= held[0, vetted]  # the question, "check" and "hotline" would suggest it
    assert held[1, vetted] == unheld[1, vetted]  # a check that happened is untouched
    assert held[2, not_received] == unheld[2, not_received]  # a "no" is this code's own answer
