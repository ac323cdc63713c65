"""The Overview shows root causes estimated for the uncoded interviews, labelled as an estimate."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from toolkit.ui.harness import page_script

from .conftest import UNCODED

pytestmark = pytest.mark.model


def test_overview_estimates_uncoded_interviews_labelled_as_estimate_and_names_those_unlike_the_coded(
    demo_url, monkeypatch
):
    """One estimate run (about 10 s on two cores) serves both checks: the labelled estimate, and those named."""
    import numpy as np

    from toolkit.suggest.estimator import CodeSuggester

    monkeypatch.setenv("QDA_EMBEDDING_MODEL", "hashing")  # the project chose no model: a fast one for the test
    unlike = sorted(UNCODED)[0]
    monkeypatch.setattr(
        CodeSuggester, "unfamiliar_turns", lambda model: np.array([d == unlike for d in model.groups_[: model.n_rows_]])
    )
    at = AppTest.from_function(page_script, args=("overview_page", demo_url), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("estimate before coding is finished" in h.value for h in at.subheader)
    assert not [m for m in at.markdown if "Code next" in m.value]  # nothing computed before the click
    at.button(key="estimate_uncoded").click().run()
    assert not at.exception, [e.value for e in at.exception]
    texts = [m.value for m in at.markdown]
    assert any(t.startswith("**Estimate**") for t in texts)
    following = [t for t in texts if "Code next" in t]
    assert following and any(name in following[0] for name in UNCODED)
    table = at.dataframe[-1].value
    assert f"estimate for the {len(UNCODED)} uncoded" in table.columns
    assert table.iloc[:, 2].str.startswith("estimate").all()
    notes = [c.value for c in at.caption if "unlike the coded interviews" in c.value.lower()]
    assert notes and f"1 of {len(UNCODED)} uncoded" in notes[0] and unlike in notes[0]


def test_overview_shows_no_estimate_when_everything_is_coded(sample_store, monkeypatch):
    monkeypatch.setenv("QDA_EMBEDDING_MODEL", "hashing")
    at = AppTest.from_function(page_script, args=("overview_page", sample_store.url), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("estimate" in h.value for h in at.subheader)
