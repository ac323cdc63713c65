"""Codes that exclude each other (codebook ``excludes:``): parsed, stored, respected by the policy."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.coding.codebook import load_codebook
from toolkit.errors import CodebookError
from toolkit.io.codebook_yaml import parse_codebook
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.lemmas import SimpleLemmatizer
from toolkit.suggest.policy import DecisionPolicy
from toolkit.suggest.suggestions import build_prototypes, exclusion_pairs

from ..conftest import CODEBOOK

BOOK = """
codebook: {id: c, name: C, version: "1"}
codes:
  - id: contract.received
    definition: Got a copy.
  - id: contract.not_received
    definition: Signed, no copy.
    excludes: [contract.received]
  - id: contract.substituted
    definition: Another contract.
"""


def test_exclusions_parsed_and_unknown_code_refused_with_its_line():
    spec = parse_codebook(BOOK)
    assert {c.id: c.excludes for c in spec.codes}["contract.not_received"] == ("contract.received",)
    with pytest.raises(CodebookError, match=r"contract\.nothing"):
        parse_codebook(BOOK.replace("excludes: [contract.received]", "excludes: [contract.nothing]"))
    with pytest.raises(CodebookError, match="another code"):
        parse_codebook(BOOK.replace("excludes: [contract.received]", "excludes: [contract.not_received]"))


def test_exclusions_pairs_are_symmetric_and_deduplicated():
    ids = ["a", "b", "c"]
    assert exclusion_pairs(ids, [["b"], ["a", "c"], []]) == [(0, 1), (1, 2)]


def test_exclusions_policy_keeps_the_more_probable_of_a_pair_and_other_codes():
    policy = DecisionPolicy(["contract"] * 3, threshold=0.5, max_codes=3, excludes=[(0, 1)])
    probs = np.array([[0.52, 0.81, 0.7], [0.9, 0.6, 0.1], [0.9, 0.2, 0.8]])
    chosen = policy.decide(probs)
    assert chosen.tolist() == [[False, True, True], [True, False, False], [True, False, True]]
    without = DecisionPolicy(["contract"] * 3, threshold=0.5, max_codes=3).decide(probs)
    assert without[0].tolist() == [True, True, True]  # the same scores, no exclusion: both kept


def test_exclusions_stored_with_the_codebook_and_read_by_the_model(store):
    load_codebook(store, CODEBOOK)
    protos, _ = build_prototypes(store, HashingEmbedder(64), SimpleLemmatizer())
    named = {(protos.code_ids[a], protos.code_ids[b]) for a, b in protos.excludes}
    assert ("contract.not_received", "contract.received") in named
    assert ("contract.none", "contract.promised") in named
    assert not any(a.startswith("root_cause") or b.startswith("root_cause") for a, b in named)
