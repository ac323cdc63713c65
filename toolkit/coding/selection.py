"""Code a selected passage: one or more codes and an optional memo, in one transaction.

This is what the Transcript page's "code by selection" saves: the span the researcher selected (or
snapped to a sentence or turn), the codes picked, and a memo on the passage. Either all of it is stored
or none. Each coding gets its own ``coding.add`` audit event (so :func:`toolkit.coding.hand_undo.undo_last_coding`
steps back one code at a time) and the memo a ``memo.add`` event; the memo goes on the first coding.
"""

from __future__ import annotations

from sqlalchemy import select

from toolkit.coding.review import _coding_dict
from toolkit.corpus.importer import segment_at
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.store.engine import Store
from toolkit.store.models import ORIGIN_HUMAN, Code, Coder, Coding, Document, Memo

__all__ = ["code_selection", "coder_codings", "document_turns"]


def code_selection(
    store: Store,
    coder: str,
    document: str,
    start: int,
    end: int,
    codes: list[str],
    memo: str | None = None,
) -> list[int]:
    """Apply ``codes`` to ``document.text[start:end]`` for ``coder`` (registered) and return the coding ids.

    A code the coder already has on exactly this span is not applied twice.

    Raises:
        ToolkitError: no code chosen, an empty or out-of-range span.
        NotFoundError: an unknown document, code or coder.
    """
    wanted = list(dict.fromkeys(c for c in codes if c))
    if not wanted:
        raise ToolkitError("choose at least one code for the selected passage")
    with store.transaction(actor=coder) as tx:
        who = tx.coder(coder, create=False)
        doc = tx.session.scalar(select(Document).where(Document.name == document))
        if doc is None:
            raise NotFoundError(f"no document {document!r}")
        if not 0 <= start < end <= len(doc.text) or not doc.text[start:end].strip():
            raise ToolkitError(f"span {start}-{end} of {document!r} is empty or outside the text (0-{len(doc.text)})")
        unknown = [c for c in wanted if tx.session.get(Code, c) is None]
        if unknown:
            raise NotFoundError(f"unknown code {unknown[0]!r}; see `qda codebook list`")
        existing = set(
            tx.session.scalars(
                select(Coding.code_id).where(
                    Coding.document_id == doc.id, Coding.coder_id == who.id, Coding.start == start, Coding.end == end
                )
            )
        )
        segment = segment_at(doc.segments, start, end)
        ids: list[int] = []
        for code in wanted:
            if code in existing:
                continue
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
            ids.append(coding.id)
        if memo and memo.strip():
            if not ids:
                raise ToolkitError("these codes are already on this passage; nothing to attach the memo to")
            note = Memo(target_type="coding", target_id=str(ids[0]), coder_id=who.id, text=memo.strip())
            tx.session.add(note)
            tx.session.flush()
            tx.audit("memo.add", "memo", note.id, after={"target": f"coding:{ids[0]}", "text": note.text})
        return ids


def document_turns(store: Store, document: str) -> list[dict[str, object]]:
    """A document's turns with their sentences' document offsets: what a selection snaps to."""
    with store.read() as session:
        doc = session.scalar(select(Document).where(Document.name == document))
        if doc is None:
            raise NotFoundError(f"no document {document!r}")
        return [
            {
                "position": s.position,
                "role": s.role,
                "speaker": s.speaker_label or s.role,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "sentences": [[x.start, x.end] for x in s.sentences],
            }
            for s in doc.segments
        ]


def coder_codings(store: Store, coder: str, document: str) -> list[dict[str, object]]:
    """One coder's codings in one document (id, code, span, quote, origin), in text order."""
    with store.read() as session:
        rows = session.execute(
            select(Coding, Document.text)
            .join(Document, Coding.document_id == Document.id)
            .join(Coder, Coding.coder_id == Coder.id)
            .where(Document.name == document, Coder.name == coder)
            .order_by(Coding.start, Coding.code_id)
        ).all()
    return [
        {
            "id": c.id,
            "code": c.code_id,
            "start": c.start,
            "end": c.end,
            "origin": c.origin,
            "quote": text[c.start : c.end],
        }
        for c, text in rows
    ]
