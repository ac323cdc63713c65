"""Reading a learning curve against the codebook alone: where learning from few interviews made things worse."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.learning_curve import read_curve, reading_sentence
from toolkit.suggest.lemmas import SimpleLemmatizer

from ..conftest import sample_study

DOCS = ["S01", "S02", "S03", "S04", "S06"]


def point(n: int, micro: float, own: dict | None = None, codebook: dict | None = None) -> dict:
    return {
        "coded_interviews": n,
        "micro_f1": {"mean": micro, "min": micro, "max": micro},
        "per_code_f1": own or {},
        "per_code_zero_shot_f1": codebook or {},
    }


def test_a_dip_after_two_interviews_is_named_and_the_curve_beats_the_codebook_from_four_on():
    curve = {
        "points": [
            point(4, 0.68),
            point(0, 0.67),
            point(1, 0.67),
            point(2, 0.58, own={"a": 0.5, "b": 0.9, "c": None}, codebook={"a": 0.8, "b": 0.9, "c": 0.7}),
            point(13, 0.78),
        ]
    }
    reading = read_curve(curve)
    assert reading["codebook_alone"] == 0.67
    assert reading["below_codebook"] == [2]  # 1 equals it: not below
    assert reading["beats_codebook_from"] == 4  # 1 only ties, so "from 1 on" would be wrong
    assert reading["codes_below_codebook"] == {"2": ["a"]}
    sentence = reading_sentence(reading)
    assert "from 4 coded interviews on" in sentence and "after 2 coded" in sentence


def test_a_code_below_the_codebook_in_most_orders_is_told_from_one_bad_order():
    """Below on average in both cases; only the code below in 4 of 5 orders is below 'in most orders'."""
    two = point(2, 0.6, own={"a": 0.5, "b": 0.7}, codebook={"a": 0.8, "b": 0.8})
    two["per_code_orders_below"], two["per_code_orders_held"] = {"a": 4, "b": 1}, {"a": 5, "b": 5}
    reading = read_curve({"points": [point(0, 0.6), two]})
    assert reading["codes_below_codebook"] == {"2": ["a", "b"]}
    assert reading["codes_below_in_most_orders"] == {"2": ["a"]}
    assert "codes worse than the codebook alone in most orders (after 2: a)" in reading_sentence(reading)


def test_each_point_is_compared_with_the_codebook_on_its_own_uncoded_turns():
    """After one interview the suggestions are the codebook's: equal on the same turns, whatever the 0 point says."""
    one = point(1, 0.66)
    one["codebook_micro_f1"] = 0.66
    two = point(2, 0.70)
    two["codebook_micro_f1"] = 0.72
    reading = read_curve({"points": [point(0, 0.68), one, two]})
    assert reading["below_codebook"] == [2] and reading["beats_codebook_from"] is None


def test_a_curve_that_never_beats_the_codebook_says_so():
    reading = read_curve({"points": [point(0, 0.6), point(1, 0.65), point(2, 0.55)]})
    assert reading["beats_codebook_from"] is None and reading["below_codebook"] == [2]
    assert "does not beat it" in reading_sentence(reading)


def test_without_the_codebook_point_nothing_is_claimed():
    reading = read_curve({"points": [point(1, 0.6), point(2, 0.7)]})
    assert reading == {
        "codebook_alone": None,
        "below_codebook": [],
        "beats_codebook_from": None,
        "codes_below_codebook": {},
        "codes_below_in_most_orders": {},
    }
    assert reading_sentence(reading).startswith("no codebook-alone point")


@pytest.fixture
def study(store, blank_nlp, tmp_path):
    sample_study(store, blank_nlp, tmp_path, DOCS, DOCS)
    return store


def test_evaluate_learning_curve_starts_with_the_codebook_alone_and_the_cli_reads_it(study, db_url, monkeypatch):
    import toolkit.suggest.evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "select_embedder", lambda spec=None, **_: HashingEmbedder())
    monkeypatch.setattr(evaluate_module, "select_lemmatizer", lambda spec=None: SimpleLemmatizer())
    curve = evaluate_module.evaluate(study, "alice", "learning-curve", orders=2)
    assert [p["coded_interviews"] for p in curve["points"]] == [0, 1, 2, 4]  # capped at all but one of 5
    assert curve["reading"] == read_curve(curve)
    assert curve["reading"]["codebook_alone"] == curve["points"][0]["micro_f1"]["mean"]
    zero = curve["points"][0]
    assert zero["codebook_micro_f1"] == zero["micro_f1"]["mean"]  # 0 coded: the model is the codebook
    study.close()
    args = ["--db", db_url, "evaluate", "--gold-coder", "alice", "--mode", "learning-curve", "--orders", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert reading_sentence(curve["reading"]) in result.stdout
