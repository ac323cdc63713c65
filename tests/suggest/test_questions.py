"""Content-free interviewer questions ("Can you tell me about it?") are read as no question at all."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.suggest.estimator import CodeSuggester, SuggestConfig
from toolkit.suggest.questions import account_rows, content_free, without_content_free_questions

from .test_selection import GROUPS, TWICE
from .test_suggest import TURNS, labels_for, make_batch, make_prototypes

ANSWER = "My mother is ill and my children need food."


@pytest.mark.parametrize(
    "lemmas",
    [
        "can you tell i about it",
        "go on",
        "what happen then",
        "how be that for you",
        "be there anything else you would like to add",
        "",
        "рассказать пожалуйста",
        "что было потом",
        "что было далёкий",
        "как вы себя чувствовать",
    ],
)
def test_questions_that_name_no_topic_are_content_free(lemmas):
    assert content_free(lemmas)


@pytest.mark.parametrize(
    "lemmas",
    [
        "can you tell i about your family",
        "do you sign anything",
        "how do you find the job",
        "you do not NOT_go NOT_to school",
        "рассказать о ваш семья",
    ],
)
def test_questions_that_name_a_topic_are_kept(lemmas):
    assert not content_free(lemmas)


def test_a_batch_reads_its_content_free_questions_as_absent_and_keeps_their_text():
    batch = make_batch([*TURNS, ("Can you tell me about it?", ANSWER, set())])
    gated = without_content_free_questions(batch)
    free = [i for i, lemmas in enumerate(batch.question_lemmas) if content_free(lemmas)]
    kept = [i for i in range(len(batch)) if i not in free]
    assert free == [6, 8]  # "What do you do now?" and the generic prompt
    assert not gated.question_vecs[free].any() and all(gated.question_lemmas[i] == "" for i in free)
    np.testing.assert_array_equal(gated.question_vecs[kept], batch.question_vecs[kept])
    assert [gated.question_lemmas[i] for i in kept] == [batch.question_lemmas[i] for i in kept]
    assert gated.questions == batch.questions  # the reviewer still sees what was asked
    assert without_content_free_questions(batch) is gated  # memoised: a fitted batch is found again
    assert without_content_free_questions(gated) is gated
    topical = make_batch(TURNS[:3])
    assert without_content_free_questions(topical) is topical


def test_an_answer_after_a_content_free_question_scores_as_with_no_question():
    protos = make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    new = make_batch(
        [
            ("Can you tell me about it?", ANSWER, set()),
            ("", ANSWER, set()),
            ("Tell me about your family.", ANSWER, set()),
        ]
    )
    probs = {}
    for ignore in (True, False):
        model = CodeSuggester(protos, ignore_content_free_questions=ignore).fit(make_batch(TWICE), labels, GROUPS)
        probs[ignore] = model.predict_proba(new)
        assert model.config.ignore_content_free_questions is ignore
    np.testing.assert_allclose(probs[True][0], probs[True][1])
    assert not np.allclose(probs[False][0], probs[False][1])  # read as a question, the prompt moved the scores
    assert not np.allclose(probs[True][0], probs[True][2])  # a topical question still counts


def test_the_setting_is_part_of_the_suggestion_config():
    assert SuggestConfig().ignore_content_free_questions is True
    model = CodeSuggester.from_config(make_prototypes(), SuggestConfig(ignore_content_free_questions=False))
    assert model.ignore_content_free_questions is False


@pytest.mark.model
def test_the_installed_lemmatizers_make_prompts_content_free_and_topics_not():
    """The lists meet real lemma strings: spaCy's English pipeline ("me" -> "I") and pymorphy3's Russian."""
    from toolkit.suggest.lemmas import SpacyLemmatizer
    from toolkit.suggest.lemmas_multilingual import RussianLemmatizer

    prompts = ["Can you tell me about it?", "Go on.", "What happened then?", "Is there anything you'd like to add?"]
    topics = ["Did you sign a contract?", "How did you find the job?", "Can you tell me about your family?"]
    english = SpacyLemmatizer().lemmatize(prompts + topics)
    assert [content_free(lemmas) for lemmas in english] == [True] * len(prompts) + [False] * len(topics)
    russian = RussianLemmatizer().lemmatize(
        ["Расскажите, пожалуйста, об этом.", "Что было дальше?", "Вы подписывали договор?", "Расскажите о семье."]
    )
    assert [content_free(lemmas) for lemmas in russian] == [True, True, False, False]


def test_a_whole_account_is_a_documents_only_turn_after_no_topical_question():
    """A statement, with or without a generic prompt; never a turn of an interview, with or without questions."""
    documents = ["interview", "interview", "interview", "prompted", "statement", "asked", "removed", "removed"]
    lemmas = ["what work do you do", "go on", "", "can you tell i your story", "", "what do your family say", "", ""]
    assert account_rows(documents, lemmas) == [3, 4]
