import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from toolkit.io.csv_safe import frame_to_csv, neutralise_cell, restore_cell, write_csv
from toolkit.io.tables import read_rows


def test_csv_safe_formula_cells_get_an_apostrophe():
    text = write_csv(
        [{"quote": '=HYPERLINK("http://x.invalid")', "a": "+1", "b": "-yes", "c": "@SUM(A1)", "d": "plain", "n": -3}],
        ["quote", "a", "b", "c", "d", "n"],
    )
    row = next(csv.DictReader(io.StringIO(text)))
    assert row == {
        "quote": '\'=HYPERLINK("http://x.invalid")',
        "a": "'+1",
        "b": "'-yes",
        "c": "'@SUM(A1)",
        "d": "plain",
        "n": "-3",
    }


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


def test_csv_safe_frame_to_csv_neutralises_and_keeps_columns():
    """Issue 9 item 11: the dashboard's DataFrame downloads go through the same writer."""
    import pandas as pd

    frame = pd.DataFrame(
        {"code": ["=cmd|' /C calc'!A0", "a"], "n": pd.array([1, None], dtype="Int64"), "share": [0.5, float("nan")]}
    )
    rows = list(csv.DictReader(io.StringIO(frame_to_csv(frame))))
    assert rows == [
        {"code": "'=cmd|' /C calc'!A0", "n": "1", "share": "0.5"},
        {"code": "a", "n": "", "share": ""},
    ]
    assert [restore_cell(r["code"]) for r in rows] == list(frame["code"])
