"""Hostile codebooks, attribute tables and codings files: clear errors naming the file and line."""

from __future__ import annotations

import pytest

import toolkit.io.codebook_yaml as codebook_yaml
import toolkit.io.tables as tables
from toolkit.corpus.attributes import read_attribute_table
from toolkit.errors import CodebookError, InputFileError
from toolkit.io.codebook_yaml import parse_codebook
from toolkit.io.tables import read_rows

GOOD_CODEBOOK = """codebook: {id: cb, name: Test, version: "1"}
codes:
  - id: root_cause.economic
    name: Economic
    definition: Money problems.
"""


def rows(data: bytes, name: str) -> list:
    _display, iterator = read_rows(data, name)
    return list(iterator)


# --- JSONL / CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"document": "S01", "segment": Infinity, "codes": ["x"]}', "Infinity is not a JSON number"),
        ('{"document": "S01", "segment": NaN, "codes": ["x"]}', "NaN is not a JSON number"),
        ('{"document": "S01", "segment": -Infinity}', "-Infinity is not a JSON number"),
        ('{"document": "S01", "segment": 1e999}', "too large"),
        ('{"document": "S01", "segment": ' + "9" * 5000 + "}", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"document": "' + "x" * 2_000 + '"}', "limit 1,000"),
    ],
)
def test_hostile_jsonl_rows_are_refused_with_line(monkeypatch, line, needle):
    monkeypatch.setattr(tables, "MAX_JSONL_LINE_CHARS", 1_000 if "limit" in needle else tables.MAX_JSONL_LINE_CHARS)
    data = ('{"document": "S01", "segment": 0, "codes": []}\n' + line + "\n").encode()
    with pytest.raises(InputFileError) as info:
        rows(data, "codings.jsonl")
    assert needle in str(info.value) and "codings.jsonl, line 2" in str(info.value)


def test_hostile_csv_field_over_csv_default_limit_is_read():
    data = ("document,quote\nS01," + "x" * 200_000 + "\n").encode()
    ((line, row),) = rows(data, "codings.csv")
    assert line == 2 and len(row["quote"]) == 200_000


def test_hostile_csv_field_over_the_cap_is_refused_with_line(monkeypatch):
    monkeypatch.setattr(tables, "MAX_FIELD_CHARS", 1_000)
    data = ("document,gender\nS01,female\nS02," + "x" * 2_000 + "\n").encode()
    with pytest.raises(InputFileError) as info:
        read_attribute_table(data, "cases.csv")
    assert "cases.csv, line 3" in str(info.value) and "1,000" in str(info.value)


def test_hostile_table_over_the_size_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_TABLE_BYTES", 100)
    path = tmp_path / "big.jsonl"
    path.write_text('{"document": "S01"}\n' * 20)
    with pytest.raises(InputFileError, match="limit 100"):
        rows(path.read_bytes(), "big.jsonl")
    with pytest.raises(InputFileError, match=r"big\.jsonl"):
        read_rows(path)


# --- codebook YAML ------------------------------------------------------------------------------------------

ALIAS_BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
codebook: {id: cb, name: x}
codes: [*d]
"""


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        (ALIAS_BOMB, "anchor '&a'", 1),
        ("codebook: {id: cb, name: x}\ncodes:\n  - {id: a.b, definition: y}\n  - *x\n", "alias '*x'", 4),
        (GOOD_CODEBOOK + "1: one\n", "key '1' is not a text", 6),
        (GOOD_CODEBOOK + "~: none\n", "key '~' is not a text", 6),
        (GOOD_CODEBOOK + "? [a, b]\n: list\n", "not a text", 6),
        (GOOD_CODEBOOK + "deep: " + "[" * 5000 + "]" * 5000 + "\n", "levels deep", 6),
        (GOOD_CODEBOOK + "deep:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 40)), "levels deep", None),
    ],
)
def test_hostile_codebook_yaml_is_refused_with_line(text, needle, line):
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, name="book.yaml")
    assert needle in str(info.value) and "book.yaml" in str(info.value)
    if line is not None:
        assert info.value.line == line


def test_hostile_codebook_impossible_date_is_clear():
    with pytest.raises(CodebookError, match="not a valid value"):
        parse_codebook(GOOD_CODEBOOK.replace('version: "1"', "version: 2024-13-45"), name="book.yaml")


def test_hostile_codebook_over_the_size_cap_is_refused(monkeypatch):
    monkeypatch.setattr(codebook_yaml, "MAX_CODEBOOK_BYTES", 100)
    with pytest.raises(CodebookError, match="limit 100"):
        parse_codebook(GOOD_CODEBOOK, name="book.yaml")


def test_hostile_codebook_good_one_still_loads():
    assert parse_codebook(GOOD_CODEBOOK, name="book.yaml").codes[0].id == "root_cause.economic"


def test_hostile_attribute_column_names_with_line_breaks_stay_on_one_line():
    with pytest.raises(InputFileError) as info:
        read_attribute_table("name\u2028x,gender\nS01,f\n".encode(), "cases.csv")
    assert len(str(info.value).splitlines()) == 1 and "\\u2028" in str(info.value)


def test_hostile_codebook_group_names_with_line_breaks_stay_on_one_line():
    text = GOOD_CODEBOOK + 'groups:\n  "a\\u2028b": 5\n'
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, name="book.yaml")
    assert len(str(info.value).splitlines()) == 1
