import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from toolkit.io.csv_safe import neutralise_cell, restore_cell, write_csv
from toolkit.io.tables import read_rows


def test_csv_safe_formula_cells_get_an_apostrophe():
    text = write_csv(
        [{"quote": "=HYPERLINK(\"http://x.invalid\")", "a": "+1", "b": "-yes", "c": "@SUM(A1)", "d": "plain", "n": -3}],
        ["quote", "a", "b", "c", "d", "n"],
    )
    row = next(csv.DictReader(io.StringIO(text)))
    assert row == {"quote": "'=HYPERLINK(\"http://x.invalid\")", "a": "'+1", "b": "'-yes", "c": "'@SUM(A1)",
                   "d": "plain", "n": "-3"}


@given(st.text())
def test_csv_safe_restore_inverts_neutralise(value):
    assert restore_cell(neutralise_cell(value)) == value
    assert not neutralise_cell(value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_safe_reader_restores_what_the_writer_wrote(tmp_path):
    path = tmp_path / "t.csv"
    row = {"document": "=cmd", "text": "'=x", "other": "- a dash"}
    path.write_text(write_csv([row], list(row)))
    _, rows = read_rows(path)
    assert [row for _, row in rows] == [{"document": "=cmd", "text": "'=x", "other": "- a dash"}]
