"""The Search and Queries pages show the numbers counted from the sample files (as the library and CLI do)."""

from __future__ import annotations

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
