"""Code a selected passage: one or more codes and an optional memo, in one transaction.

This is what the Transcript page's "code by selection" saves: the span the researcher selected (or
snapped to a sentence or turn), the codes picked, and a memo on the passage. Either all of it is stored
or none. Each coding gets its own ``coding.add`` audit event (so :func:`toolkit.coding.hand_undo.undo_last_coding`
steps back one code at a time) and the memo a ``memo.add`` event; the memo goes on the first coding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, cast

from sqlalchemy import select

from toolkit.coding.review import add_human_coding
from toolkit.corpus.identifiers import document_view, views
from toolkit.corpus.redaction import RedactedText
from toolkit.errors import NotFoundError, ToolkitError
from toolkit.store.engine import Store
from toolkit.store.models import Code, Coder, Coding, Document, Memo

__all__ = ["OwnCoding", "SelectionView", "code_selection", "coder_codings", "document_turns", "selection_view"]


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
        ids = [add_human_coding(tx, doc, who, code, start, end) for code in wanted if code not in existing]
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


class OwnCoding(TypedDict):
    """One of a coder's codings as the workspace lists it; the quote is de-identified."""

    id: int
    code: str
    start: int
    end: int
    origin: str
    quote: str


def coder_codings(store: Store, coder: str, document: str) -> list[OwnCoding]:
    """One coder's codings in one document (id, code, span, de-identified quote, origin), in text order."""
    with store.read() as session:
        rows = session.execute(
            select(Coding, Document.id)
            .join(Document, Coding.document_id == Document.id)
            .join(Coder, Coding.coder_id == Coder.id)
            .where(Document.name == document, Coder.name == coder)
            .order_by(Coding.start, Coding.code_id)
        ).all()
        shown = views(session, {doc_id for _, doc_id in rows})
    return [
        OwnCoding(
            id=c.id,
            code=c.code_id,
            start=c.start,
            end=c.end,
            origin=c.origin,
            quote=shown[doc_id].slice(c.start, c.end),
        )
        for c, doc_id in rows
    ]


@dataclass(frozen=True)
class SelectionView:
    """A transcript as a coder selects in it: de-identified, with offsets mapped back to the stored text.

    The turns, their sentences and the underlined spans are in the coordinates of the de-identified text,
    which is all the browser ever receives; :meth:`to_document` turns a selection back into offsets of
    ``Document.text``, widened to whole identifiers, before anything is stored.
    """

    turns: list[dict[str, object]]
    redacted: RedactedText

    def to_document(self, start: int, end: int) -> tuple[int, int]:
        """Stored-text offsets of a selection made on the view."""
        return self.redacted.to_original(start), self.redacted.to_original(end, at_end=True)

    def span_to_view(self, start: int, end: int) -> tuple[int, int]:
        """View offsets of a stored span (e.g. a coding to underline)."""
        return self.redacted.span(start, end)


def selection_view(store: Store, document: str) -> SelectionView:
    """The document's turns for the selection component, as the de-identified view shows them."""
    view = document_view(store, document)
    redacted = view.segment(0, len(view.original))
    turns = []
    for turn in document_turns(store, document):
        start, end = redacted.span(cast(int, turn["start"]), cast(int, turn["end"]))
        sentences = [list(redacted.span(s, e)) for s, e in cast(list[list[int]], turn["sentences"])]
        turns.append(
            {
                **turn,
                "start": start,
                "end": end,
                "text": redacted.text[start:end],
                "sentences": sentences,
                "speaker": view.speaker(str(turn["speaker"])),
            }
        )
    return SelectionView(turns, redacted)
