"""Without pymorphy3, Russian lemmas fall back to lower-cased word forms, with a warning naming the fix."""

from __future__ import annotations

import sys

import pytest

from toolkit.suggest import lemmas_multilingual
from toolkit.suggest.lemmas_multilingual import NO_PYMORPHY3, RussianLemmatizer


@pytest.fixture
def no_pymorphy3(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymorphy3", None)  # `import pymorphy3` now raises ImportError
    lemmas_multilingual._russian_pipeline.cache_clear()
    yield
    lemmas_multilingual._russian_pipeline.cache_clear()  # the next user loads the real lemmatiser again


def test_lemmas_without_pymorphy3_are_lower_cased_forms_and_warn(no_pymorphy3):
    with pytest.warns(UserWarning, match=r"pip install 'pymorphy3"):
        lemmatizer = RussianLemmatizer()
    assert lemmatizer.mode == "lower" and lemmatizer.warnings == [NO_PYMORPHY3]
    assert lemmatizer.name == "lemmas:ru-lower"
    (out,) = lemmatizer.lemmatize(["Я Проверял ФИРМУ"])
    assert out.split() == ["я", "проверял", "фирму"]


def test_lemmas_with_pymorphy3_are_dictionary_forms_and_do_not_warn(recwarn):
    lemmas_multilingual._russian_pipeline.cache_clear()
    lemmatizer = RussianLemmatizer()
    assert lemmatizer.mode == "pymorphy3" and lemmatizer.warnings == []
    assert not [w for w in recwarn if "pymorphy3" in str(w.message)]
    assert lemmatizer.lemmatize(["Я Проверял ФИРМУ"])[0].split() == ["я", "проверять", "фирма"]
