"""Nested selection never looks at the interview it scores; the learning curve; the codebook prior."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.suggest import selection
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester
from toolkit.suggest.learning_curve import learning_curve
from toolkit.suggest.selection import SelectionGrid, nested_predictions

from .test_suggest import TURNS, labels_for, make_batch, make_prototypes

TWICE = TURNS + [(q, t.replace(".", " really."), codes) for q, t, codes in TURNS]
GROUPS = [f"d{i % 4}" for i in range(len(TWICE))]
GRID = SelectionGrid(C=(1.0, 5.0), prior_strength=(0.0, 3.0), threshold=(0.4, 0.5), inner_splits=3)


def test_selection_inner_folds_never_see_the_held_out_interview(monkeypatch):
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    seen: list[set[str]] = []
    real = selection._inner_choice

    def spy(model, batch_, labels_, rows, groups, grid):
        seen.append({groups[i] for i in rows})
        return real(model, batch_, labels_, rows, groups, grid)

    monkeypatch.setattr(selection, "_inner_choice", spy)
    pred, probs, chosen = nested_predictions(CodeSuggester(protos), batch, labels, GROUPS, GRID)
    assert len(seen) == 4 and all(len(s) == 3 for s in seen)
    assert set().union(*seen) == set(GROUPS)  # each fold's training interviews are the other three
    assert sum(chosen.values()) == 4
    assert all(c in GRID.C and k in GRID.prior_strength and t in GRID.threshold for c, k, t in chosen)
    assert pred.shape == labels.shape and np.all((probs >= 0) & (probs <= 1))


def test_selection_hidden_labels_of_the_held_out_interview_do_not_change_its_score():
    """Flipping the held-out interview's labels changes nothing about how it is scored."""
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    held = np.array([g == "d0" for g in GROUPS])
    model = CodeSuggester(protos)
    base = selection._inner_choice(model, batch, labels, np.where(~held)[0], np.asarray(GROUPS), GRID)
    flipped = labels.copy()
    flipped[held] = 1 - flipped[held]
    again = selection._inner_choice(model, batch, flipped, np.where(~held)[0], np.asarray(GROUPS), GRID)
    assert base == again


def test_learning_curve_points_ranges_and_zero_shot_start():
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    curve = learning_curve(CodeSuggester(protos), batch, labels, GROUPS, sizes=(0, 1, 2, 8), orders=3)
    assert [p["coded_interviews"] for p in curve["points"]] == [0, 1, 2, 3]  # 8 capped at all but one
    for point in curve["points"]:
        for metric in ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "decisions_right"):
            m = point[metric]
            assert 0.0 <= m["min"] <= m["mean"] <= m["max"] <= 1.0
    zero = CodeSuggester(protos).fit(batch, np.full(labels.shape, UNLABELLED, dtype=np.int8)).predict(batch)
    right = float(((labels == 1) == zero).all(axis=1).mean())
    assert curve["points"][0]["decisions_right"]["mean"] == pytest.approx(right, abs=1e-4)


def test_prior_strength_keeps_the_codebook_as_evidence():
    batch, protos = make_batch(TURNS), make_prototypes()
    labels = labels_for(TURNS, protos.code_ids)
    plain = {"calibrate": False}  # the blend's arithmetic, on the raw scores
    learnt = CodeSuggester(protos, prior_strength=0.0, **plain).fit(batch, labels)
    zero = CodeSuggester(protos, **plain).fit(batch, np.full(labels.shape, UNLABELLED, dtype=np.int8))
    p_learnt, p_zero = learnt.predict_proba(batch), zero.predict_proba(batch)
    strong = CodeSuggester(protos, prior_strength=1e6, **plain).fit(batch, labels).predict_proba(batch)
    np.testing.assert_allclose(strong, p_zero, atol=1e-4)  # an overwhelming prior is the codebook alone
    mixed = CodeSuggester(protos, prior_strength=2.0, **plain).fit(batch, labels).predict_proba(batch)
    n = learnt.positives_[0]
    long = np.array([len(t.split()) >= 2 for t in batch.texts])
    expected = (n * p_learnt[:, 0] + 2.0 * p_zero[:, 0]) / (n + 2.0)
    np.testing.assert_allclose(mixed[long, 0], expected[long], atol=1e-9)
