"""Interviews unlike every coded one keep the codebook's suggestions unless the learnt model rejects them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from toolkit.errors import ConfigError
from toolkit.suggest import novelty
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester, SuggestConfig
from toolkit.suggest.novelty import familiarity, keep_codebook_suggestions, kept_share, unfamiliar_rows

from .test_selection import GROUPS, TWICE
from .test_suggest import TURNS, labels_for, make_batch, make_prototypes

RNG = np.random.default_rng(0)
BASE = RNG.normal(size=16)


def near(n: int, scale: float = 0.1) -> np.ndarray:
    """Vectors close to one shared direction (interviews alike)."""
    return BASE + scale * RNG.normal(size=(n, 16))


def away(n: int) -> np.ndarray:
    """Vectors pointing the other way (an interview unlike the others)."""
    return -BASE + 0.1 * RNG.normal(size=(n, 16))


def test_familiarity_compares_each_interview_with_the_coded_turns_of_the_others_only():
    vecs = np.vstack([near(3), away(3)])
    groups = ["a"] * 3 + ["b"] * 3
    coded = np.ones(6, dtype=bool)
    scores = familiarity(vecs, groups, coded)
    # each is measured against the other one only: its own identical turns would have made it familiar
    assert scores["a"] < 0 and scores["b"] < 0


def test_an_uncoded_interview_unlike_every_coded_one_is_unfamiliar_and_one_alike_is_not():
    vecs = np.vstack([near(3), near(3), near(3), near(3), away(3)])
    groups = ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["new"] * 3 + ["other"] * 3
    coded = np.array([True] * 9 + [False] * 6)
    rows = unfamiliar_rows(vecs, groups, coded)
    assert rows.tolist() == [False] * 12 + [True] * 3


def test_nothing_is_unfamiliar_before_two_interviews_are_coded():
    vecs = np.vstack([near(3), away(3)])
    groups = ["a"] * 3 + ["other"] * 3
    assert not unfamiliar_rows(vecs, groups, np.array([True] * 3 + [False] * 3)).any()


def test_an_interview_just_below_the_least_familiar_coded_one_is_not_unfamiliar(monkeypatch):
    """'Clearly' less familiar: within one standard deviation of the coded interviews' spread it is not."""
    scores = {"a": 0.60, "b": 0.58, "c": 0.50, "new": 0.49, "far": 0.40}  # floor 0.50 - sd 0.043 = 0.457
    monkeypatch.setattr(novelty, "familiarity", lambda *args, **kwargs: scores)
    groups = ["a", "b", "c", "new", "far"]
    coded = np.array([True, True, True, False, False])
    assert unfamiliar_rows(np.zeros((5, 2)), groups, coded).tolist() == [False, False, False, False, True]


def test_the_codebook_suggestion_stands_unless_the_learnt_score_vetoes_it():
    probs = np.array([[0.10, 0.10, 0.10, 0.60], [0.10, 0.10, 0.10, 0.10]])
    fires = np.array([[True, True, True, True], [True, True, True, True]])
    learnt = np.array([[0.50, 0.05, np.nan, 0.50], [0.50, 0.50, 0.50, 0.50]])
    rows = np.array([True, False])
    kept = keep_codebook_suggestions(probs, fires, learnt, rows, veto=0.2, threshold=0.4)
    # kept where the classifier does not reject it (or there is none); never lowered; other rows untouched
    np.testing.assert_allclose(kept[0], [0.40, 0.10, 0.40, 0.60])
    np.testing.assert_allclose(kept[1], probs[1])
    np.testing.assert_allclose(keep_codebook_suggestions(probs, fires, learnt, rows, 0.0, 0.4), probs)  # 0: off
    no_fire = keep_codebook_suggestions(probs, ~fires, learnt, rows, veto=0.2, threshold=0.4)
    np.testing.assert_allclose(no_fire, probs)


def with_unfamiliar_interview():
    """The two-copy toy corpus (four coded interviews) and one more, uncoded, whose turns point elsewhere."""
    turns = TWICE + TURNS
    batch = make_batch(turns)
    vecs = batch.turn_vecs.copy()
    basis, _ = np.linalg.qr(vecs[: len(TWICE)].T)  # the span of the coded turns
    elsewhere = np.random.default_rng(1).normal(size=(len(TURNS), vecs.shape[1]))  # its own: order-free
    elsewhere -= elsewhere @ basis @ basis.T  # orthogonal to every coded turn: cosine 0 with each
    vecs[len(TWICE) :] = elsewhere  # the same words, but as a whole unlike every coded turn
    batch = replace(batch, turn_vecs=vecs)
    protos = make_prototypes()
    labels = labels_for(turns, protos.code_ids)
    labels[len(TWICE) :] = UNLABELLED
    groups = [*GROUPS, *["new"] * len(TURNS)]
    return batch, protos, labels, groups


def test_the_model_finds_the_unfamiliar_interview_and_changes_only_its_turns():
    batch, protos, labels, groups = with_unfamiliar_interview()
    # a threshold above the toy model's confident scores, so that a kept codebook suggestion shows as raised
    # and no self-training: the rule changes what the first fit is sure of, so the two second fits would differ
    config = {"min_positives": 2, "unfamiliar_veto": 0.01, "threshold": 0.999, "self_training": 0.0}
    model = CodeSuggester(protos, **config).fit(batch, labels, groups)
    off = CodeSuggester(protos, **{**config, "unfamiliar_veto": 0.0}).fit(batch, labels, groups)
    new = np.array([g == "new" for g in groups])
    assert model.unfamiliar_turns().tolist() == new.tolist()
    with_rule, without = model.predict_proba(batch), off.predict_proba(batch)
    np.testing.assert_allclose(with_rule[~new], without[~new])
    assert (with_rule[new] >= without[new] - 1e-12).all()
    raised = with_rule[new] > without[new] + 1e-9
    assert raised.sum() == 5  # the turns where the codebook alone suggests a code, each once
    assert np.allclose(with_rule[new][raised], model.threshold)


def test_without_interviews_nothing_is_unfamiliar():
    batch, protos, labels, _ = with_unfamiliar_interview()
    model = CodeSuggester(protos, min_positives=2).fit(batch, labels)
    assert not model.unfamiliar_turns().any()


def test_the_veto_is_part_of_the_suggestion_config():
    assert SuggestConfig().unfamiliar_veto == CodeSuggester().unfamiliar_veto == 0.2
    with pytest.raises(ConfigError, match="unfamiliar_veto"):
        SuggestConfig(unfamiliar_veto=1.0)


def test_the_explanation_says_the_interview_is_unlike_the_coded_ones():
    from toolkit.coding.review import explanation_lines

    batch, protos, labels, groups = with_unfamiliar_interview()
    model = CodeSuggester(protos, min_positives=2).fit(batch, labels, groups)
    reasons = model.explain(batch)
    new = [i for i, g in enumerate(groups) if g == "new"]
    flagged = {i for i, turn in enumerate(reasons) for why in turn.values() if why.get("unfamiliar_interview")}
    assert flagged and flagged <= set(new)
    why = next(why for turn in reasons for why in turn.values() if why.get("unfamiliar_interview"))
    lines = explanation_lines({**why, "neighbours": []})  # the store adds where each neighbour is
    assert any("unlike the coded ones" in line for line in lines)
    off = CodeSuggester(protos, min_positives=2, unfamiliar_veto=0.0).fit(batch, labels, groups)
    assert not any(why.get("unfamiliar_interview") for turn in off.explain(batch) for why in turn.values())


def test_a_new_fit_measures_familiarity_again():
    """The measure is kept between scoring and explaining one state, never across fits."""
    batch, protos, labels, groups = with_unfamiliar_interview()
    model = CodeSuggester(protos, min_positives=2).fit(batch, labels, groups)
    assert model.unfamiliar_turns().any()
    alike = make_batch(TWICE + TURNS)  # the same turns with their own vectors: like the coded ones
    assert not model.fit(alike, labels, groups).unfamiliar_turns().any()


def test_suggesting_for_some_documents_applies_the_rule_as_suggesting_for_all(store, blank_nlp, tmp_path, monkeypatch):
    """The dashboard suggests for the documents without suggestions: the rule must hold there too."""
    from sqlalchemy import select

    from tests.conftest import sample_study
    from toolkit.store.models import Suggestion
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.lemmas import SimpleLemmatizer
    from toolkit.suggest.suggestions import suggest, suggestion_rows

    documents = ["S01", "S02", "S03", "S04", "S06", "S08"]
    sample_study(store, blank_nlp, tmp_path, documents, documents[:4])
    calls: list[int] = []

    def only_s08(model: CodeSuggester) -> np.ndarray:
        calls.append(1)
        return np.array([d == "S08" for d in model.groups_[: model.n_rows_]])

    monkeypatch.setattr(CodeSuggester, "unfamiliar_turns", only_s08)
    # a veto nobody reaches: every codebook suggestion in S08 is kept, so the rule shows in what is stored
    config = SuggestConfig(unfamiliar_veto=1e-9)
    kwargs = {"embedder": HashingEmbedder(), "lemmatizer": SimpleLemmatizer(), "config": config}

    def stored() -> list[tuple[str, int, str, float]]:
        return [(r["document"], r["position"], r["code"], r["probability"]) for r in suggestion_rows(store, ["S08"])]

    report = suggest(store, **kwargs)
    assert report.unfamiliar_documents == ["S08"] and "1 interview is unlike the coded ones (S08)" in (
        report.unfamiliar_note()
    )
    everything = stored()
    assert suggest(store, documents=["S08"], **kwargs).unfamiliar_documents == ["S08"]
    assert calls and stored() == everything
    off = replace(config, unfamiliar_veto=0.0)
    assert not suggest(store, documents=["S08"], **{**kwargs, "config": off}).unfamiliar_note()  # rule off: no note
    assert stored() != everything  # the rule changed what S08 got, so the comparison above could fail
    suggest(store, documents=["S08"], **kwargs)
    with store.read() as session:
        explanations = session.scalars(select(Suggestion.explanation).where(Suggestion.status == "open")).all()
    assert any(e and e.get("unfamiliar_interview") for e in explanations)


def test_qda_suggest_names_the_unfamiliar_interviews(store, db_url, blank_nlp, tmp_path, monkeypatch):
    monkeypatch.setenv("QDA_PROGRESS", "1")  # bars drawn though stderr is no terminal here
    from typer.testing import CliRunner

    from tests.conftest import sample_study
    from toolkit.cli.main import app

    documents = ["S01", "S02", "S03", "S04", "S06", "S08"]
    sample_study(store, blank_nlp, tmp_path, documents, documents[:4])
    store.close()
    monkeypatch.setattr(
        CodeSuggester, "unfamiliar_turns", lambda model: np.array([d == "S08" for d in model.groups_[: model.n_rows_]])
    )
    result = CliRunner().invoke(app, ["--db", db_url, "suggest", "--model", "hashing", "--documents", "S06,S08"])
    assert result.exit_code == 0, result.output
    assert "1 interview is unlike the coded ones (S08)" in result.stdout
    assert "suggesting codes (per cent)" in result.stderr  # the bar; without --json too


def test_kept_suggestions_show_the_share_people_applied_but_rank_at_the_threshold():
    """Shown at that share they are calibrated; ranked at the threshold the decisions are as before."""
    batch, protos, labels, groups = with_unfamiliar_interview()
    # the toy classifiers are confident (0.96-0.997 on the kept pairs): a threshold and share above them show it
    model = CodeSuggester(protos, min_positives=2, unfamiliar_veto=0.01, threshold=0.99).fit(batch, labels, groups)
    assert model.kept_share() is not None
    share = 0.9995
    model.kept_share = lambda: share  # type: ignore[method-assign]
    probs, ranks = model.predict_proba_and_ranks(batch)
    np.testing.assert_allclose(probs, model.predict_proba(batch))
    new = np.array([g == "new" for g in groups])
    shown = ~np.isclose(probs, ranks)
    assert shown.any() and not shown[~new].any()  # only kept pairs of the unfamiliar interview differ
    np.testing.assert_allclose(probs[shown], share)
    assert (ranks[shown] >= model.threshold - 1e-12).all() and (ranks[shown] < share).all()
    counts = model.passage_counts(batch)
    assert (model.predict(batch) == model.decide(probs, counts, ranks)).all()
    model.kept_share = lambda: None  # type: ignore[method-assign]  # kept at the threshold: the same decisions
    assert (model.decide(*model.predict_proba_and_ranks(batch)[:1], counts) == model.predict(batch)).all()


def test_the_kept_share_counts_the_codebook_suggestions_the_classifiers_do_not_veto():
    batch, protos, labels, groups = with_unfamiliar_interview()
    everything = CodeSuggester(protos, min_positives=2, unfamiliar_veto=1e-9).fit(batch, labels, groups)
    suggested, applied = everything.codebook_record_.sum(axis=0)
    # a veto nothing reaches keeps every codebook suggestion: the share is the codebook's record over all codes
    assert everything.kept_precision_ == pytest.approx((applied + 1) / (suggested + 2))
    # a veto above some out-of-fold scores (the toy codebook's suggestions are all right) leaves fewer of them
    vetoing = CodeSuggester(protos, min_positives=2, unfamiliar_veto=0.9).fit(batch, labels, groups)
    assert vetoing.kept_precision_ is not None
    assert vetoing.kept_precision_ < everything.kept_precision_


def test_the_shown_share_carries_part_of_the_vetos_gain_over_the_codebooks_plain_record():
    """Out of fold the veto knows the coded interviews' authors: in an unlike interview its gain shrinks."""
    assert kept_share(0.5, 0.9, carried=0.25) == pytest.approx(0.6)
    assert kept_share(0.6, 0.6) == pytest.approx(0.6)
    assert kept_share(None, 0.8) == pytest.approx(0.8) and kept_share(0.55, None) == pytest.approx(0.55)
    assert kept_share(None, None) is None
    batch, protos, labels, groups = with_unfamiliar_interview()
    model = CodeSuggester(protos, min_positives=2, unfamiliar_veto=0.9).fit(batch, labels, groups)
    suggested, applied = model.codebook_record_.sum(axis=0)
    plain, vetoed = (applied + 1) / (suggested + 2), model.kept_precision_
    assert plain != pytest.approx(vetoed)  # the toy veto moves the share: the two ends differ
    assert model.kept_share() == pytest.approx(plain + novelty.VETO_GAIN_CARRIED * (vetoed - plain))


def test_leave_one_interview_out_decides_as_suggesting_does_where_suggestions_are_kept(monkeypatch):
    """``qda evaluate`` must rank a kept suggestion at the threshold, as ``qda suggest`` does, not at its share."""
    from toolkit.suggest import estimator
    from toolkit.suggest.evaluate import cross_validated_probabilities, cross_validated_scores

    monkeypatch.setattr(estimator, "_rate", lambda counts: 0.9995)  # a share above the toy model's scores
    batch, protos, labels, groups = with_unfamiliar_interview()
    labels = labels_for(TWICE + TURNS, protos.code_ids)  # the new interview coded too: left out in its fold
    model = CodeSuggester(protos, min_positives=2, unfamiliar_veto=0.01, threshold=0.99)
    probs, ranks = cross_validated_scores(model, batch, labels, groups)
    np.testing.assert_allclose(probs, cross_validated_probabilities(model, batch, labels, groups))
    new = np.array([g == "new" for g in groups])
    assert (~np.isclose(probs, ranks))[new].any()  # kept suggestions in the new interview when it is left out
    held = labels.copy()
    held[new] = UNLABELLED
    fitted = CodeSuggester(protos, min_positives=2, unfamiliar_veto=0.01, threshold=0.99).fit(batch, held, groups)
    counts = fitted.passage_counts(batch)
    assert (fitted.decide(probs, counts, ranks)[new] == fitted.predict(batch)[new]).all()
