"""The codebook's own pick for a turn is suggested from a floor under the threshold while few turns are coded."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import ConfigError
from toolkit.suggest.estimator import CodeSuggester, SuggestConfig

from .test_suggest import make_prototypes


def test_the_floor_rises_from_its_own_value_to_the_threshold_with_the_codes_coded_turns():
    model = CodeSuggester(make_prototypes(), threshold=0.4, codebook_pick_floor=0.3, prior_strength=2.0)
    model.positives_ = np.array([0, 2, 18, 0])
    np.testing.assert_allclose(model.codebook_pick_floors(), [0.30, 0.35, 0.39, 0.30])
    for off in ({"codebook_pick_floor": 0.0}, {"prior_strength": 0.0}, {"codebook_pick_floor": 0.45}):
        model.set_params(**{"codebook_pick_floor": 0.3, "prior_strength": 2.0, **off})
        assert model.codebook_pick_floors() is None  # off; no prior; a floor above the threshold is no floor
    with pytest.raises(ConfigError, match="codebook_pick_floor"):
        SuggestConfig(codebook_pick_floor=1.0)


# Through the real path (a fitted model, stored suggestions, their explanations, and off with 0):
# tests/suggest/test_suggestions.py::test_suggestions_stored_with_model_versions_and_explanations.
