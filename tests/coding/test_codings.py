from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from toolkit.coding.codebook import load_codebook
from toolkit.coding.codings import export_codings, find_quote, import_codings
from toolkit.corpus.importer import import_files
from toolkit.errors import CodingsError
from toolkit.store.models import Coding

from ..conftest import CODEBOOK

TEXT = "Q: Why did you go?\nA: We signed the contracts.\n\nThey wouldn't give them to us.\nQ: And?\nA: Nothing."


@pytest.fixture
def coded_store(store, blank_nlp, tmp_path):
    path = tmp_path / "S01.txt"
    path.write_text(TEXT)
    import_files(store, [path], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    return store


def test_codings_find_quote_exact_then_whitespace_insensitive():
    assert find_quote(TEXT, "We signed the contracts.") == (22, 46)
    start, end = find_quote(TEXT, "contracts. They wouldn't")
    assert TEXT[start:end] == "contracts.\n\nThey wouldn't"
    assert find_quote(TEXT, "not in there") is None


def test_codings_import_jsonl_quote_and_segment_position(coded_store, tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [
        {
            "document": "S01",
            "quote": "We signed the contracts. They wouldn't give them to us.",
            "codes": ["contract.not_received"],
        },
        {"document": "S01", "segment": 3, "codes": "root_cause.awareness"},
        {"document": "S01", "quote": "Nothing.", "codes": []},
    ]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = import_codings(coded_store, gold, coder="alice", new_coder=True)
    assert (report.rows, report.added) == (3, 2)
    again = import_codings(coded_store, gold, coder="alice", new_coder=True)
    assert (again.added, again.already_present) == (0, 2)
    with coded_store.read() as session:
        codings = list(session.scalars(select(Coding).order_by(Coding.start)))
        assert [c.code_id for c in codings] == ["contract.not_received", "root_cause.awareness"]
        assert all(c.segment_id is not None for c in codings)


def test_codings_import_csv(coded_store, tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text(
        'document,quote,codes\nS01,"We signed the contracts.","contract.not_received;contract.substituted"\n'
    )
    assert import_codings(coded_store, gold, coder="bob", new_coder=True).added == 2


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ({"document": "S01", "quote": "never said", "codes": ["contract.none"]}, "quote not found"),
        ({"document": "S77", "quote": "Nothing.", "codes": ["contract.none"]}, "unknown document"),
        ({"document": "S01", "quote": "Nothing.", "codes": ["contract.maybe"]}, "unknown code"),
        ({"document": "S01", "codes": ["contract.none"]}, "needs a 'quote' or a 'segment'"),
    ],
)
def test_codings_bad_row_names_line_and_stores_nothing(coded_store, tmp_path, row, needle):
    gold = tmp_path / "gold.jsonl"
    good = {"document": "S01", "quote": "Nothing.", "codes": ["contract.none"]}
    gold.write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(CodingsError) as info:
        import_codings(coded_store, gold, coder="alice", new_coder=True)
    assert needle in str(info.value) and info.value.line == 2 and "gold.jsonl" in str(info.value)
    with coded_store.read() as session:
        assert session.scalar(select(Coding)) is None


def test_codings_export_csv_and_jsonl(coded_store, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"document": "S01", "quote": "Nothing.", "codes": ["contract.none"]}) + "\n")
    import_codings(coded_store, gold, coder="alice", new_coder=True)
    rows = list(csv.DictReader(io.StringIO(export_codings(coded_store, "csv"))))
    assert rows == [
        {
            "document": "S01",
            "language": "en",
            "segment": "3",
            "start": str(TEXT.index("Nothing.")),
            "end": str(len(TEXT)),
            "quote": "Nothing.",
            "code": "contract.none",
            "coder": "alice",
            "origin": "imported",
        }
    ]
    (line,) = export_codings(coded_store, "jsonl").splitlines()
    assert json.loads(line)["quote"] == "Nothing."


RU_TEXT = "Интервьюер: Почему вы поехали?\nРеспондент: Нам не дали контракт, и мы ничего не подписывали.\n"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_codings_exports_carry_each_documents_language(coded_store, tmp_path, blank_nlp, fmt):
    """A Russian and an English quote side by side, each with its document's language (csv, jsonl, xlsx)."""
    ru = tmp_path / "R01.txt"
    ru.write_text(RU_TEXT, encoding="utf-8")
    import_files(coded_store, [ru], nlp=blank_nlp)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"document": "S01", "quote": "Nothing.", "codes": ["contract.none"]})
        + "\n"
        + json.dumps({"document": "R01", "quote": "Нам не дали контракт", "codes": ["contract.none"]})
        + "\n",
        encoding="utf-8",
    )
    import_codings(coded_store, gold, coder="alice", new_coder=True)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(export_codings(coded_store, "csv"))))
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in export_codings(coded_store, "jsonl").splitlines()]
    else:
        from openpyxl import load_workbook

        from toolkit.analysis.tables_export import export_tables

        export_tables(coded_store, tmp_path / "t.xlsx", "xlsx")
        header, *values = list(load_workbook(tmp_path / "t.xlsx")["codings"].values)
        rows = [dict(zip(header, v, strict=True)) for v in values]
    assert {(r["document"], r["language"], r["quote"]) for r in rows} == {
        ("S01", "en", "Nothing."),
        ("R01", "ru", "Нам не дали контракт"),
    }


@pytest.mark.parametrize("position", [-1, True, 1.9, "1.9", "-1", " ", "one", 3.0])
def test_codings_segment_must_be_a_non_negative_whole_number(coded_store, tmp_path, position):
    """`segment: -1` used to code the last turn and `true` / `1.9` turn 1, silently (issue 9, item 4)."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"document": "S01", "segment": 1, "codes": ["contract.none"]})
        + "\n"
        + json.dumps({"document": "S01", "segment": position, "codes": ["contract.none"]})
        + "\n"
    )
    with pytest.raises(CodingsError, match=r"line 2") as info:
        import_codings(coded_store, gold, coder="alice", new_coder=True)
    assert "segment" in str(info.value)
    with coded_store.read() as session:
        assert session.scalar(select(Coding)) is None


def test_codings_segment_position_as_csv_digits(coded_store, tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text("document,segment,codes\nS01,3,contract.none\n")
    assert import_codings(coded_store, gold, coder="alice", new_coder=True).added == 1
    with pytest.raises(CodingsError, match="no segment 9"):
        gold.write_text("document,segment,codes\nS01,9,contract.none\n")
        import_codings(coded_store, gold, coder="alice")


def test_codings_csv_exports_never_start_a_cell_with_a_formula(store, blank_nlp, tmp_path):
    """`=HYPERLINK(...)` said by a respondent must reach a spreadsheet as text (issue 9, item 11)."""
    from toolkit.analysis.agreement_store import disagreements_csv

    path = tmp_path / "=cmd.txt"
    path.write_text('Q: What did the message say?\nA: =HYPERLINK("http://x.invalid","click")\nQ: And?\nA: -nothing')
    import_files(store, [path], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    gold = tmp_path / "g.jsonl"
    gold.write_text(
        json.dumps({"document": "=cmd", "segment": 1, "codes": ["recruitment.online"]})
        + "\n"
        + json.dumps({"document": "=cmd", "segment": 3, "codes": ["contract.none"]})
        + "\n"
    )
    import_codings(store, gold, coder="@alice", new_coder=True)
    rows = list(csv.DictReader(io.StringIO(export_codings(store, "csv"))))
    cells = [value for row in rows for value in row.values()]
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells), cells
    assert {row["document"] for row in rows} == {"'=cmd"} and {row["coder"] for row in rows} == {"'@alice"}
    sheet = disagreements_csv([{"document": "=cmd", "position": 1, "text": "-nothing", "consensus": ""}])
    assert next(csv.DictReader(io.StringIO(sheet)))["text"] == "'-nothing"
