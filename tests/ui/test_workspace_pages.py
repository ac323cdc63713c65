"""The Search and Queries pages show the numbers counted from the sample files (as the library and CLI do)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from toolkit.ui.harness import page_script

from ..analysis.test_search import PASSPORT
from ..analysis.workspace_data import build_sample, cases, codes_by_document, gold_rows, text_lines_matching


@pytest.fixture(scope="module")
def url(tmp_path_factory, blank_nlp) -> str:
    path = tmp_path_factory.mktemp("workspace_ui") / "sample.sqlite"
    build_sample(path, blank_nlp).close()
    return f"sqlite:///{path}"


def render(page: str, url: str) -> AppTest:
    return AppTest.from_function(page_script, args=(page, url), default_timeout=90).run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_search_page_counts_turns_and_escapes(url):
    at = render("search_page", url)
    assert not at.exception
    at.text_input(key="search_query").set_value("passports").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = int(metrics(at)["Matching turns"])
    at.multiselect(key="search_roles").set_value(["interviewer"]).run()
    interviewer = int(metrics(at)["Matching turns"])
    assert shown == sum(text_lines_matching(PASSPORT, docx=True).values()) > 0
    assert interviewer < shown


def test_queries_page_shows_the_gold_counts(url):
    at = render("queries_page", url)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]  # every tab, as first shown (the matrix: the first attribute)
    a, b = "root_cause.economic", "root_cause.family"
    at.text_input(key="query_expression").set_value(f"{a} AND {b}").run()
    rows = [r for r in gold_rows() if a in r["codes"] and b in r["codes"]]
    got = metrics(at)
    assert (got["Interviews"], got["Turns"]) == (str(len({r["document"] for r in rows})), str(len(rows)))
    at.radio(key="query_scope").set_value("interview").run()
    per_document = codes_by_document()
    assert metrics(at)["Interviews"] == str(sum(1 for s in per_document.values() if a in s and b in s))
    at.selectbox(key="matrix_attribute").set_value("gender").run()
    at.selectbox(key="matrix_code").set_value(b).run()
    at.selectbox(key="matrix_value").set_value("female").run()
    women = {d for d, row in cases().items() if row["gender"] == "female"}
    cell = sum(1 for r in gold_rows() if r["document"] in women and b in r["codes"])
    assert metrics(at)["Quotes in this cell"] == str(cell)
    matrix = at.dataframe[1].value  # the coding query's turns come first
    assert matrix.loc[b, "female"] == sum(1 for d in women if b in per_document.get(d, set()))


@pytest.fixture
def private_url(url, tmp_path) -> str:
    """A copy of the module's store for a test that writes."""
    import shutil
    import sqlite3

    source = url.removeprefix("sqlite:///")
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(source, tmp_path / "copy.sqlite")
    return f"sqlite:///{tmp_path / 'copy.sqlite'}"


def click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def messages(at: AppTest) -> tuple[list[str], list[str]]:
    return [m.value for m in at.success], [m.value for m in at.error]


def test_codebook_page_changes_codes_as_the_chosen_person(private_url):
    from toolkit.coding.codes import code_tree
    from toolkit.coding.review import list_memos
    from toolkit.store.engine import open_store

    at = render("codebook_page", private_url)
    at.sidebar.text_input(key="workspace_new_person").set_value("alice").run()
    at.sidebar.button(key="workspace_add_person").click().run()
    assert at.sidebar.selectbox(key="workspace_person").value == "alice"
    at.text_input(key="code_new_id").set_value("root_cause.debt")
    at.text_input(key="code_new_name").set_value("Debt")
    at.text_area(key="code_new_definition").set_value("Owing money pushes toward risky work.")
    at.selectbox(key="code_new_parent").set_value("root_cause.economic")
    click(at, "Create code")
    assert not at.exception and messages(at)[1] == []
    at.selectbox(key="code_rename_id").set_value("root_cause.debt")
    at.text_input(key="code_rename_name").set_value("Debts and loans")
    click(at, "Rename")
    at.selectbox(key="code_move_id").set_value("root_cause.family")
    at.selectbox(key="code_move_parent").set_value("root_cause.debt")
    click(at, "Move")
    at.selectbox(key="code_move_id").set_value("root_cause.debt")
    at.selectbox(key="code_move_parent").set_value("root_cause.family")
    click(at, "Move")
    assert any("inside it" in m for m in messages(at)[1])  # a cycle is refused with its reason
    at.text_area(key="code_root_cause.debt_new_memo").set_value("Check S04 too.")
    at.button(key="code_root_cause.debt_add_memo").click().run()
    store = open_store(private_url)
    depth = {r.id: (r.depth, r.name) for r in code_tree(store)}
    assert depth["root_cause.debt"] == (1, "Debts and loans") and depth["root_cause.family"][0] == 2
    assert [(m["target"], m["text"]) for m in list_memos(store, "code")] == [("root_cause.debt", "Check S04 too.")]
    store.close()
    expanders = [e.label for e in at.expander]
    debt = next(i for i, label in enumerate(expanders) if "root\\_cause\\.debt" in label)
    assert "Economic hardship" in expanders[debt - 1]


def test_transcript_page_removes_recodes_and_undoes_own_codings(private_url):
    from toolkit.coding.review import add_coder
    from toolkit.coding.selection import code_selection, coder_codings
    from toolkit.store.engine import open_store

    store = open_store(private_url)
    add_coder(store, "alice")
    first, second = code_selection(store, "alice", "S01", 10, 40, ["contract.none", "root_cause.family"])
    store.close()
    at = render("transcript_page", private_url)
    at.selectbox(key="transcript_select").set_value("S01").run()
    at.radio(key="transcript_mode").set_value("Code by selection").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="own_coding").set_value(first).run()
    at.selectbox(key="own_recode_to").set_value("contract.promised").run()
    click(at, "Recode")
    at.selectbox(key="own_coding").set_value(second).run()
    click(at, "Remove it")
    store = open_store(private_url)
    assert [c["code"] for c in coder_codings(store, "alice", "S01")] == ["contract.promised"]
    store.close()
    click(at, "Undo my last coding action")
    click(at, "Undo my last coding action")
    store = open_store(private_url)
    assert sorted(c["code"] for c in coder_codings(store, "alice", "S01")) == ["contract.none", "root_cause.family"]
    store.close()
    assert messages(at)[0] == ["Undone\\."]


def test_export_page_offers_codebook_and_memos(url):
    at = render("export_page", url)
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Codebook with its code tree (YAML)" in labels and "Memos (CSV)" in labels


def test_queries_matrix_hides_small_cells_and_their_quotes(url):
    import json

    at = render("queries_page", url)
    at.selectbox(key="matrix_attribute").set_value("destination").run()
    assert not at.exception and not at.error
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    heatmap = spec["data"][0]
    labels = [str(x) for x in heatmap["x"]]
    assert any(x.startswith("other (groups under 3)") for x in labels), labels
    assert not [x for x in labels if x.endswith(("(n=1)", "(n=2)"))], labels
    written = [t for row in heatmap["text"] for t in row]
    assert "-" in written and not {"1", "2"} & set(written), written
    assert any("not shown" in c.value for c in at.caption)
    matrix = next(d.value for d in at.dataframe if "Belarus" in d.value.columns)
    code, value = next((c, v) for c in matrix.index for v in matrix.columns if pd.isna(matrix.loc[c, v]))
    at.selectbox(key="matrix_code").set_value(code).run()
    at.selectbox(key="matrix_value").set_value(value).run()
    assert any("too few people" in i.value for i in at.info)
    assert "Quotes in this cell" not in metrics(at)
