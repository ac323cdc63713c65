"""Everyday coding work: span codings, memos, and review decisions on suggestions, each undoable.

Every function here is one transaction with one audit event (who, when, before, after):

* :func:`add_coding`, :func:`remove_coding`, :func:`recode` for any character span, overlaps allowed;
* optimistic versioning: codings and suggestions carry a ``version``; :func:`remove_coding`,
  :func:`recode` and :func:`decide` take the ``expected_version`` the person saw, and a row someone else
  changed meanwhile raises :class:`StaleVersionError` naming who (from the audit trail), nothing changed;
* :func:`add_memo` on a code, a document or a coding;
* :func:`decide` accepts, rejects, changes (to another code) or adjusts (the span of) a suggestion;
  deciding a suggestion someone else already decided raises :class:`AlreadyDecidedError` naming them;
* :func:`undo_last` reverts a reviewer's latest decision, also after the store was closed and reopened;
* :func:`suggestion_context` gives what a reviewer sees: the turn, the turns around it, the explanation.

Blind mode (:func:`set_blind`) hides other coders' codings from :func:`visible_codings` until agreement
has been computed (:func:`toolkit.analysis.agreement_store.compute_agreement` records that moment).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from toolkit.coding.blind import is_blind, set_blind
from toolkit.coding.on_turn import codes_on_turns
from toolkit.corpus.identifiers import register_memo_identifiers, views
from toolkit.corpus.importer import segment_at
from toolkit.errors import AlreadyDecidedError, NotFoundError, StaleVersionError, ToolkitError
from toolkit.store.audit import ChainReport, verify_chain
from toolkit.store.engine import Store, Transaction, changed_rows
from toolkit.store.models import (
    DECISIONS,
    MEMO_TARGETS,
    ORIGIN_ACCEPTED,
    ORIGIN_CORRECTED,
    ORIGIN_HUMAN,
    AuditEvent,
    Code,
    Coder,
    Coding,
    Document,
    Memo,
    Review,
    Segment,
    Suggestion,
    utcnow,
)

__all__ = [
    "DECISIONS",
    "AlreadyDecidedError",
    "DecisionResult",
    "StaleVersionError",
    "add_coder",
    "add_coding",
    "add_memo",
    "audit_trail",
    "decide",
    "explanation_lines",
    "is_blind",
    "last_change",
    "list_memos",
    "recode",
    "remove_coding",
    "set_blind",
    "suggestion_context",
    "undo_last",
    "verify_audit",
    "visible_codings",
]


@dataclass(frozen=True)
class DecisionResult:
    """What a decision did: the review row and the coding it created, if any."""

    review_id: int
    coding_id: int | None
    status: str


def _code(tx: Transaction, code_id: str) -> Code:
    code = tx.session.get(Code, code_id)
    if code is None:
        raise NotFoundError(f"unknown code {code_id!r}; see `qda codebook list`")
    return code


def _coding_dict(coding: Coding) -> dict[str, Any]:
    return {
        "document_id": coding.document_id,
        "segment_id": coding.segment_id,
        "code": coding.code_id,
        "start": coding.start,
        "end": coding.end,
        "origin": coding.origin,
    }


def last_change(session: Session, entity: str, entity_id: int) -> str:
    """Who last changed a row, from the audit trail: ``bob (coding.recode at 2026-12-02 04:10:03 UTC)``."""
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id.desc())
    )
    if event is None:
        return "someone (no audit event names them)"
    return f"{event.actor} ({event.action} at {event.at:%Y-%m-%d %H:%M:%S} UTC)"


def _stale(session: Session, entity: str, entity_id: int, saw: int | None, now: int | None) -> StaleVersionError:
    state = "removed it" if now is None else f"changed it (version {saw} when you saw it, now {now})"
    who = last_change(session, entity, entity_id)
    return StaleVersionError(
        f"{entity} {entity_id}: {who} {state}; your change was not made; reload to see the current state"
    )


@contextmanager
def _versioned(store: Store, actor: str, entity: str, entity_id: int, saw: int | None) -> Iterator[Transaction]:
    """A transaction whose lost race on a row's version (changed between our read and our write) names the winner."""
    try:
        with store.transaction(actor=actor) as tx:
            yield tx
    except StaleDataError:
        with store.read() as session:
            row = session.get(Coding, entity_id) if entity == "coding" else session.get(Suggestion, entity_id)
            raise _stale(session, entity, entity_id, saw, row.version if row else None) from None


def add_coder(store: Store, name: str, actor: str = "system") -> None:
    """Register a named coder (people and the model are coders)."""
    if not name.strip():
        raise ToolkitError("a coder needs a name")
    with store.transaction(actor=actor) as tx:
        if tx.session.scalar(select(Coder).where(Coder.name == name)) is not None:
            raise ToolkitError(f"coder {name!r} exists already")
        tx.session.add(Coder(name=name))
        tx.audit("coder.add", "coder", name, after={"name": name})


def add_coding(
    store: Store, coder: str, document: str, start: int, end: int, code: str, *, new_coder: bool = False
) -> int:
    """Code the span [start, end) of a document; returns the new coding's id.

    The coder must be registered unless ``new_coder`` registers them in the same transaction.
    """
    with store.transaction(actor=coder) as tx:
        who = tx.coder(coder, create=new_coder)
        _code(tx, code)
        doc = tx.session.scalar(select(Document).where(Document.name == document))
        if doc is None:
            raise NotFoundError(f"no document {document!r}")
        if not 0 <= start < end <= len(doc.text):
            raise ToolkitError(f"span {start}-{end} is outside document {document!r} (0-{len(doc.text)})")
        return add_human_coding(tx, doc, who, code, start, end)


def add_human_coding(tx: Transaction, doc: Document, who: Coder, code: str, start: int, end: int) -> int:
    """Insert one hand coding on ``[start, end)`` of ``doc`` (inside ``tx``, audited); return its id.

    The one place a person's coding row is made, for typed offsets and for selections alike.
    """
    segment = segment_at(doc.segments, start, end)
    coding = Coding(
        document_id=doc.id,
        segment_id=segment.id if segment else None,
        code_id=code,
        coder_id=who.id,
        start=start,
        end=end,
        origin=ORIGIN_HUMAN,
    )
    tx.session.add(coding)
    tx.session.flush()
    tx.audit("coding.add", "coding", coding.id, after=_coding_dict(coding))
    return coding.id


def _own_coding(tx: Transaction, coder: str, coding_id: int, expected_version: int | None = None) -> Coding:
    who = tx.coder(coder, create=False)
    coding = tx.session.get(Coding, coding_id)
    if coding is None:
        if expected_version is not None:
            raise _stale(tx.session, "coding", coding_id, expected_version, None)
        raise NotFoundError(f"no coding {coding_id}")
    if coding.coder_id != who.id:
        raise ToolkitError(f"coding {coding_id} belongs to another coder; {coder} may change only their own")
    if expected_version is not None and coding.version != expected_version:
        raise _stale(tx.session, "coding", coding_id, expected_version, coding.version)
    return coding


def remove_coding(store: Store, coder: str, coding_id: int, *, expected_version: int | None = None) -> None:
    """Delete one of the coder's codings (the audit trail keeps what it was).

    With ``expected_version`` (the version the coder saw) a coding changed or removed meanwhile is refused.
    """
    with _versioned(store, coder, "coding", coding_id, expected_version) as tx:
        coding = _own_coding(tx, coder, coding_id, expected_version)
        tx.audit("coding.remove", "coding", coding_id, before=_coding_dict(coding))
        tx.session.delete(coding)


def recode(store: Store, coder: str, coding_id: int, new_code: str, *, expected_version: int | None = None) -> None:
    """Change the code of one of the coder's codings (refused if it changed since ``expected_version``)."""
    with _versioned(store, coder, "coding", coding_id, expected_version) as tx:
        coding = _own_coding(tx, coder, coding_id, expected_version)
        _code(tx, new_code)
        before = _coding_dict(coding)
        coding.code_id = new_code
        tx.audit("coding.recode", "coding", coding_id, before=before, after=_coding_dict(coding))


def add_memo(store: Store, coder: str, target_type: str, target: str | int, text: str) -> int:
    """A memo on a code (id), a document (name) or a coding (id)."""
    if target_type not in MEMO_TARGETS:
        raise ToolkitError(f"memos go on {', '.join(MEMO_TARGETS)}, not {target_type!r}")
    if not text.strip():
        raise ToolkitError("an empty memo says nothing")
    with store.transaction(actor=coder) as tx:
        who = tx.coder(coder, create=False)
        if target_type == "code":
            _code(tx, str(target))
        elif target_type == "document":
            if tx.session.scalar(select(Document).where(Document.name == str(target))) is None:
                raise NotFoundError(f"no document {target!r}")
        elif tx.session.get(Coding, int(target)) is None:
            raise NotFoundError(f"no coding {target}")
        memo = Memo(target_type=target_type, target_id=str(target), coder_id=who.id, text=text.strip())
        tx.session.add(memo)
        tx.session.flush()
        tx.audit("memo.add", "memo", memo.id, after={"target": f"{target_type}:{target}", "text": memo.text})
        register_memo_identifiers(tx)  # a name in it gets its pseudonym now (shown de-identified everywhere)
        return memo.id


def list_memos(
    store: Store, target_type: str | None = None, target: str | None = None, *, raw: bool = False
) -> list[dict[str, Any]]:
    """Memos, newest last, optionally for one target.

    A memo is free text: a researcher may name a participant in it. Unless ``raw``, every identifier found
    in the project's transcripts or by the detector in any memo is replaced by its pseudonym
    (:func:`toolkit.corpus.identifiers.known_identifiers`); the caller audits a raw read.
    """
    from toolkit.corpus.identifiers import known_identifiers, redact_known

    with store.read() as session:
        known = {} if raw else known_identifiers(session)
        query = select(Memo, Coder.name).join(Coder, Memo.coder_id == Coder.id).order_by(Memo.created_at, Memo.id)
        if target_type:
            query = query.where(Memo.target_type == target_type)
        if target is not None:
            query = query.where(Memo.target_id == str(target))
        return [
            {
                "id": m.id,
                "target_type": m.target_type,
                "target": m.target_id,
                "coder": who,
                "text": redact_known(m.text, known),
                "created_at": m.created_at.isoformat(),
            }
            for m, who in session.execute(query)
        ]


def decide(
    store: Store,
    reviewer: str,
    suggestion_id: int,
    decision: str,
    *,
    new_code: str | None = None,
    start: int | None = None,
    end: int | None = None,
    expected_version: int | None = None,
) -> DecisionResult:
    """Accept, reject, change or adjust a suggestion, in one transaction.

    The status flip is a conditional update (``open`` -> decided), so of two reviewers deciding at once
    exactly one wins; the other gets :class:`AlreadyDecidedError` naming who decided, and nothing changes.
    Accepting (or changing, or adjusting) adds a coding by the reviewer that keeps the model, its version
    and the codebook version that produced the suggestion. With ``expected_version`` (the version the
    reviewer was shown) a suggestion changed meanwhile, e.g. decided and undone by someone else, is refused
    with :class:`StaleVersionError` naming who. If the reviewer already has that code on the turn, the
    decision is recorded and the existing coding stands (never a duplicate).
    """
    if decision not in DECISIONS:
        raise ToolkitError(f"unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")
    if decision == "change" and not new_code:
        raise ToolkitError("a change needs the new code")
    if decision == "adjust" and (start is None or end is None):
        raise ToolkitError("an adjustment needs the new start and end")
    with _versioned(store, reviewer, "suggestion", suggestion_id, expected_version) as tx:
        who = tx.coder(reviewer, create=False)
        suggestion = tx.session.get(Suggestion, suggestion_id)
        if suggestion is None:
            raise NotFoundError(f"no suggestion {suggestion_id}")
        if new_code:
            _code(tx, new_code)
        status = {"accept": "accepted", "reject": "rejected", "change": "changed", "adjust": "accepted"}[decision]
        seen = [] if expected_version is None else [Suggestion.version == expected_version]
        flipped = tx.session.execute(
            update(Suggestion)
            .where(Suggestion.id == suggestion_id, Suggestion.status == "open", *seen)
            .values(status=status, version=Suggestion.version + 1)
            .execution_options(synchronize_session=False)
        )
        if changed_rows(flipped) != 1:
            tx.session.refresh(suggestion)
            if suggestion.status == "open":  # still open, so the version differed: changed and reopened
                raise _stale(tx.session, "suggestion", suggestion_id, expected_version, suggestion.version)
            previous = tx.session.execute(
                select(Coder.name, Review.decision)
                .join(Review, Review.reviewer_id == Coder.id)
                .where(Review.suggestion_id == suggestion_id, Review.undone_at.is_(None))
                .order_by(Review.id.desc())
            ).first()
            by = f"{previous[0]} ({previous[1]})" if previous else "someone"
            raise AlreadyDecidedError(f"suggestion {suggestion_id} was already decided by {by}; nothing was changed")
        tx.session.refresh(suggestion)
        segment = tx.session.get_one(Segment, suggestion.segment_id)  # a foreign key: it exists
        span_start = segment.start if start is None else start
        span_end = segment.end if end is None else end
        document = tx.session.get_one(Document, segment.document_id)
        if not 0 <= span_start < span_end <= len(document.text):
            raise ToolkitError(f"span {span_start}-{span_end} is outside the document (0-{len(document.text)})")
        if span_end <= segment.start or span_start >= segment.end:
            raise ToolkitError(
                f"span {span_start}-{span_end} does not overlap the suggestion's turn {segment.position} "
                f"({segment.start}-{segment.end}) in {document.name!r}; nothing was changed"
            )
        review = Review(
            suggestion_id=suggestion_id,
            reviewer_id=who.id,
            decision=decision,
            new_code_id=new_code,
            start=start,
            end=end,
        )
        tx.session.add(review)
        coding = None
        code_id = new_code if decision == "change" else suggestion.code_id
        mine = codes_on_turns(tx.session, [segment.id], only_coder=reviewer).get(segment.id, {})
        if decision != "reject" and code_id in mine:
            coding = tx.session.scalars(
                select(Coding)
                .where(Coding.document_id == segment.document_id, Coding.coder_id == who.id, Coding.code_id == code_id)
                .where(Coding.start < segment.end, Coding.end > segment.start)
                .order_by(Coding.id)
            ).first()
        elif decision != "reject":
            coding = Coding(
                document_id=segment.document_id,
                segment_id=segment.id,
                code_id=new_code if decision == "change" else suggestion.code_id,
                coder_id=who.id,
                start=span_start,
                end=span_end,
                origin=ORIGIN_CORRECTED if decision == "change" else ORIGIN_ACCEPTED,
                suggestion_id=suggestion.id,
                model_name=suggestion.model_name,
                model_version=suggestion.model_version,
                codebook_version=suggestion.codebook_version,
            )
            tx.session.add(coding)
        tx.session.flush()
        tx.audit(
            f"suggestion.{decision}",
            "suggestion",
            suggestion_id,
            before={"status": "open", "code": suggestion.code_id, "probability": suggestion.probability},
            after={
                "status": status,
                "review_id": review.id,
                "coding_id": coding.id if coding else None,
                "code": coding.code_id if coding else None,
                "start": span_start,
                "end": span_end,
            },
        )
        return DecisionResult(review.id, coding.id if coding else None, status)


def undo_last(store: Store, reviewer: str) -> DecisionResult | None:
    """Revert the reviewer's latest decision that is not undone yet; None if there is nothing to undo.

    If someone changes that suggestion or its coding while the undo runs, the undo is refused naming them.
    """
    seen: list[tuple[str, int]] = []
    try:
        return _undo_last(store, reviewer, seen)
    except StaleDataError:
        with store.read() as session:
            entity, entity_id = seen[-1] if seen else ("suggestion", 0)
            raise StaleVersionError(
                f"{entity} {entity_id}: {last_change(session, entity, entity_id)} changed it while you undid your "
                "decision; nothing was undone; reload to see the current state"
            ) from None


def _undo_last(store: Store, reviewer: str, seen: list[tuple[str, int]]) -> DecisionResult | None:
    with store.transaction(actor=reviewer) as tx:
        who = tx.coder(reviewer, create=False)
        review = tx.session.scalar(
            select(Review)
            .where(Review.reviewer_id == who.id, Review.undone_at.is_(None))
            .order_by(Review.created_at.desc(), Review.id.desc())
        )
        if review is None:
            return None
        suggestion = tx.session.get_one(Suggestion, review.suggestion_id)
        seen.append(("suggestion", suggestion.id))
        coding = tx.session.scalar(
            select(Coding).where(Coding.suggestion_id == suggestion.id, Coding.coder_id == who.id)
        )
        before = {"status": suggestion.status, "coding_id": coding.id if coding else None}
        if coding is not None:
            tx.session.delete(coding)
        review.undone_at = utcnow()
        suggestion.status = "open"
        tx.audit("suggestion.undo", "suggestion", suggestion.id, before=before, after={"status": "open"})
        return DecisionResult(review.id, None, "open")


def suggestion_context(
    store: Store, suggestion_id: int, around: int = 1, reviewer: str | None = None
) -> dict[str, Any]:
    """The suggestion with its turn, the turns before and after, its probability and explanation.

    ``codes_on_turn`` lists the codes people have already applied to the turn and who applied them; in
    blind mode only ``reviewer``'s own (nobody's when no reviewer is named).
    """
    blind = is_blind(store)
    with store.read() as session:
        suggestion = session.get(Suggestion, suggestion_id)
        if suggestion is None:
            raise NotFoundError(f"no suggestion {suggestion_id}")
        segment = session.get_one(Segment, suggestion.segment_id)
        document = session.get_one(Document, segment.document_id)
        code = session.get(Code, suggestion.code_id)
        turns = document.segments
        index = next(i for i, s in enumerate(turns) if s.id == segment.id)
        view = views(session, [document.id])[document.id]

        def turn(s: Segment) -> dict[str, Any]:
            return {
                "position": s.position,
                "role": s.role,
                "speaker": view.speaker(s.speaker_label),
                "text": view.slice(s.start, s.end),
            }

        return {
            "id": suggestion.id,
            "document": document.name,
            "segment_id": segment.id,
            "segment": turn(segment),
            "start": segment.start,
            "end": segment.end,
            "before": [turn(s) for s in turns[max(0, index - around) : index]],
            "after": [turn(s) for s in turns[index + 1 : index + 1 + around]],
            "code": suggestion.code_id,
            "code_name": code.name if code else suggestion.code_id,
            "probability": suggestion.probability,
            "status": suggestion.status,
            "version": suggestion.version,
            "explanation": suggestion.explanation,
            "model": suggestion.model_name,
            "model_version": suggestion.model_version,
            "codes_on_turn": [
                {"code": code, "coders": coders}
                for code, coders in codes_on_turns(
                    session, [segment.id], only_coder=(reviewer or "") if blind else None
                )
                .get(segment.id, {})
                .items()
            ],
        }


def explanation_lines(explanation: dict[str, Any] | None) -> list[str]:
    """A suggestion's explanation as short lines of plain text (the terminal and the dashboard show these)."""
    why = explanation or {}
    lines = [f'{why.get("method", "?")}: the sentence "{why.get("sentence", "")}"']
    if why.get("example"):
        lines.append(f'is like the codebook example "{why["example"]}" (similarity {why.get("example_similarity")})')
    if why.get("keywords"):
        lines.append(f"keywords: {', '.join(why['keywords'])}")
    if why.get("codebook_suggested"):  # explanations stored before the eleventh session have none
        lines.append(
            f"the codebook alone would suggest it on {why['codebook_suggested']} coded turns;"
            f" people applied it on {why['codebook_applied']}"
        )
    if why.get("unfamiliar_interview"):
        lines.append(
            "this interview is unlike the coded ones: the codebook's own suggestions are kept"
            " unless the trained model rejects them, with at least the probability that such suggestions"
            " were applied on the coded turns"
        )
    if why.get("codebook_pick"):
        lines.append(
            "the codebook's own pick for this turn: suggested below the usual threshold while few turns are"
            " coded with this code (the probability shown is the model's)"
        )
    if why.get("previous_answer_probability") is not None:
        lines.append(
            f"the answer before it was about this code too (probability {why['previous_answer_probability']}),"
            " and a follow-up answer often keeps its topic"
        )
    if why.get("next_code"):  # explanations stored before the tenth session have none
        lines.append(f"most likely code not suggested here: {why['next_code']} (probability {why['next_probability']})")
    for n in why.get("neighbours", []):
        lines.append(f"similar coded turn {n['document']}#{n['position']} ({', '.join(n['codes'])}): {n['quote']}")
    return lines


def verify_audit(store: Store) -> ChainReport:
    """Walk the audit trail's hash chain (:mod:`toolkit.store.audit`): was anything edited or deleted."""
    with store.read() as session:
        return verify_chain(session)


def audit_trail(
    store: Store, document: str | None = None, coder: str | None = None, *, raw: bool = False
) -> list[dict[str, Any]]:
    """The audit events, oldest first; ``document`` keeps events about that document and its codings.

    Payloads can hold text (a memo, a quote): unless ``raw``, the project's known identifiers in them are
    replaced by their pseudonyms (the caller audits a raw read).
    """
    from toolkit.corpus.identifiers import known_identifiers, redact_known_in

    with store.read() as session:
        known = {} if raw else known_identifiers(session)
        query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
        if coder:
            query = query.where(AuditEvent.actor == coder)
        events = list(session.scalars(query))
        doc_id = None
        if document:
            doc = session.scalar(select(Document).where(Document.name == document))
            if doc is None:
                raise NotFoundError(f"no document {document!r}")
            doc_id = doc.id
            segment_ids = set(session.scalars(select(Segment.id).where(Segment.document_id == doc_id)))
            suggestion_ids = {
                str(i) for i in session.scalars(select(Suggestion.id).where(Suggestion.segment_id.in_(segment_ids)))
            }
    out = []
    for event in events:
        if doc_id is not None:
            states = [s for s in (event.before, event.after) if s]
            about_doc = (event.entity == "document" and event.entity_id == str(doc_id)) or any(
                s.get("document_id") == doc_id for s in states
            )
            about_suggestion = event.entity == "suggestion" and event.entity_id in suggestion_ids
            if not (about_doc or about_suggestion):
                continue
        out.append(
            {
                "at": event.at.isoformat(),
                "actor": event.actor,
                "action": event.action,
                "entity": event.entity,
                "entity_id": event.entity_id,
                "before": redact_known_in(event.before, known) if known else event.before,
                "after": redact_known_in(event.after, known) if known else event.after,
            }
        )
    return out


def visible_codings(store: Store, viewer: str) -> list[dict[str, Any]]:
    """Codings the viewer may see: all, or in blind mode only their own."""
    from toolkit.coding.codings import coding_rows

    return coding_rows(store, [viewer] if is_blind(store) else None)
