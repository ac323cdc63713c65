"""Coding, matrix and co-occurrence queries in the library and the CLI, checked against the sample files."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from toolkit.analysis.queries import (
    QueryError,
    coding_query,
    cooccurrence,
    matrix_cell_quotes,
    matrix_query,
    parse_expression,
    word_frequencies,
)
from toolkit.cli.main import app

from .workspace_data import build_sample, cases, codes_by_document, gold_rows

A, B, C = "root_cause.economic", "root_cause.family", "root_cause.education"


@pytest.fixture(scope="module")
def sample(tmp_path_factory, blank_nlp):
    store = build_sample(tmp_path_factory.mktemp("queries") / "sample.sqlite", blank_nlp)
    yield store
    store.close()


def qda(store, *args: str):
    result = CliRunner().invoke(app, ["--db", str(store.engine.url), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def expected_turns(predicate) -> tuple[int, int]:
    rows = [r for r in gold_rows() if predicate(set(r["codes"]))]
    return len({r["document"] for r in rows}), len(rows)


def expected_interviews(predicate) -> int:
    per_document = codes_by_document()
    return sum(1 for document in cases() if predicate(per_document.get(document, set())))


QUERIES = {
    f"{A} AND {B}": lambda s: A in s and B in s,
    f"{A} OR {B}": lambda s: A in s or B in s,
    f"{A} AND NOT {B}": lambda s: A in s and B not in s,
    f"NOT {A}": lambda s: A not in s,
    f"({A} OR {C}) and not {B}": lambda s: (A in s or C in s) and B not in s,
}


@pytest.mark.parametrize("expression", [e for e in QUERIES if not e.startswith("NOT")])
def test_coding_query_same_turn_matches_the_gold_file(sample, expression):
    interviews, turns = expected_turns(QUERIES[expression])
    result = coding_query(sample, expression, "turn")
    assert (result.interviews, result.segments) == (interviews, turns)
    assert turns > 0
    cli = json.loads(qda(sample, "query", "coding", expression, "--json"))
    assert (cli["interviews"], cli["segments"]) == (interviews, turns)


@pytest.mark.parametrize("expression", list(QUERIES))
def test_coding_query_same_interview_matches_the_gold_file(sample, expression):
    result = coding_query(sample, expression, "interview")
    assert result.interviews == expected_interviews(QUERIES[expression])
    cli = json.loads(qda(sample, "query", "coding", expression, "--scope", "interview", "--json"))
    assert cli["interviews"] == result.interviews


def test_and_in_one_turn_is_stricter_than_in_one_interview(sample):
    expression = f"{A} AND {B}"
    assert (
        coding_query(sample, expression, "turn").interviews < coding_query(sample, expression, "interview").interviews
    )


@pytest.mark.parametrize("attribute", ["gender", "exploitation_type"])
def test_matrix_query_matches_the_gold_file_and_cases(sample, attribute):
    attributes = cases()
    per_document = codes_by_document()
    frames = matrix_query(sample, attribute)
    for code in frames["interviews"].index:
        for value in frames["interviews"].columns:
            documents = {d for d, row in attributes.items() if row[attribute] == value}
            interviews = sum(1 for d in documents if code in per_document.get(d, set()))
            turns = sum(1 for r in gold_rows() if r["document"] in documents and code in r["codes"])
            assert frames["interviews"].loc[code, value] == interviews, (code, value)
            assert frames["segments"].loc[code, value] == turns, (code, value)
            assert len(matrix_cell_quotes(sample, attribute, value, code)) == turns
    assert frames["totals"].sum(axis=1).iloc[0] == len(attributes)
    cli = json.loads(qda(sample, "query", "matrix", attribute, "--json", "--min-cell", "0"))
    assert cli["data"] == frames["interviews"].values.tolist()
    cli = json.loads(qda(sample, "query", "matrix", attribute, "--count", "segments", "--json", "--min-cell", "0"))
    assert cli["data"] == frames["segments"].values.tolist()


def test_cooccurrence_matches_the_gold_file(sample):
    codes = [A, B, C, "contract.none"]
    frame = cooccurrence(sample, codes)
    for a in codes:
        for b in codes:
            assert frame.loc[a, b] == sum(1 for r in gold_rows() if a in r["codes"] and b in r["codes"])
    per_document = codes_by_document()
    by_interview = cooccurrence(sample, codes, scope="interview")
    assert by_interview.loc[A, B] == sum(1 for s in per_document.values() if A in s and B in s)
    cli = json.loads(qda(sample, "query", "cooccurrence", "--code", ",".join(codes), "--json"))
    assert cli["data"] == frame.values.tolist()


def test_word_frequency_counts_lemmas_without_stop_words(sample):
    frame = word_frequencies(sample, group="contract", top=15, lemmatizer="simple")
    assert len(frame) == 15 and not ({"the", "and", "i", "to", "a"} & set(frame["lemma"]))
    assert list(frame["count"]) == sorted(frame["count"], reverse=True)
    assert (frame["passages"] <= frame["count"]).all()
    quotes = [r["quote"].lower() for r in gold_rows() if any(c.startswith("contract.") for c in r["codes"])]
    top = frame.iloc[0]
    assert top["passages"] <= sum(1 for q in quotes if top["lemma"][:4] in q)
    lines = qda(sample, "query", "words", "--group", "contract", "--top", "15", "--lemmatizer", "simple", "--json")
    cli = [json.loads(line) for line in lines.splitlines()]  # a list: JSON Lines
    assert [r["lemma"] for r in cli] == list(frame["lemma"])


def test_bad_queries_are_one_line_errors(sample):
    for bad in ("", f"{A} AND", f"({A}", f"{A} {B}", "OR"):
        with pytest.raises(QueryError):
            parse_expression(bad)
    with pytest.raises(QueryError, match="unknown code"):
        coding_query(sample, "root_cause.nope AND root_cause.family")
    with pytest.raises(QueryError, match="attribute"):
        matrix_query(sample, "shoe_size")
    result = CliRunner().invoke(app, ["--db", str(sample.engine.url), "query", "coding", f"{A} AND"])
    assert result.exit_code == 2 and result.stderr.startswith("error: [E410]")


def test_queries_keep_only_the_origins_asked_for(sample):
    expression = f"{A} OR {B}"
    everything = coding_query(sample, expression)
    assert coding_query(sample, expression, origins=["imported"]).segments == everything.segments > 0
    assert coding_query(sample, expression, origins=["accepted-suggestion"]).segments == 0
    assert matrix_query(sample, "gender", origins=["accepted-suggestion"])["interviews"].to_numpy().sum() == 0
    assert cooccurrence(sample, [A, B], origins=["accepted-suggestion"]).to_numpy().sum() == 0


@pytest.mark.parametrize("expression", [f"{A} AND {B}", f"{A} AND NOT {B}"])
def test_search_and_coding_query_agree_on_sqlite_and_postgres(any_store, blank_nlp, tmp_path, expression):
    from toolkit.analysis.search import search

    from ..conftest import sample_study
    from .workspace_data import text_lines_matching

    documents = ["S01", "S02", "S03"]
    sample_study(any_store, blank_nlp, tmp_path, documents, documents, coder="gold")
    rows = [r for r in gold_rows() if r["document"] in documents and QUERIES[expression](set(r["codes"]))]
    result = coding_query(any_store, expression)
    assert (result.interviews, result.segments) == (len({r["document"] for r in rows}), len(rows))
    lines = text_lines_matching(r"\bpassport(s|'s)?\b")
    assert len(search(any_store, "passports")) == sum(lines[d] for d in documents)


def test_matrix_heatmap_cells_carry_their_code_value_and_count(sample):
    from toolkit.analysis.plots import drill_target
    from toolkit.analysis.query_plots import matrix_heatmap

    frames = matrix_query(sample, "gender", [A, B])
    figure = matrix_heatmap(frames["interviews"], frames["totals"].iloc[0], "gender", {A: "Economic"})
    cell = figure.data[0].customdata[1][0]  # row B, first column
    target = drill_target({"customdata": list(cell)})
    value = str(frames["interviews"].columns[0])
    assert target == {"codes": [B], "attribute": "gender", "value": value, "together": False}
    assert (
        cell[3]
        == frames["interviews"].loc[B, value]
        == len(set(matrix_cell_quotes(sample, "gender", value, B)["document"]))
    )
    assert list(figure.data[0].y) == ["Economic", B]


def test_matrix_and_search_take_the_document_language_like_an_attribute(sample):
    """The dashboard offers "language" beside gender (mixed projects' interviews side by side), so must the library."""
    from toolkit.analysis.search import search

    per_document = codes_by_document()
    frames = matrix_query(sample, "language")
    assert list(frames["interviews"].columns) == ["en"]  # the sample is English
    assert frames["totals"].loc[:, "en"].iloc[0] == len(cases())
    for code in frames["interviews"].index:
        assert frames["interviews"].loc[code, "en"] == sum(1 for s in per_document.values() if code in s), code
    turns = sum(1 for r in gold_rows() if A in r["codes"])
    assert len(matrix_cell_quotes(sample, "language", "en", A)) == turns
    everything = search(sample, "passports")
    assert everything and search(sample, "passports", attributes={"language": ["en"]}) == everything
    assert search(sample, "passports", attributes={"language": ["ru"]}) == []


@pytest.mark.parametrize("attribute", ["gender", "destination", "age_group"])
def test_matrix_query_is_protected_like_every_breakdown(sample, attribute):
    """No cell or group size of 1-2 people, none given back by subtraction; the same cells as the findings pages."""
    from toolkit.analysis.disclosure import protected_code_by_attribute, protected_matrix_query
    from toolkit.analysis.frames import load_frames

    exact = matrix_query(sample, attribute)
    frames = protected_matrix_query(exact, attribute, min_cell=3)
    interviews, segments, totals = frames["interviews"], frames["segments"], frames["totals"].iloc[0]
    small = {v for v, n in exact["totals"].iloc[0].items() if 0 < n < 3}
    assert set(interviews.attrs["merged"]) == small
    assert not small & set(interviews.columns)  # merged into one column
    shown = [v for v in interviews.to_numpy().ravel() if v is not None]
    assert not [v for v in shown if 0 < v < 3]
    assert not [n for n in totals if n is not None and 0 < n < 3]
    prevalence = exact["interviews"].sum(axis=1)  # shown on the Overview: each line's total is known
    for code, row in interviews.iterrows():
        hidden = [v for v in row.index if row[v] is None]
        assert len(hidden) != 1, (code, hidden)  # one unknown and its line's total would give it back
        assert all(segments.loc[code, v] is None for v in hidden)
        if not hidden:
            assert sum(row) == prevalence[code]
    codings, cases = load_frames(sample)
    findings = protected_code_by_attribute(codings, cases, attribute, min_cell=3)
    on_pages = {(r.code, str(r.value)) for r in findings.itertuples() if r.suppressed}
    in_matrix = {(c, str(v)) for c, row in interviews.iterrows() for v in row.index if row[v] is None}
    assert in_matrix == on_pages
    assert protected_matrix_query(exact, attribute, min_cell=0)["interviews"].equals(exact["interviews"].astype(object))
    cli = json.loads(qda(sample, "query", "matrix", attribute, "--json"))
    assert cli["data"] == [[None if v is None else int(v) for v in row] for row in interviews.to_numpy().tolist()]
