"""Optimistic versioning on both back-ends: a change to a row someone else changed meanwhile is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from toolkit.coding import review
from toolkit.coding.review import add_coder, add_coding, decide, recode, remove_coding, undo_last
from toolkit.errors import AlreadyDecidedError, StaleVersionError
from toolkit.store.engine import open_store
from toolkit.store.models import Coding, Suggestion
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.lemmas import SimpleLemmatizer
from toolkit.suggest.suggestions import suggest

from ..conftest import sample_study


@pytest.fixture
def team(any_store, blank_nlp, tmp_path):
    sample_study(any_store, blank_nlp, tmp_path, ["S01", "S02", "S03"], ["S01", "S02"])
    for name in ("bob", "carol"):
        add_coder(any_store, name)
    suggest(any_store, documents=["S03"], embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())
    return any_store


def version(store, model, row_id: int) -> int | None:
    with store.read() as session:
        row = session.get(model, row_id)
        return row.version if row else None


def first_open(store) -> int:
    with store.read() as session:
        return session.scalar(select(Suggestion.id).where(Suggestion.status == "open").order_by(Suggestion.id))


def test_versions_every_change_of_a_coding_bumps_its_version(team):
    cid = add_coding(team, "bob", "S03", 10, 60, "root_cause.family")
    assert version(team, Coding, cid) == 1
    recode(team, "bob", cid, "root_cause.economic", expected_version=1)
    assert version(team, Coding, cid) == 2
    remove_coding(team, "bob", cid, expected_version=2)
    assert version(team, Coding, cid) is None


def test_versions_recode_of_a_coding_changed_meanwhile_is_refused_naming_who(team):
    cid = add_coding(team, "bob", "S03", 10, 60, "root_cause.family")
    recode(team, "bob", cid, "root_cause.economic", expected_version=1)  # bob's other tab
    saw = r"coding \d+: bob \(coding.recode at .*version 1 when you saw it, now 2"
    with pytest.raises(StaleVersionError, match=saw):
        recode(team, "bob", cid, "root_cause.education", expected_version=1)
    with team.read() as session:
        assert session.get(Coding, cid).code_id == "root_cause.economic"  # the first change stands


def test_versions_removing_a_coding_removed_meanwhile_names_who(team):
    cid = add_coding(team, "bob", "S03", 10, 60, "root_cause.family")
    remove_coding(team, "bob", cid, expected_version=1)
    with pytest.raises(StaleVersionError, match=r"bob \(coding.remove at .*removed it"):
        remove_coding(team, "bob", cid, expected_version=1)


def test_versions_decision_on_a_suggestion_decided_and_reopened_meanwhile_is_refused(team):
    sid = first_open(team)
    shown = version(team, Suggestion, sid)
    decide(team, "carol", sid, "accept")
    undo_last(team, "carol")  # open again, but not the suggestion bob was shown
    assert version(team, Suggestion, sid) == shown + 2
    with pytest.raises(StaleVersionError, match=r"suggestion \d+: carol \(suggestion.undo at "):
        decide(team, "bob", sid, "reject", expected_version=shown)
    with team.read() as session:
        assert session.get(Suggestion, sid).status == "open"
    assert decide(team, "bob", sid, "reject", expected_version=shown + 2).status == "rejected"


def test_versions_decision_on_a_suggestion_decided_meanwhile_names_the_reviewer(team):
    sid = first_open(team)
    shown = version(team, Suggestion, sid)
    decide(team, "carol", sid, "reject", expected_version=shown)
    with pytest.raises(AlreadyDecidedError, match="already decided by carol"):
        decide(team, "bob", sid, "accept", expected_version=shown)


def test_versions_change_racing_between_read_and_write_is_refused(team, monkeypatch):
    """The other tab commits after this transaction read the row and before it writes: the version catches it."""
    cid = add_coding(team, "bob", "S03", 10, 60, "root_cause.family")
    other = open_store(team.engine.url.render_as_string(hide_password=False))  # another tab, its own connection
    real = review._own_coding

    def read_then_other_tab_writes(tx, coder, coding_id, expected_version=None):
        coding = real(tx, coder, coding_id, expected_version)
        monkeypatch.setattr(review, "_own_coding", real)
        recode(other, "bob", coding_id, "root_cause.economic")
        return coding

    monkeypatch.setattr(review, "_own_coding", read_then_other_tab_writes)
    with pytest.raises(StaleVersionError, match=r"bob \(coding.recode at .*now 2"):
        recode(team, "bob", cid, "root_cause.education")
    with team.read() as session:
        assert session.get(Coding, cid).code_id == "root_cause.economic"
    other.close()


def test_versions_undo_racing_another_undo_is_refused_and_undoes_once(team, monkeypatch):
    sid = first_open(team)
    decide(team, "bob", sid, "accept")
    other = open_store(team.engine.url.render_as_string(hide_password=False))  # bob's other tab
    real = review.utcnow

    def other_tab_undoes_first():
        monkeypatch.setattr(review, "utcnow", real)
        undo_last(other, "bob")
        return real()

    monkeypatch.setattr(review, "utcnow", other_tab_undoes_first)
    with pytest.raises(StaleVersionError, match=rf"suggestion {sid}: bob \(suggestion.undo at .*nothing was undone"):
        undo_last(team, "bob")
    with team.read() as session:
        assert session.get(Suggestion, sid).status == "open"
        assert session.scalar(select(Coding).where(Coding.suggestion_id == sid)) is None
    other.close()
