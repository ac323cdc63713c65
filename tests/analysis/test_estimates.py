"""Estimated findings: the Poisson-binomial DP, its interval, the table, what to code next, and a store."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from toolkit.analysis.estimates import (
    display_table,
    estimate_shares,
    interview_probability,
    next_to_code,
    poisson_binomial_interval,
    poisson_binomial_pmf,
)
from toolkit.errors import ToolkitError


def brute_force_pmf(p: list[float]) -> np.ndarray:
    """Sum over all 2^n outcomes: the definition the DP must match."""
    pmf = np.zeros(len(p) + 1)
    for outcome in itertools.product([0, 1], repeat=len(p)):
        pmf[sum(outcome)] += np.prod([pi if o else 1 - pi for pi, o in zip(p, outcome, strict=True)])
    return pmf


@pytest.mark.parametrize("n", [0, 1, 2, 5, 9])
def test_estimates_dp_matches_brute_force(n):
    rng = np.random.default_rng(n)
    p = list(rng.uniform(0, 1, size=n))
    p[: min(2, n)] = [0.0, 1.0][: min(2, n)]  # certain events too
    np.testing.assert_allclose(poisson_binomial_pmf(p), brute_force_pmf(p), atol=1e-12)
    assert poisson_binomial_pmf(p).sum() == pytest.approx(1.0)


def test_estimates_dp_of_equal_chances_is_the_binomial():
    from math import comb

    pmf = poisson_binomial_pmf([0.3] * 12)
    np.testing.assert_allclose(pmf, [comb(12, k) * 0.3**k * 0.7 ** (12 - k) for k in range(13)], atol=1e-12)


def test_estimates_dp_refuses_a_value_that_is_not_a_probability():
    with pytest.raises(ToolkitError, match="probability"):
        poisson_binomial_pmf([0.2, 1.3])


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_estimates_interval_covers_at_least_its_level(level):
    rng = np.random.default_rng(7)
    p = rng.uniform(0, 1, size=15)
    low, high = poisson_binomial_interval(list(p), level)
    pmf = poisson_binomial_pmf(list(p))
    assert pmf[low : high + 1].sum() >= level - 1e-12
    # and it is not wider than needed: dropping either end loses coverage of its tail
    tail = (1 - level) / 2
    assert pmf[:low].sum() < tail + 1e-12 and pmf[high + 1 :].sum() < tail + 1e-12
    draws = (rng.uniform(size=(20000, len(p))) < p).sum(axis=1)
    assert ((draws >= low) & (draws <= high)).mean() >= level - 0.01


def test_estimates_interval_of_certain_events_is_a_point():
    assert poisson_binomial_interval([1.0, 1.0, 0.0], 0.9) == (2, 2)
    assert poisson_binomial_interval([], 0.9) == (0, 0)


def test_estimates_interview_probability_is_one_minus_product():
    assert interview_probability([0.2, 0.5]) == pytest.approx(1 - 0.8 * 0.5)
    assert interview_probability([]) == 0.0


def test_estimates_table_adds_counted_and_estimated_parts():
    codings = pd.DataFrame(
        {"document": ["S1", "S1", "S2", "S9"], "code": ["a", "b", "a", "a"]}  # S9 is not coded: ignored
    )
    probs = pd.DataFrame(
        {
            "document": ["S3", "S3", "S4", "S4"],
            "code": ["a", "b", "a", "b"],
            "probability": [0.9, 0.1, 0.6, 0.0],
        }
    )
    table = estimate_shares(codings, ["S1", "S2"], probs, ["a", "b", "c"], calibrated=["a"], level=0.9).set_index(
        "code"
    )
    assert table.loc["a", "coded_with"] == 2 and table.loc["b", "coded_with"] == 1 and table.loc["c", "coded_with"] == 0
    assert (table["coded"] == 2).all() and (table["uncoded"] == 2).all()
    assert table.loc["a", "expected"] == pytest.approx(1.5)
    assert table.loc["a", "share"] == pytest.approx((2 + 1.5) / 4)
    assert (table.loc["a", "low"], table.loc["a", "high"]) == poisson_binomial_interval([0.9, 0.6], 0.9)
    assert table.loc["c", "expected"] == 0 and table.loc["c", "share_high"] == 0
    assert list(table["calibrated"]) == [True, False, False]
    shown = display_table(table.reset_index())
    assert "estimate for the 2 uncoded" in shown.columns
    assert shown.iloc[0]["coded so far"] == "2 of 2" and shown.iloc[0]["estimate for the 2 uncoded"].startswith(
        "estimate"
    )


def test_estimates_next_to_code_is_the_most_uncertain_interview():
    probs = pd.DataFrame(
        {
            "document": ["S3", "S3", "S4", "S4", "S5", "S5"],
            "code": ["a", "b", "a", "b", "a", "b"],
            "probability": [0.5, 0.99, 0.6, 0.4, 0.0, 1.0],
        }
    )
    assert next_to_code(probs) == "S4"  # 0.24 + 0.24 beats 0.25 + 0.0099 and 0
    assert next_to_code(probs, ["a"]) == "S3"
    assert next_to_code(probs.iloc[:0]) is None


def test_estimates_for_a_partly_coded_store(store, blank_nlp, tmp_path):
    from tests.conftest import sample_study
    from toolkit.analysis.estimates_store import estimate_lines, estimates_document, store_estimates
    from toolkit.analysis.frames import set_reference_coder
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.lemmas import SimpleLemmatizer

    documents = ["S01", "S02", "S03", "S04", "S06", "S08"]
    sample_study(store, blank_nlp, tmp_path, documents, documents[:4])
    set_reference_coder(store, "alice")
    result = store_estimates(store, embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer(), recalibrated=False)
    assert result["coded"] == documents[:4] and result["uncoded"] == documents[4:]
    table = result["estimates"].set_index("code")
    assert (table["coded"] == 4).all() and (table["uncoded"] == 2).all()
    assert ((table["low"] <= table["high"]) & (table["high"] <= 2)).all()
    chances = result["interviews"]
    for code, row in table.iterrows():
        p = list(chances.loc[chances["code"] == code, "probability"])
        assert row["expected"] == pytest.approx(sum(p))
        assert (row["low"], row["high"]) == poisson_binomial_interval(p, 0.9)
    assert result["next"] in documents[4:]
    assert set(result["interviews"]["document"]) == set(documents[4:])
    text = "\n".join(estimate_lines(result))
    assert "ESTIMATES" in text and f"code next: {result['next']}" in text
    document = estimates_document(result)
    import json

    assert json.loads(json.dumps(document))["next"] == result["next"]
    only = store_estimates(store, ["root_cause.family"], embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())[
        "estimates"
    ]
    assert list(only["code"]) == ["root_cause.family"]
    with pytest.raises(ToolkitError, match="unknown code"):
        store_estimates(store, ["no.such"], embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())


def test_estimates_name_the_uncoded_interviews_unlike_the_coded_ones(store, blank_nlp, tmp_path, monkeypatch):
    """The model's unfamiliar rows become interview names, in the result, its JSON and its lines."""
    from tests.conftest import sample_study
    from toolkit.analysis.estimates_store import estimate_lines, estimates_document, store_estimates
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.estimator import CodeSuggester
    from toolkit.suggest.lemmas import SimpleLemmatizer

    documents = ["S01", "S02", "S03", "S04", "S06", "S08"]
    sample_study(store, blank_nlp, tmp_path, documents, documents[:4])
    kwargs = {"embedder": HashingEmbedder(), "lemmatizer": SimpleLemmatizer(), "recalibrated": False}
    seen = store_estimates(store, coder="alice", **kwargs)
    assert set(seen["unfamiliar"]) <= set(documents[4:])  # only uncoded interviews can be unlike the coded ones

    def only_s08(model: CodeSuggester) -> np.ndarray:
        return np.array([d == "S08" for d in model.groups_[: model.n_rows_]])

    monkeypatch.setattr(CodeSuggester, "unfamiliar_turns", only_s08)
    result = store_estimates(store, coder="alice", **kwargs)
    assert result["unfamiliar"] == ["S08"]
    assert estimates_document(result)["unfamiliar"] == ["S08"]
    line = next(line for line in estimate_lines(result) if "unlike the coded" in line)
    assert "1 of 2 uncoded (S08)" in line


def test_estimates_recalibrate_pulls_overconfident_scores_down():
    from toolkit.analysis.estimates import recalibrate

    rng = np.random.default_rng(3)
    true_chance = rng.uniform(0.05, 0.6, size=400)
    truth = (rng.uniform(size=400) < true_chance).astype(int)
    scores = 1 - (1 - true_chance) ** 3  # an interview score that runs high, as 1 - prod(1 - p) does
    mapped = recalibrate(scores, truth, scores)
    assert abs(mapped.mean() - truth.mean()) < abs(scores.mean() - truth.mean())
    assert abs(mapped.mean() - truth.mean()) < 0.03
    assert np.all(np.diff(mapped[np.argsort(scores)]) >= -1e-12)  # the order of interviews is kept
    assert recalibrate([0.2, 0.9], [0, 1], [0.7]).tolist() == [0.7]  # too few to learn from: unchanged


def test_estimates_recalibrated_store_estimate_runs(store, blank_nlp, tmp_path):
    from tests.conftest import sample_study
    from toolkit.analysis.estimates_store import store_estimates
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.lemmas import SimpleLemmatizer

    documents = ["S01", "S02", "S03", "S04", "S06", "S08"]
    sample_study(store, blank_nlp, tmp_path, documents, documents[:4])
    kwargs = {"embedder": HashingEmbedder(), "lemmatizer": SimpleLemmatizer()}
    raw = store_estimates(store, coder="alice", recalibrated=False, **kwargs)["interviews"]
    fixed = store_estimates(store, coder="alice", recalibrated=True, **kwargs)["interviews"]
    assert list(raw["document"]) == list(fixed["document"]) and fixed["probability"].between(0, 1).all()
    assert not np.allclose(raw["probability"], fixed["probability"])


def test_an_interview_unlike_the_coded_ones_is_not_recalibrated(store, blank_nlp, tmp_path, monkeypatch):
    """The curve is fitted on familiar interviews; an unlike one's chances rest on the codebook's kept suggestions."""
    from tests.conftest import sample_study
    from toolkit.analysis.estimates_store import store_estimates
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.estimator import CodeSuggester
    from toolkit.suggest.lemmas import SimpleLemmatizer

    documents = ["S01", "S02", "S03", "S04", "S06", "S08"]
    sample_study(store, blank_nlp, tmp_path, documents, documents[:4])
    monkeypatch.setattr(
        CodeSuggester, "unfamiliar_turns", lambda model: np.array([d == "S08" for d in model.groups_[: model.n_rows_]])
    )
    kwargs = {"embedder": HashingEmbedder(), "lemmatizer": SimpleLemmatizer()}
    raw = store_estimates(store, coder="alice", recalibrated=False, **kwargs)["interviews"]
    fixed = store_estimates(store, coder="alice", recalibrated=True, **kwargs)["interviews"]
    unlike = (raw["document"] == "S08").to_numpy()
    np.testing.assert_allclose(fixed["probability"][unlike], raw["probability"][unlike])
    assert not np.allclose(fixed["probability"][~unlike], raw["probability"][~unlike])  # S06 is recalibrated


def test_estimates_recalibration_fits_one_model_per_group_at_the_full_fits_evidence_weight(
    store, blank_nlp, tmp_path, monkeypatch
):
    """Groups of coded interviews, not one fit each: the dashboard's estimate took 2 minutes with 24 coded."""
    from tests.conftest import sample_study
    from toolkit.analysis import estimates_store
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.estimator import CodeSuggester
    from toolkit.suggest.lemmas import SimpleLemmatizer

    documents = ["S01", "S02", "S03", "S04", "S06", "S08"]
    sample_study(store, blank_nlp, tmp_path, documents, documents[:4])
    kwargs = {"embedder": HashingEmbedder(), "lemmatizer": SimpleLemmatizer(), "coder": "alice"}
    full_weights: list[tuple[float, float]] = []  # (the weight asked for, 0 = choose; the weight fitted)
    real_fit = CodeSuggester.fit

    def recording_fit(model, *args, **kw):
        asked = float(model.evidence_weight)
        fitted = real_fit(model, *args, **kw)
        full_weights.append((asked, fitted.evidence_weight_))
        return fitted

    monkeypatch.setattr(CodeSuggester, "fit", recording_fit)
    for folds, fits in ((2, 2), (None, 4), (9, 4)):  # more groups than coded interviews: one each
        full_weights.clear()
        totals: set[int] = set()
        estimates_store.store_estimates(
            store, recalibration_folds=folds, on_progress=lambda done, total: totals.add(total), **kwargs
        )
        assert totals == {fits}
        (asked, chosen), *held = full_weights
        assert asked == 0 and held == [(chosen, chosen)] * fits  # the full fit chooses; the held-out fits reuse it
