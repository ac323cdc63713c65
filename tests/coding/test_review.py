"""Coding, memos, review decisions, undo, audit, blind mode and the terminal review flow."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.codings import coding_rows
from toolkit.coding.review import (
    AlreadyDecidedError,
    add_coder,
    add_coding,
    add_memo,
    audit_trail,
    decide,
    is_blind,
    list_memos,
    recode,
    remove_coding,
    set_blind,
    suggestion_context,
    undo_last,
    visible_codings,
)
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.store.engine import open_store
from toolkit.store.models import ORIGIN_ACCEPTED, Coding, Segment, Suggestion
from toolkit.suggest.embed import HashingEmbedder
from toolkit.suggest.lemmas import SimpleLemmatizer
from toolkit.suggest.suggestions import suggest

from ..conftest import sample_study

DOCS = ["S01", "S02", "S03", "S04"]


@pytest.fixture
def study(store, blank_nlp, tmp_path):
    sample_study(store, blank_nlp, tmp_path, DOCS, DOCS[:3])
    for name in ("bob", "carol"):
        add_coder(store, name)
    suggest(store, documents=["S04"], embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())
    return store


def first_open(store) -> int:
    with store.read() as session:
        return session.scalar(select(Suggestion.id).where(Suggestion.status == "open").order_by(Suggestion.id))


def test_review_span_codings_overlap_and_belong_to_their_coder(study):
    a = add_coding(study, "bob", "S04", 100, 180, "root_cause.family")
    b = add_coding(study, "bob", "S04", 150, 220, "root_cause.economic")
    rows = [r for r in coding_rows(study, ["bob"])]
    assert {(r["start"], r["end"]) for r in rows} == {(100, 180), (150, 220)}
    recode(study, "bob", a, "root_cause.childhood_trauma")
    remove_coding(study, "bob", b)
    assert [r["code"] for r in coding_rows(study, ["bob"])] == ["root_cause.childhood_trauma"]
    with pytest.raises(ToolkitError, match="another coder"):
        remove_coding(study, "carol", a)
    with pytest.raises(ToolkitError, match="outside"):
        add_coding(study, "bob", "S04", 10, 10**7, "root_cause.family")


def test_review_unknown_coder_or_code_is_clear(study):
    with pytest.raises(NotFoundError, match="unknown coder 'zed'"):
        add_coding(study, "zed", "S04", 0, 10, "root_cause.family")
    with pytest.raises(NotFoundError, match=r"unknown code 'root_cause\.luck'"):
        add_coding(study, "bob", "S04", 0, 10, "root_cause.luck")
    with pytest.raises(NotFoundError):
        decide(study, "zed", first_open(study), "accept")


def test_review_memos_on_code_document_and_coding(study):
    coding = add_coding(study, "bob", "S04", 100, 180, "root_cause.family")
    add_memo(study, "bob", "code", "root_cause.family", "Includes caring for a sick parent.")
    add_memo(study, "bob", "document", "S04", "Single mother; see turn 6.")
    add_memo(study, "carol", "coding", coding, "Could also be economic.")
    memos = list_memos(study)
    assert [m["target_type"] for m in memos] == ["code", "document", "coding"]
    with pytest.raises(ToolkitError):
        add_memo(study, "bob", "planet", "x", "no")


def test_review_accept_keeps_model_and_codebook_versions(study):
    sid = first_open(study)
    result = decide(study, "bob", sid, "accept")
    with study.read() as session:
        coding = session.get(Coding, result.coding_id)
        suggestion = session.get(Suggestion, sid)
        assert suggestion.status == "accepted"
        assert coding.origin == ORIGIN_ACCEPTED and coding.suggestion_id == sid
        assert coding.model_name == suggestion.model_name and coding.model_version == suggestion.model_version
        assert coding.codebook_version == "tip_root_causes@1.0"


def test_review_reject_change_adjust(study):
    ids = []
    with study.read() as session:
        ids = list(session.scalars(select(Suggestion.id).where(Suggestion.status == "open").order_by(Suggestion.id)))
    assert len(ids) >= 3
    assert decide(study, "bob", ids[0], "reject").coding_id is None
    changed = decide(study, "bob", ids[1], "change", new_code="contract.vetted")
    context = suggestion_context(study, ids[2])
    adjusted = decide(study, "bob", ids[2], "adjust", start=context["start"] + 5, end=context["end"] - 5)
    with study.read() as session:
        assert session.get(Coding, changed.coding_id).code_id == "contract.vetted"
        coding = session.get(Coding, adjusted.coding_id)
        assert (coding.start, coding.end) == (context["start"] + 5, context["end"] - 5)


def test_review_second_decision_says_who_decided_first(study):
    sid = first_open(study)
    decide(study, "bob", sid, "accept")
    with pytest.raises(AlreadyDecidedError, match="already decided by bob"):
        decide(study, "carol", sid, "reject")
    with study.read() as session:
        assert session.get(Suggestion, sid).status == "accepted"
        assert len(list(session.scalars(select(Coding).where(Coding.suggestion_id == sid)))) == 1


def test_review_concurrent_decisions_exactly_one_wins(study, db_url):
    sid = first_open(study)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def reviewer(name: str, decision: str) -> None:
        own = open_store(db_url)
        barrier.wait()
        try:
            decide(own, name, sid, decision)
            outcomes[name] = "ok"
        except AlreadyDecidedError as exc:
            outcomes[name] = str(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=reviewer, args=a) for a in (("bob", "accept"), ("carol", "reject"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(v == "ok" for v in outcomes.values()) == [False, True]
    loser = next(v for v in outcomes.values() if v != "ok")
    assert "already decided by" in loser
    with study.read() as session:
        assert len(list(session.scalars(select(Coding).where(Coding.suggestion_id == sid)))) <= 1


def test_review_undo_after_reopening_the_store(study, db_url):
    sid = first_open(study)
    result = decide(study, "bob", sid, "accept")
    study.close()
    reopened = open_store(db_url)
    assert undo_last(reopened, "bob") is not None
    with reopened.read() as session:
        assert session.get(Suggestion, sid).status == "open"
        assert session.get(Coding, result.coding_id) is None
    assert undo_last(reopened, "bob") is None
    reopened.close()


def test_review_audit_trail_records_who_when_before_after(study):
    sid = first_open(study)
    decide(study, "bob", sid, "reject")
    undo_last(study, "bob")
    events = audit_trail(study, coder="bob")
    assert [e["action"] for e in events] == ["suggestion.reject", "suggestion.undo"]
    assert events[0]["before"]["status"] == "open" and events[0]["after"]["status"] == "rejected"
    assert all(e["at"] for e in events)
    assert any(e["action"] == "suggestion.reject" for e in audit_trail(study, document="S04"))
    assert not any(e["action"] == "suggestion.reject" for e in audit_trail(study, document="S01"))


def test_review_blind_mode_hides_others_until_agreement(study):
    from toolkit.analysis.agreement_store import compute_agreement

    add_coding(study, "bob", "S01", 100, 180, "root_cause.family")
    set_blind(study, True)
    assert is_blind(study)
    assert {r["coder"] for r in visible_codings(study, "bob")} == {"bob"}
    compute_agreement(study, coders=["alice", "bob"])
    assert not is_blind(study)
    assert {r["coder"] for r in visible_codings(study, "bob")} == {"alice", "bob"}


def test_review_terminal_flow_keys(study, db_url):
    study.close()
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db_url, "review", "--coder", "bob"], input="a\nr\nu\nc\ncontract.none\nq\n")
    assert result.exit_code == 0, result.output
    assert "why (" in result.output and "undone" in result.output
    assert "3 decision(s) recorded" in result.output
    store = open_store(db_url)
    events = [e["action"] for e in audit_trail(store, coder="bob")]
    store.close()
    assert events == ["suggestion.accept", "suggestion.reject", "suggestion.undo", "suggestion.change"]
    result = runner.invoke(app, ["--db", db_url, "audit", "--coder", "bob", "--json"])
    assert len(result.stdout.splitlines()) == 4


def test_review_blind_mode_export_needs_your_name(study, db_url):
    set_blind(study, True)
    study.close()
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db_url, "codings", "export"])
    assert result.exit_code == 2 and "blind mode" in result.output
    result = runner.invoke(app, ["--db", db_url, "codings", "export", "--coder", "alice", "--format", "jsonl"])
    assert result.exit_code == 0
    assert {json.loads(line)["coder"] for line in result.stdout.splitlines()} == {"alice"}


def test_review_adjusted_span_must_overlap_the_suggestions_turn(study):
    """A stale span from another card (issue 9, item 1) is refused and nothing changes."""
    sid = first_open(study)
    context = suggestion_context(study, sid)
    with study.read() as session:
        segment = session.get(Segment, session.get(Suggestion, sid).segment_id)
        other = session.scalar(
            select(Segment).where(Segment.document_id == segment.document_id, Segment.end <= segment.start)
        )
        codings_before = session.scalar(select(func.count(Coding.id)))
    with pytest.raises(ToolkitError, match="does not overlap"):
        decide(study, "bob", sid, "adjust", start=other.start, end=other.end)
    with study.read() as session:
        assert session.get(Suggestion, sid).status == "open"
        assert session.scalar(select(func.count(Coding.id))) == codings_before
    overlapping = decide(study, "bob", sid, "adjust", start=context["start"] - 3, end=context["start"] + 10)
    assert overlapping.status == "accepted"


def test_review_blind_mode_holds_for_report_and_library_readers(study, db_url):
    """One policy for every reader (issue 9, item 2): CLI report and notebooks too."""
    from toolkit.analysis.frames import load_frames
    from toolkit.errors import BlindModeError

    add_coding(study, "bob", "S01", 100, 180, "root_cause.family")
    set_blind(study, True)
    for read in (lambda: coding_rows(study), lambda: load_frames(study, None), lambda: coding_rows(study, ["a", "b"])):
        with pytest.raises(BlindModeError, match="blind mode is on"):
            read()
    assert {r["coder"] for r in coding_rows(study, ["bob"])} == {"bob"}
    runner = CliRunner()
    for args in (["report", "--coder", "all"], ["report", "--coder", "accepted"], ["report"]):
        result = runner.invoke(app, ["--db", db_url, *args])
        assert result.exit_code == 2 and "blind mode is on" in result.output, (args, result.output)
    result = runner.invoke(app, ["--db", db_url, "report", "--coder", "bob"])
    assert result.exit_code == 0 and "counting bob" in result.output
