from __future__ import annotations

import re

import pytest

from toolkit.coding.codebook import list_codes, load_codebook
from toolkit.errors import CodebookError
from toolkit.io.codebook_yaml import parse_codebook

from ..conftest import CODEBOOK, FIXED_CODE_IDS, ROOT, in_ci

VALID = """\
codebook: {id: mini, name: Mini, version: "2"}
codes:
  - id: root_cause.family
    name: Family
    definition: Family obligations.
    colour: "#ff7f0e"
  - id: root_cause.family.debt
    parent: root_cause.family
    definition: Family debt.
"""


def test_codebook_fixed_ids_match_the_shared_spec_when_present():
    spec_file = ROOT.parent / "shared" / "codebook-spec.md"
    if not spec_file.exists():
        if in_ci():
            pytest.fail("CI lays shared/ beside the checkout; the fixed code ids cannot be checked without it")
        pytest.skip("shared/ is not beside this checkout")
    found = set(re.findall(r"`((?:root_cause|recruitment|contract)\.[a-z_]+)`", spec_file.read_text()))
    assert found == FIXED_CODE_IDS


def test_codebook_shipped_file_has_every_fixed_code_with_content():
    spec = parse_codebook(CODEBOOK)
    ids = {c.id for c in spec.codes}
    assert FIXED_CODE_IDS <= ids
    for code in spec.codes:
        assert code.definition and code.include and code.exclude and code.keywords
        assert 3 <= len(code.examples) <= 18, code.id


def test_codebook_valid_file_parses_with_group_and_parent():
    spec = parse_codebook(VALID, name="mini.yaml")
    assert [c.group for c in spec.codes] == ["root_cause", "root_cause"]
    assert spec.codes[1].parent == "root_cause.family"


@pytest.mark.parametrize(
    ("mutation", "line", "needle"),
    [
        (lambda t: t.replace("root_cause.family.debt", "root_cause.family"), 7, "duplicate id"),
        (lambda t: t.replace("parent: root_cause.family", "parent: root_cause.nope"), 7, "unknown parent"),
        (lambda t: t.replace("    definition: Family debt.\n", ""), 7, "missing definition"),
        (lambda t: t.replace('"#ff7f0e"', "blueish"), 6, "not a colour"),
        (lambda t: t.replace("codes:\n", "codes:\n  - [oops\n"), 4, "not valid YAML"),
    ],
)
def test_codebook_errors_name_file_line_and_problem(mutation, line, needle):
    with pytest.raises(CodebookError) as info:
        parse_codebook(mutation(VALID), name="mini.yaml")
    message = str(info.value)
    assert "mini.yaml" in message and needle in message
    assert info.value.line == line


def test_codebook_load_updates_in_place_and_refuses_foreign_ids(store, tmp_path):
    load_codebook(store, VALID, name="mini.yaml")
    load_codebook(store, VALID.replace("Family obligations.", "Family duties."), name="mini.yaml")
    codes = {c.id: c for c in list_codes(store)}
    assert codes["root_cause.family"].definition == "Family duties."
    other = VALID.replace("id: mini", "id: other")
    with pytest.raises(CodebookError, match="already defined by codebook 'mini'"):
        load_codebook(store, other, name="other.yaml")


@pytest.mark.parametrize(
    ("code", "needle", "line"),
    [
        # no dot: the whole id is the group, which the store holds to 100 characters (found by the fuzzer)
        ("  - id: " + "o" * 101 + "\n    definition: Long.\n", "group (the id's part before the first dot", 10),
        ("  - id: a." + "b" * 199 + "\n    definition: Long.\n", "id is 201 characters long", 10),
        ("  - id: a.b\n    name: " + "N" * 201 + "\n    definition: Long.\n", "name is 201 characters", 10),
    ],
)
def test_codebook_values_longer_than_the_store_holds_name_file_and_line(store, code, needle, line):
    load_codebook(store, VALID, name="mini.yaml")
    with pytest.raises(CodebookError) as info:
        load_codebook(store, VALID + code, name="long.yaml")
    assert "long.yaml" in str(info.value) and needle in str(info.value)
    assert info.value.line == line  # the code's first line (VALID is 9 lines long)
    assert "at most" in str(info.value)
    assert {c.id for c in list_codes(store)} == {"root_cause.family", "root_cause.family.debt"}  # nothing lost


def test_codebook_users_can_add_codebooks_with_new_codes(store):
    load_codebook(store, CODEBOOK)
    extra = """\
codebook: {id: extra, name: Extra}
codes:
  - id: exit.hotline
    definition: Left the situation after calling a hotline.
    parent: root_cause.awareness
"""
    load_codebook(store, extra, name="extra.yaml")
    assert "exit.hotline" in {c.id for c in list_codes(store)}


@pytest.mark.parametrize(
    ("text", "where", "line"),
    [
        ("codebook: {name: X}\ncodes:\n  - {id: a.b, definition: y}\n", "[codebook -> id] field required", 1),
        ("codebook: {id: cb, name: X}\ncodes: []\n", "[codes] must be a non-empty list", 2),
        ("codebook: {id: cb, name: X}\ncodes:\n  - just a text\n", "[codes -> 0] must be a mapping", 3),
        (
            "codebook: {id: cb, name: X}\ncodes:\n  - id: a.b\n    definition: y\n    examples: {english: [hi]}\n",
            "[codes -> 0 -> examples] 'english' is not a language code",
            5,
        ),
        (
            "codebook: {id: cb, name: X}\ncodes:\n  - {id: a.b, definition: y}\ngroups:\n  a: {max_per_segment: 0}\n",
            "[groups -> a -> max_per_segment]",
            5,
        ),
    ],
)
def test_codebook_validation_errors_give_the_path_and_the_line(text, where, line):
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, name="b.yaml")
    assert where in str(info.value) and info.value.line == line


def test_codebook_unknown_fields_warn_and_languages_split():
    text = (
        "codebook: {id: cb, name: X, version: 2}\ncodes:\n  - id: a.b\n    definition: y\n"
        "    examples: {en: [I had no choice], ru: [У меня не было выбора]}\n    flavour: sweet\n"
    )
    spec = parse_codebook(text, name="b.yaml")
    code = spec.codes[0]
    assert spec.version == "2" and code.examples == ("I had no choice",)
    assert code.translations == {"ru": {"examples": ("У меня не было выбора",)}}
    assert spec.warnings == ("b.yaml, line 3: unknown fields ignored: flavour",)
