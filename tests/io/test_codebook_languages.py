"""Codebook examples and keywords per language: {en: [...], ru: [...]}, backward compatible with plain lists."""

from __future__ import annotations

import pytest

from toolkit.errors import CodebookError
from toolkit.io.codebook_yaml import parse_codebook

from ..conftest import CODEBOOK

HEADER = "codebook: {id: mini, name: Mini, version: '1'}\ncodes:\n"


def one_code(body: str) -> str:
    return HEADER + "  - id: contract.none\n    name: No contract\n    definition: Nothing signed.\n" + body


def test_plain_lists_stay_english_with_no_translations():
    (code,) = parse_codebook(one_code("    examples: [Nothing was signed.]\n    keywords: [no papers]\n")).codes
    assert code.examples == ("Nothing was signed.",) and code.keywords == ("no papers",)
    assert code.translations == {}


def test_examples_and_keywords_per_language():
    body = (
        "    examples:\n      en: [Nothing was signed.]\n      ru: [Ничего не подписывали., Всё было на словах.]\n"
        "    keywords: {en: [no papers], be: [без папер]}\n"
    )
    (code,) = parse_codebook(one_code(body)).codes
    assert code.examples == ("Nothing was signed.",) and code.keywords == ("no papers",)
    assert code.translations == {
        "ru": {"examples": ("Ничего не подписывали.", "Всё было на словах.")},
        "be": {"keywords": ("без папер",)},
    }


def test_a_language_that_is_not_a_code_is_refused_with_its_line():
    body = "    examples:\n      russian language: [Ничего не подписывали.]\n"
    with pytest.raises(CodebookError, match=r"line 7.*not a language code"):
        parse_codebook(one_code(body), name="mini.yaml")


def test_the_shipped_codebook_has_russian_examples_and_keywords_for_every_code():
    spec = parse_codebook(CODEBOOK)
    for code in spec.codes:
        russian = code.translations["ru"]
        assert len(russian["examples"]) >= 3 and len(russian["keywords"]) >= 5, code.id
        assert all(any("а" <= c <= "я" for c in text.lower()) for text in russian["examples"]), code.id
        assert code.examples and code.keywords, code.id
