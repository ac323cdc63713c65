"""A queue of what is new: no suggestion repeats a code a person already put on the turn; no duplicates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from toolkit.coding.on_turn import codes_on_turns
from toolkit.coding.review import add_coder, add_coding, decide, suggestion_context
from toolkit.store.models import Coder, Coding, Suggestion
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.estimator import UNLABELLED
from toolkit.suggest.lemmas import SimpleLemmatizer
from toolkit.suggest.suggestions import review_queue, suggest, suggestion_rows

from ..conftest import sample_study

DOCS = ["S01", "S02", "S03", "S04", "S06", "S08"]


@pytest.fixture
def study(store, blank_nlp, tmp_path):
    sample_study(store, blank_nlp, tmp_path, DOCS, DOCS[:4])
    add_coder(store, "bob")
    return store


def _suggest(store):
    return suggest(store, embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer(), actor="test")


def test_queue_never_holds_a_code_a_person_already_applied_to_the_turn(study):
    report = _suggest(study)
    rows = suggestion_rows(study)
    with study.read() as session:
        present = codes_on_turns(session, [r["segment_id"] for r in rows])
        coded_segments = session.scalar(select(func.count(func.distinct(Coding.segment_id))))
    assert coded_segments and report.already_coded > 0  # the model did propose codes already there ...
    assert all(r["code"] not in present.get(r["segment_id"], {}) for r in rows)  # ... and none was stored


def test_queue_drops_a_suggestion_once_someone_codes_the_turn_with_it(study):
    _suggest(study)
    first = review_queue(study, "document")[0]
    add_coding(study, "bob", first["document"], first["start"], first["end"], first["code"])
    assert first["id"] not in {r["id"] for r in review_queue(study, "document")}


def test_card_shows_codes_on_the_turn_and_who_applied_them(study):
    _suggest(study)
    item = review_queue(study, "document")[0]
    other = "root_cause.family" if item["code"] != "root_cause.family" else "root_cause.economic"
    add_coding(study, "bob", item["document"], item["start"], item["end"], other)
    context = suggestion_context(study, item["id"])
    assert {"code": other, "coders": ["bob"]} in context["codes_on_turn"]


def test_accepting_never_duplicates_an_existing_coding(study):
    _suggest(study)
    item = review_queue(study, "document")[0]
    add_coding(study, "bob", item["document"], item["start"], item["end"], item["code"])

    def bobs():
        with study.read() as session:
            return session.scalar(
                select(func.count(Coding.id)).join(Coder).where(Coder.name == "bob", Coding.code_id == item["code"])
            )

    before = bobs()
    decide(study, "bob", item["id"], "accept")  # taken from an old list: the queue no longer shows it
    assert bobs() == before
    with study.read() as session:
        assert session.get(Suggestion, item["id"]).status == "accepted"


def test_live_model_learns_each_decision_and_reorders_the_queue(study):
    from toolkit.coding.review import decide
    from toolkit.suggest.live import LiveModel, decision_labels

    _suggest(study)
    live = LiveModel(study, embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())
    queue = review_queue(study, "document")
    # a suggestion on a turn whose label for the code is not yet known (a rejection there teaches something)
    item = next(
        q for q in queue if live.model.labels_[live.row_of[q["segment_id"]], live.col_of[q["code"]]] == UNLABELLED
    )
    before = live.probability(item["segment_id"], item["code"])
    decide(study, "bob", item["id"], "reject")
    live.record(item["segment_id"], decision_labels("reject", item["code"]))
    after = live.probability(item["segment_id"], item["code"])
    assert live.decisions == 1 and after is not None and before is not None and after < before
    reordered = live.reorder(review_queue(study, "uncertainty"))
    distances = [abs(r["probability"] - 0.5) for r in reordered]
    assert distances == sorted(distances) and item["id"] not in {r["id"] for r in reordered}
    assert decision_labels("change", "a", "b") == [("a", 0), ("b", 1)]


def test_suggest_reports_progress_from_start_to_end(study):
    from toolkit.suggest.suggestions import documents_without_suggestions

    assert documents_without_suggestions(study) == DOCS
    steps: list[tuple[float, str]] = []
    suggest(
        study,
        documents=["S06"],
        embedder=HashingEmbedder(),
        lemmatizer=SimpleLemmatizer(),
        on_progress=lambda share, step: steps.append((share, step)),
    )
    shares = [s for s, _ in steps]
    assert shares == sorted(shares) and shares[-1] == 1.0 and any("embedding" in s for _, s in steps)
    assert "S06" not in documents_without_suggestions(study)
