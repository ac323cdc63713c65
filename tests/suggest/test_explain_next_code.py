"""A suggestion's explanation names the most likely code not suggested for the turn: what to change it to."""

from __future__ import annotations

from toolkit.coding.review import explanation_lines
from toolkit.suggest.estimator import CodeSuggester
from toolkit.suggest.evidence import code_evidence
from toolkit.suggest.explain import Explainer

from .test_suggest import TURNS, labels_for, make_batch, make_prototypes


def test_the_next_code_is_the_most_probable_one_not_suggested_for_the_turn() -> None:
    protos = make_prototypes()
    batch = make_batch(TURNS)
    model = CodeSuggester(protos).fit(batch, labels_for(TURNS, protos.code_ids))
    probs = model.predict_proba(batch)
    chosen = model.decide(probs)
    reasons = [(i, j, why) for i, turn in enumerate(model.explain(batch, probs)) for j, why in turn.items()]
    assert reasons
    for i, j, why in reasons:
        others = [k for k in range(len(protos.code_ids)) if not chosen[i, k]]
        best = max(others, key=lambda k: probs[i, k])
        assert why["next_code"] == protos.code_ids[best] != protos.code_ids[j]
        assert why["next_probability"] == round(float(probs[i, best]), 3)
        assert not chosen[i, protos.code_ids.index(why["next_code"])]


def test_the_review_card_shows_the_next_code_and_old_explanations_still_read() -> None:
    lines = explanation_lines({"method": "few-shot", "next_code": "root_cause.family", "next_probability": 0.31})
    assert lines[-1] == "most likely code not suggested here: root_cause.family (probability 0.31)"
    assert not any("not suggested" in line for line in explanation_lines({"method": "few-shot"}))


def test_without_probabilities_no_next_code_is_claimed() -> None:
    protos = make_prototypes()
    batch = make_batch(TURNS)
    model = CodeSuggester(protos).fit(batch, labels_for(TURNS, protos.code_ids))
    chosen = model.predict(batch)
    reasons = Explainer(protos).explain(batch, chosen, code_evidence(batch, protos), model.trained_)
    assert any(turn for turn in reasons)
    assert not any("next_code" in why for turn in reasons for why in turn.values())
