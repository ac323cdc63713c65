"""A suggestion's explanation says how often the codebook's own suggestion of its code was applied on coded turns."""

from __future__ import annotations

import numpy as np

from toolkit.coding.review import explanation_lines
from toolkit.suggest.estimator import UNLABELLED, CodeSuggester

from .test_selection import GROUPS, TWICE
from .test_suggest import labels_for, make_batch, make_prototypes


def test_the_record_counts_the_coded_turns_on_which_the_codebook_alone_suggests_each_code() -> None:
    protos, batch = make_prototypes(), make_batch(TWICE)
    labels = labels_for(TWICE, protos.code_ids)
    model = CodeSuggester(protos).fit(batch, labels, GROUPS)
    alone = CodeSuggester(protos).fit(batch, np.full(labels.shape, UNLABELLED, dtype=labels.dtype))
    raw = alone.predict_proba(batch)  # the codebook alone: the scores its own rule cuts at 0.5, best per turn
    fires = (raw >= 0.5) & (raw >= raw.max(axis=1, keepdims=True))
    record = model.codebook_record_
    assert record is not None and record.shape == (len(protos.code_ids), 2)
    np.testing.assert_array_equal(record[:, 0], fires.sum(axis=0))
    np.testing.assert_array_equal(record[:, 1], (fires & (labels == 1)).sum(axis=0))
    assert record[:, 0].sum() > 0
    reasons = [(j, why) for turn in model.explain(batch) for j, why in turn.items()]
    assert reasons
    for j, why in reasons:
        if record[j, 0]:
            assert (why["codebook_suggested"], why["codebook_applied"]) == (record[j, 0], record[j, 1])
        else:
            assert "codebook_suggested" not in why


def test_nothing_coded_means_no_record_is_claimed() -> None:
    protos, batch = make_prototypes(), make_batch(TWICE)
    model = CodeSuggester(protos).fit(batch, np.full((len(TWICE), len(protos.code_ids)), UNLABELLED, dtype=np.int8))
    assert getattr(model, "codebook_record_", None) is None
    assert not any("codebook_suggested" in why for turn in model.explain(batch) for why in turn.values())


def test_the_review_card_shows_the_record_and_old_explanations_still_read() -> None:
    lines = explanation_lines({"method": "zero-shot", "codebook_suggested": 6, "codebook_applied": 5})
    assert "the codebook alone would suggest it on 6 coded turns; people applied it on 5" in lines
    assert not any("codebook alone" in line for line in explanation_lines({"method": "few-shot"}))
