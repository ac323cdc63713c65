"""A participant withdraws: their document and everything derived from it leave the store.

:func:`withdraw` removes, in one transaction: the document, its segments and sentences, every coding on
it (any coder), the suggestions on its turns and their reviews, memos on the document or its codings,
its identifiers and the pseudonyms no other document uses, the embedding and lemma cache rows of its
texts (original and de-identified), the quotes of its turns that explanations of other suggestions
carried; and it erases the before/after payloads of every audit event about it. The audit chain still
verifies, because it holds the payloads' digests, not the payloads (:mod:`toolkit.store.audit`). One
audit event records the withdrawal (the document's name and the counts, no text).

Then, on SQLite, the bytes go too: every connection runs with ``secure_delete`` (freed pages are zeroed),
the WAL is checkpointed and truncated, and the file is vacuumed (:meth:`toolkit.store.engine.Store.scrub`).
On PostgreSQL the rows are gone for every query at once; the server reclaims their space at its next
vacuum (run ``VACUUM FULL`` to force it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select

from toolkit.corpus.identifiers import derived_texts, purge_text_caches, views
from toolkit.errors import NotFoundError
from toolkit.store.engine import Store, changed_rows
from toolkit.store.models import (
    AuditEvent,
    Coding,
    Document,
    Identifier,
    Memo,
    Pseudonym,
    Review,
    Segment,
    Sentence,
    Suggestion,
)

__all__ = ["WithdrawalReport", "withdraw"]


@dataclass
class WithdrawalReport:
    """What a withdrawal removed, by kind."""

    document: str
    removed: dict[str, int] = field(default_factory=dict)
    audit_payloads_erased: int = 0
    scrub: dict[str, Any] = field(default_factory=dict)


def _mentions(payload: Any, doc_id: int, name: str, ids: dict[str, set[str]]) -> bool:
    """Whether an audit payload is about the document (its id or name, or one of its codings, memos...)."""
    if not isinstance(payload, dict):
        return False
    if payload.get("document_id") == doc_id or payload.get("document") == name:
        return True
    target = str(payload.get("target", ""))
    if target in (f"document:{name}", f"document:{doc_id}") or (
        target.startswith("coding:") and target.split(":", 1)[1] in ids["coding"]
    ):
        return True
    text = json.dumps(payload, ensure_ascii=False)
    return json.dumps(name, ensure_ascii=False) in text


def withdraw(store: Store, document: str, actor: str = "system", *, scrub: bool = True) -> WithdrawalReport:
    """Remove a participant's document and everything derived from it; see the module docstring."""
    report = WithdrawalReport(document)
    with store.transaction(actor=actor) as tx:
        session = tx.session
        doc = session.scalar(select(Document).where(Document.name == document))
        if doc is None:
            raise NotFoundError(f"no document {document!r}")
        doc_id = doc.id
        segment_ids = set(session.scalars(select(Segment.id).where(Segment.document_id == doc_id)))
        suggestion_ids = set(session.scalars(select(Suggestion.id).where(Suggestion.segment_id.in_(segment_ids))))
        coding_ids = set(session.scalars(select(Coding.id).where(Coding.document_id == doc_id)))
        memo_ids = set(
            session.scalars(
                select(Memo.id).where(
                    or_(
                        (Memo.target_type == "document") & Memo.target_id.in_([document, str(doc_id)]),
                        (Memo.target_type == "coding") & Memo.target_id.in_([str(i) for i in coding_ids]),
                    )
                )
            )
        )
        identifier_ids = set(session.scalars(select(Identifier.id).where(Identifier.document_id == doc_id)))
        pseudonym_ids = set(session.scalars(select(Identifier.pseudonym_id).where(Identifier.document_id == doc_id)))
        ids = {
            "document": {str(doc_id)},
            "coding": {str(i) for i in coding_ids},
            "suggestion": {str(i) for i in suggestion_ids},
            "memo": {str(i) for i in memo_ids},
            "identifier": {str(i) for i in identifier_ids},
        }

        # Caches of every text of the document, original and de-identified.
        texts = derived_texts(session, doc, views(session, [doc_id])[doc_id])
        report.removed["cache rows"] = purge_text_caches(session, texts)

        # Quotes of its turns inside other suggestions' explanations.
        scrubbed = 0
        for suggestion in session.scalars(select(Suggestion).where(Suggestion.segment_id.not_in(segment_ids))):
            explanation = dict(suggestion.explanation or {})
            neighbours = explanation.get("neighbours") or []
            kept = [n for n in neighbours if n.get("document") != document]
            if len(kept) != len(neighbours):
                explanation["neighbours"] = kept
                suggestion.explanation = explanation
                scrubbed += 1
        report.removed["explanations cleaned"] = scrubbed

        # Audit payloads about it: erased, their digests stay in the chain.
        erased = 0
        for event in session.scalars(select(AuditEvent)):
            about = event.entity in ids and event.entity_id in ids[event.entity]
            about = about or (event.action == "text.raw" and document in event.entity_id.split(","))
            about = about or any(_mentions(p, doc_id, document, ids) for p in (event.before, event.after))
            if about and (event.before is not None or event.after is not None):
                event.before = None
                event.after = None
                erased += 1
        report.audit_payloads_erased = erased

        # The rows themselves, children first.
        removals = (
            ("reviews", delete(Review).where(Review.suggestion_id.in_(suggestion_ids))),
            ("codings", delete(Coding).where(Coding.document_id == doc_id)),
            ("suggestions", delete(Suggestion).where(Suggestion.id.in_(suggestion_ids))),
            ("memos", delete(Memo).where(Memo.id.in_(memo_ids))),
            ("identifiers", delete(Identifier).where(Identifier.document_id == doc_id)),
            ("sentences", delete(Sentence).where(Sentence.segment_id.in_(segment_ids))),
            ("segments", delete(Segment).where(Segment.document_id == doc_id)),
            ("documents", delete(Document).where(Document.id == doc_id)),
        )
        session.flush()
        for kind, statement in removals:
            report.removed[kind] = changed_rows(session.execute(statement))
        still_used = set(
            session.scalars(select(Identifier.pseudonym_id).where(Identifier.pseudonym_id.in_(pseudonym_ids)))
        )
        orphans = pseudonym_ids - still_used
        report.removed["pseudonyms"] = (
            changed_rows(session.execute(delete(Pseudonym).where(Pseudonym.id.in_(orphans)))) if orphans else 0
        )
        session.expunge_all()
        tx.audit(
            "participant.withdraw",
            "document",
            doc_id,
            after={"document": document, "removed": report.removed, "audit_payloads_erased": erased},
        )
    if scrub:
        report.scrub = store.scrub()
    return report
