"""Fuzz every importer through the CLI (issue 9, item 27): exit 0, or exit 2 with one line naming the file
and the store byte for byte unchanged; never a traceback, and each input in bounded time.

Caps are set small (``FUZZ_CAPS``) so that inputs past them are cheap to generate. The normal suite runs
``FUZZ_EXAMPLES`` inputs per importer; ``bench/fuzz_importers.py`` runs 1,000+ and prints the counts.
"""

from __future__ import annotations

import importlib
import os

import pytest
from hypothesis import HealthCheck, given, settings

import toolkit.corpus.segment as segment

from .fuzz_harness import FuzzStore
from .hostile import FUZZ_CAPS, attributes_inputs, codebook_inputs, codings_inputs, transcript_inputs

FUZZ_EXAMPLES = int(os.environ.get("QDA_FUZZ_EXAMPLES", "150"))
SECONDS_PER_INPUT = 10.0
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory, blank_nlp):
    patcher = pytest.MonkeyPatch()
    patcher.setattr(segment, "load_sentence_pipeline", lambda model=None: blank_nlp)
    for dotted, value in FUZZ_CAPS.items():
        module, name = dotted.rsplit(".", 1)
        patcher.setattr(importlib.import_module(module), name, value)
    yield FuzzStore(tmp_path_factory.mktemp("fuzz"))
    patcher.undo()


def check(store: FuzzStore, importer: str, suffix: str, data: bytes) -> None:
    outcome = store.run(importer, suffix, data)
    assert outcome.kind in ("imported", "refused"), (outcome.kind, outcome.detail, data[:200])
    assert outcome.seconds < SECONDS_PER_INPUT, (outcome.seconds, data[:200])


@FUZZ_SETTINGS
@given(case=transcript_inputs())
def test_fuzz_transcript_import(fuzz_store, case):
    check(fuzz_store, "transcript", *case)


@FUZZ_SETTINGS
@given(data=codebook_inputs())
def test_fuzz_codebook_load(fuzz_store, data):
    check(fuzz_store, "codebook", ".yaml", data)


@FUZZ_SETTINGS
@given(data=attributes_inputs())
def test_fuzz_attributes_import(fuzz_store, data):
    check(fuzz_store, "attributes", ".csv", data)


@FUZZ_SETTINGS
@given(case=codings_inputs())
def test_fuzz_codings_import(fuzz_store, case):
    check(fuzz_store, "codings", *case)
